"""The sink contract: store photometry tables idempotently, read them back per target."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import pandas as pd


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

    @abstractmethod
    def read(self, target: str) -> pd.DataFrame:
        """Return every stored row of ``target`` (schema columns first), empty if none."""

    @abstractmethod
    def describe(self) -> str:
        """A short human description (where the data goes), for logs."""

    def last_epochs(self, target: str) -> dict[str, float]:
        """The latest stored MJD per service for ``target`` (incremental query windows)."""
        table = self.read(target)
        return {str(k): float(v) for k, v in table.groupby("service", observed=True)["mjd"].max().items()}
