"""Sinks by name: ``file`` (Parquet/CSV, the default), ``sql`` (SQLite/PostgreSQL), ``tom`` (TOM Toolkit).

Chosen in one place, from a spec string: ``kind`` or ``kind:option=value,option=value`` (e.g.
``file:format=csv``, ``file:root=/data/fphot``, ``sql:conn_id=fphot_db,table=photometry``).
Classes are imported lazily, so an optional sink's dependencies
are only needed when it is used.
"""

from __future__ import annotations

from typing import Any

from fphot_provider.exceptions import ConfigurationError
from fphot_provider.loading import load_object
from fphot_provider.sinks.base import Sink, WriteResult

SINKS: dict[str, str] = {
    "file": "fphot_provider.sinks.file:FileSink",
    "sql": "fphot_provider.sinks.sql:SqlSink",
    "tom": "fphot_provider.sinks.tom:TomSink",
}

__all__ = ["SINKS", "Sink", "WriteResult", "get_sink", "parse_spec"]


def parse_spec(spec: str) -> tuple[str, dict[str, str]]:
    """Split ``kind:key=value,...`` into the kind and its options; raise naming ``sink``."""
    kind, _, rest = (spec or "").strip().partition(":")
    if kind not in SINKS:
        raise ConfigurationError(f"sink: unknown kind {kind!r}; allowed: {sorted(SINKS)}")
    options: dict[str, str] = {}
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigurationError(f"sink: option {item!r} is not key=value (spec {spec!r})")
        options[key.strip()] = value.strip()
    return kind, options


def get_sink(spec: str = "file", **defaults: Any) -> Sink:
    """Build the sink named by ``spec``; ``defaults`` fill options the spec does not set."""
    kind, options = parse_spec(spec)
    cls = load_object(SINKS[kind], f"sink {kind!r}")
    try:
        return cls(**{**{k: v for k, v in defaults.items() if v is not None}, **options})
    except TypeError as err:
        raise ConfigurationError(f"sink: bad options for {kind!r}: {err}") from None
