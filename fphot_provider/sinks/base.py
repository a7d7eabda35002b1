"""The sink contract: store photometry tables idempotently, read them back per target.

Sinks a person browses (file, SQL) also keep a catalogue of their targets for the Light curves
pages: a page of targets at a time with their counts, last epoch, last update and last alert.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from fphot_provider.exceptions import ConfigurationError
from fphot_provider.photometry import KEY, SCHEMA, conform, empty_table


@dataclass(frozen=True)
class WriteResult:
    """What a write did: rows new to the sink, rows that replaced a stored version, rows unchanged."""

    inserted: int
    updated: int
    unchanged: int

    def __add__(self, other: WriteResult) -> WriteResult:
        return WriteResult(
            self.inserted + other.inserted, self.updated + other.updated, self.unchanged + other.unchanged
        )


SORTS = ("name", "updated", "alert")  # the orders a target page can be listed in


@dataclass(frozen=True)
class TargetSummary:
    """One line of the target list: rows per service, the latest epoch, when it changed, its last alert."""

    target: str
    points: dict[str, int]
    last_mjd: float | None
    updated_at: str | None  # ISO 8601 UTC, when a write last changed its rows
    last_alert: dict[str, Any] | None  # a ChangeAlert as a dict, plus "at" (ISO 8601 UTC)


@dataclass(frozen=True)
class TargetPage:
    """A page of the target list and how many targets match in all."""

    items: list[TargetSummary]
    total: int
    offset: int
    limit: int


def check_listing(offset: int, limit: int, sort: str) -> None:
    """Refuse a page request out of range, naming the field (the UI passes these through)."""
    if offset < 0:
        raise ConfigurationError(f"offset: must be >= 0, got {offset}")
    if not 1 <= limit <= 500:
        raise ConfigurationError(f"limit: must be 1 to 500, got {limit}")
    if sort not in SORTS:
        raise ConfigurationError(f"sort: must be one of {SORTS}, got {sort!r}")


class Sink(ABC):
    """Where photometry is kept. Sinks know the schema, never the services.

    A write merges on (target, service, exposure_id): re-running a query, or overlapping windows,
    writes nothing twice. Quality marks (``flags``, ``good``) are stored with the rows.
    """

    @abstractmethod
    def write(self, table: pd.DataFrame) -> WriteResult:
        """Upsert the rows of ``table`` (any number of targets)."""

    def write_product(self, table: pd.DataFrame, product: dict[str, Any]) -> WriteResult:
        """Store ``table``, parsed from the raw ``product`` of a fetch task.

        Sinks that keep raw files too (the TOM's data products) override this; the others only
        need the rows.
        """
        return self.write(table)

    def write_products(self, items: list[tuple[pd.DataFrame, dict[str, Any]]]) -> list[WriteResult]:
        """Store many products' tables (a survey night's chunk); one result per item.

        The default writes each with :meth:`write_product`. Sinks that can merge thousands of
        tables in one transaction (SQL) override it: one write per chunk, not one per target.
        """
        return [self.write_product(table, product) for table, product in items]

    @abstractmethod
    def read(self, target: str) -> pd.DataFrame:
        """Return every stored row of ``target`` (schema columns first), empty if none."""

    def read_many(self, targets: list[str], *, service: str | None = None, raw: bool = True) -> pd.DataFrame:
        """Every stored row of ``targets`` (of one ``service`` if given) in one table.

        Change detection over a chunk reads its targets at once; SQL answers in a few queries.
        ``raw=False`` lets a sink skip the service columns (the report does not need them).
        """
        tables = [self.read(name) for name in targets]
        table = pd.concat([t for t in tables if len(t)] or [empty_table()], ignore_index=True)
        return conform(table if service is None else table[table["service"] == service])

    @abstractmethod
    def describe(self) -> str:
        """A short human description (where the data goes), for logs."""

    def list_targets(self, *, offset: int = 0, limit: int = 50, search: str = "", sort: str = "name") -> TargetPage:
        """A page of the sink's targets (``search``: part of the name, any case).

        Never loads every target: the SQL sink pages in the database, the file sink reads only
        the page's files. Sinks kept elsewhere (a TOM) have their own pages and refuse.
        """
        raise ConfigurationError(f"sink: {self.describe()} cannot list its targets (the file and sql sinks can)")

    def record_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """Keep each target's newest alert for the target list; sinks without a list ignore them."""
        return

    def last_epochs(self, target: str) -> dict[str, float]:
        """The latest stored MJD per service for ``target`` (incremental query windows)."""
        table = self.read(target)
        return {str(k): float(v) for k, v in table.groupby("service", observed=True)["mjd"].max().items()}

    def last_epochs_of(self, targets: list[str], service: str) -> dict[str, float]:
        """The latest stored MJD of ``service`` for each of ``targets`` that has one.

        A survey night asks this for thousands of targets: sinks that can answer in one query
        (SQL) override it; the default reads each target.
        """
        epochs = {name: self.last_epochs(name).get(service) for name in targets}
        return {name: mjd for name, mjd in epochs.items() if mjd is not None}


def newest_alerts(alerts: list[dict[str, Any]], at: str) -> dict[str, dict[str, Any]]:
    """Each target's newest alert (latest epoch, then the strongest), stamped with ``at``."""
    newest: dict[str, dict[str, Any]] = {}
    for alert in alerts:
        kept = newest.get(alert["target"])
        if kept is None or (alert["mjd"], alert["sigma"]) > (kept["mjd"], kept["sigma"]):
            newest[alert["target"]] = {**alert, "at": at}
    return newest


def utc_now() -> str:
    """Now as the catalogue's update and alert times are kept."""
    return iso_utc(datetime.now(UTC))


def iso_utc(moment: datetime) -> str:
    """A UTC time as sortable ISO 8601 text, to the microsecond (two writes a second apart still sort)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compare(existing: pd.DataFrame, new: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Split ``new`` (one row per key) against ``existing``: rows new to it, rows whose values
    changed, and how many are unchanged. Sinks merge with this, so all count alike."""
    old_keys = pd.MultiIndex.from_frame(existing[KEY])
    seen = pd.MultiIndex.from_frame(new[KEY]).isin(old_keys)
    both = conform(new[seen]).sort_values(KEY).reset_index(drop=True)
    if not len(both):
        return new[~seen], both, 0
    new_keys = pd.MultiIndex.from_frame(both[KEY])
    old = conform(existing[old_keys.isin(new_keys)]).sort_values(KEY).reset_index(drop=True)
    same = np.ones(len(both), dtype=bool)
    for col in SCHEMA:
        x, y = _comparable(old[col]), _comparable(both[col])
        same &= ((x == y).fillna(False) | (x.isna() & y.isna())).to_numpy(dtype=bool)
    return new[~seen], both[~same], int(same.sum())


def _comparable(column: pd.Series) -> pd.Series:
    """Categoricals with different category sets cannot be compared: compare their values."""
    return column.astype("string") if isinstance(column.dtype, pd.CategoricalDtype) else column


def option_flag(name: str, value: bool | str) -> bool:
    """A yes/no sink option from a spec string (``create_targets=true``); anything else is an error."""
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigurationError(f"sink: option {name} must be true or false, got {value!r}")
