"""The sink contract: store photometry tables idempotently, read them back per target."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
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
