"""Data product type -> parser: the seed's ``DATA_PROCESSORS``, extendable by configuration.

Users add or override entries with the Airflow setting ``[fphot] processors`` (or the env var
``AIRFLOW__FPHOT__PROCESSORS``), a JSON object ``{"type": "module:function"}``. Parsers are
imported lazily, so a broken optional entry only fails when it is used.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd

from fphot_provider.exceptions import ConfigurationError
from fphot_provider.loading import load_object
from fphot_provider.photometry import conform

Parser = Callable[..., pd.DataFrame]

BUILTIN: dict[str, str] = {
    "atlas_photometry": "fphot_provider.parsers.atlas:parse_atlas",
    "ztf_photometry": "fphot_provider.parsers.ztf:parse_ztf",
    "panstarrs_photometry": "fphot_provider.parsers.panstarrs:parse_panstarrs",
    "fink_lsst_photometry": "fphot_provider.parsers.fink:parse_fink_lsst",
    "alerce_lsst_photometry": "fphot_provider.parsers.alerce:parse_alerce_lsst",
    "alerce_ztf_photometry": "fphot_provider.parsers.alerce:parse_alerce_ztf",
}


def _configured() -> dict[str, str]:
    from fphot_provider.storage import _airflow_setting

    raw = _airflow_setting("processors")
    if not raw.strip():
        return {}
    try:
        entries = json.loads(raw)
    except ValueError as err:
        raise ConfigurationError(f"[fphot] processors is not valid JSON: {err}") from None
    if not isinstance(entries, dict) or not all(isinstance(v, str) for v in entries.values()):
        raise ConfigurationError('[fphot] processors must be a JSON object {"type": "module:function"}')
    return entries


def processors() -> dict[str, str]:
    """Every known data product type and the path of its parser."""
    return {**BUILTIN, **_configured()}


def get_parser(data_product_type: str) -> Parser:
    """Import and return the parser registered for ``data_product_type``."""
    known = processors()
    if data_product_type not in known:
        raise ConfigurationError(
            f"no parser for data product type {data_product_type!r}; known: {sorted(known)}. "
            'Add one with [fphot] processors = {"type": "module:function"}'
        )
    return load_object(known[data_product_type], f"parser of {data_product_type!r}")


def parse(data_product_type: str, text: str, *, target: str, **options: Any) -> pd.DataFrame:
    """Parse ``text`` with the registered parser and check the result against the schema."""
    table = get_parser(data_product_type)(text, target=target, **options)
    attrs = dict(table.attrs)
    table = conform(table)
    table.attrs.update(attrs)
    return table
