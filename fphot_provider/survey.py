"""Survey monitoring helpers: where the target list comes from, and what to ask each night.

Used by ``dags/fphot_survey_monitor.py``; pure apart from reading the target source and the
sink, so each step is testable alone.
"""

from __future__ import annotations

import csv
import json
from typing import Any

from fphot_provider.exceptions import ConfigurationError, InvalidQueryError
from fphot_provider.sinks.base import Sink
from fphot_provider.targets import MJD_LOWEST, Target
from fphot_provider.wire.atlas import MAX_BATCH

SOURCES = ("csv:PATH", "variable:NAME", "sql:CONN_ID:TABLE")


def load_targets(source: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Read and validate the target list; bad rows are reported, not fatal.

    :param source: ``csv:PATH`` (columns name, ra, dec), ``variable:NAME`` (an Airflow Variable
        holding a JSON list of ``{"name", "ra", "dec"}``) or ``sql:CONN_ID:TABLE`` (columns
        name, ra, dec).
    :returns: the valid targets (as dicts) and one message per rejected row.
    """
    kind, _, rest = (source or "").partition(":")
    readers = {"csv": _from_csv, "variable": _from_variable, "sql": _from_sql}
    if kind not in readers or not rest:
        raise ConfigurationError(f"targets: source {source!r} must be one of {SOURCES}")
    return validate_rows(readers[kind](rest))


def validate_rows(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    targets, errors, seen = [], [], set()
    for number, row in enumerate(rows, start=1):
        try:
            target = Target.parse(row.get("name"), row.get("ra"), row.get("dec"))
        except InvalidQueryError as err:
            errors.append(f"row {number}: {err}")
            continue
        if target.name in seen:
            errors.append(f"row {number}: {target.name!r} listed twice; kept the first")
            continue
        seen.add(target.name)
        targets.append(target.to_dict())
    return targets, errors


def _from_csv(path: str) -> list[dict[str, Any]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(handle)]


def _from_variable(name: str) -> list[dict[str, Any]]:
    from airflow.sdk import Variable

    value = Variable.get(name)
    rows = json.loads(value) if isinstance(value, str) else value
    if not isinstance(rows, list):
        raise ConfigurationError(f"targets: Variable {name!r} must hold a JSON list of {{name, ra, dec}}")
    return rows


def _from_sql(spec: str) -> list[dict[str, Any]]:
    conn_id, _, table = spec.partition(":")
    if not table.replace("_", "").replace(".", "").isalnum():
        raise ConfigurationError(f"targets: table name {table!r} is not a plain identifier")
    from airflow.sdk import BaseHook

    hook = BaseHook.get_connection(conn_id).get_hook()
    return [{"name": n, "ra": r, "dec": d} for n, r, d in hook.get_records(f"SELECT name, ra, dec FROM {table}")]


def incremental_windows(
    targets: list[dict[str, Any]], service: str, sink: Sink, end_mjd: float, *, overlap_days: float, first_days: float
) -> list[dict[str, Any]]:
    """One query per target: from the last stored epoch (minus an overlap) to ``end_mjd``.

    A target never seen before gets the last ``first_days``. The overlap re-asks a few nights
    (late-processed epochs); the sink's upsert makes that free of duplicates. The sink is asked
    once for all targets (one query on a SQL sink).
    """
    known = sink.last_epochs_of([target["name"] for target in targets], service)
    queries = []
    for target in targets:
        last = known.get(target["name"])
        start = (last - overlap_days) if last is not None else (end_mjd - first_days)
        queries.append(
            {
                "target_name": target["name"],
                "ra": target["ra"],
                "dec": target["dec"],
                "mjd_min": round(max(start, MJD_LOWEST), 5),
                "mjd_max": round(end_mjd, 5),
            }
        )
    return queries


def batches(queries: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """Group per-target queries into batches of up to ``size`` with one window each.

    Queries are sorted by window start first, so targets with alike windows share a batch (a new
    target's long first window does not stretch its neighbours'); each batch asks from the
    earliest start of its group, so no target asks for less than it needs.
    """
    ordered = sorted(queries, key=lambda q: (q["mjd_min"], q["target_name"]))
    groups = [ordered[i : i + size] for i in range(0, len(ordered), size)]
    return [
        {
            "targets": [{"name": q["target_name"], "ra": q["ra"], "dec": q["dec"]} for q in group],
            "mjd_min": min(q["mjd_min"] for q in group),
            "mjd_max": max(q["mjd_max"] for q in group),
        }
        for group in groups
    ]


def atlas_batches(queries: list[dict[str, Any]], size: int = MAX_BATCH) -> list[dict[str, Any]]:
    """ATLAS ``radeclist`` batches of up to 100 targets."""
    return batches(queries, size)


def chunks(items: list[Any], size: int) -> list[list[Any]]:
    """Consecutive chunks of up to ``size`` items: the unit a mapped task instance works on."""
    return [items[i : i + size] for i in range(0, len(items), max(1, size))]
