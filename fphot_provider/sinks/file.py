"""The embedded default sink: one Parquet (or CSV) dataset per target under a root folder."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from fphot_provider.exceptions import SinkError
from fphot_provider.photometry import KEY, SCHEMA, conform, empty_table
from fphot_provider.sinks.base import Sink, WriteResult, compare
from fphot_provider.storage import atomic_write, data_dir, locked
from fphot_provider.targets import safe_name

FORMATS = ("parquet", "csv")


class FileSink(Sink):
    """Store each target's photometry in ``<root>/photometry/<target>.<format>``.

    Writes are atomic (temp file + rename) under a per-dataset lock, so parallel tasks
    writing one target (ATLAS and ZTF branches) lose nothing.

    :param root: the data root; default :func:`fphot_provider.storage.data_dir`.
    :param format: ``parquet`` (default) or ``csv``.
    """

    def __init__(self, root: str | Path | None = None, format: str = "parquet") -> None:
        if format not in FORMATS:
            raise SinkError(f"file sink format must be one of {FORMATS}, got {format!r}")
        self.root = data_dir(root)
        self.format = format

    def path_for(self, target: str) -> Path:
        return self.root / "photometry" / f"{safe_name(target)}.{self.format}"

    def describe(self) -> str:
        return f"file sink ({self.format}) at {self.root / 'photometry'}"

    def write(self, table: pd.DataFrame) -> WriteResult:
        total = WriteResult(0, 0, 0)
        for target, rows in conform(table).groupby("target", sort=False):
            total = total + self._write_target(str(target), rows)
        return total

    def read(self, target: str) -> pd.DataFrame:
        path = self.path_for(target)
        if not path.exists():
            return conform(empty_table())
        return self._load(path)

    def _write_target(self, target: str, rows: pd.DataFrame) -> WriteResult:
        path = self.path_for(target)
        with locked(path):
            existing = self._load(path) if path.exists() else conform(empty_table())
            merged, result = merge(existing, rows)
            if result.inserted or result.updated:
                atomic_write(path, self._dump(merged))
        return result

    def _load(self, path: Path) -> pd.DataFrame:
        try:
            if self.format == "parquet":
                return conform(pd.read_parquet(path))
            return conform(
                pd.read_csv(path, dtype={k: v for k, v in SCHEMA.items() if v == "string"}, keep_default_na=True)
            )
        except (OSError, ValueError) as err:
            raise SinkError(f"cannot read {path}: {err}") from err

    def _dump(self, table: pd.DataFrame) -> bytes:
        buffer = io.BytesIO()
        if self.format == "parquet":
            table.to_parquet(buffer, index=False)
        else:
            table.to_csv(buffer, index=False)
        return buffer.getvalue()


def merge(existing: pd.DataFrame, new: pd.DataFrame) -> tuple[pd.DataFrame, WriteResult]:
    """Upsert ``new`` into ``existing`` on (target, service, exposure_id); count what changed.

    A key seen twice in ``new`` keeps its last row. Rows are kept sorted by (mjd, service,
    exposure_id) so equal content gives equal files.
    """
    new = new.drop_duplicates(subset=KEY, keep="last")
    inserted, changed, unchanged = compare(existing, new)
    kept = existing[~pd.MultiIndex.from_frame(existing[KEY]).isin(pd.MultiIndex.from_frame(new[KEY]))]
    frames = [f for f in (kept, new) if len(f)]
    merged = pd.concat(frames, ignore_index=True) if frames else existing
    merged = conform(merged.sort_values(["mjd", "service", "exposure_id"], kind="stable"))
    return merged, WriteResult(len(inserted), len(changed), unchanged)
