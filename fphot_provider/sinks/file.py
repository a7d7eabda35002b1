"""The embedded default sink: one Parquet (or CSV) dataset per target under a root folder."""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from fphot_provider.exceptions import SinkError
from fphot_provider.photometry import KEY, SCHEMA, conform, empty_table
from fphot_provider.sinks.base import (
    Sink,
    TargetPage,
    TargetSummary,
    WriteResult,
    check_listing,
    compare,
    iso_utc,
    newest_alerts,
    utc_now,
)
from fphot_provider.storage import atomic_write, data_dir, locked
from fphot_provider.targets import safe_name

FORMATS = ("parquet", "csv")
# Read from CSV as text, never inferred: target "007" stays "007" (conform makes them categories).
TEXT_COLUMNS = {name: "string" for name, dtype in SCHEMA.items() if dtype in ("string", "category")}


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

    def list_targets(self, *, offset: int = 0, limit: int = 50, search: str = "", sort: str = "name") -> TargetPage:
        """List the dataset files (names and times only), then read three columns of the page's files."""
        check_listing(offset, limit, sort)
        needle = safe_name(search).lower() if search.strip() else ""
        suffix = f".{self.format}"
        folder = self.root / "photometry"
        entries = [
            entry
            for entry in (os.scandir(folder) if folder.is_dir() else [])
            if entry.name.endswith(suffix) and needle in entry.name[: -len(suffix)].lower()
        ]
        alerts = self._alerts()
        entries.sort(key=lambda entry: entry.name)
        if sort == "updated":
            entries.sort(key=lambda entry: -entry.stat().st_mtime)
        elif sort == "alert":  # alerted first, newest first; stable: by name within
            entries.sort(key=lambda entry: alerts.get(entry.name[: -len(suffix)], {}).get("at") or "", reverse=True)
        page = entries[offset : offset + limit]
        return TargetPage([self._summary(e, alerts) for e in page], len(entries), offset, limit)

    def _summary(self, entry: os.DirEntry, alerts: dict[str, dict[str, Any]]) -> TargetSummary:
        path = Path(entry.path)
        rows = self._read(path, ["target", "service", "mjd"])
        name = str(rows["target"].iloc[0]) if len(rows) else path.stem
        points = {str(k): int(v) for k, v in rows.groupby("service", observed=True).size().items()}
        updated = iso_utc(datetime.fromtimestamp(entry.stat().st_mtime, UTC))
        last = float(rows["mjd"].max()) if len(rows) else None
        return TargetSummary(name, points, last, updated, alerts.get(path.stem))

    def _alerts_path(self) -> Path:
        return self.root / "photometry" / "_alerts.json"

    def _alerts(self) -> dict[str, dict[str, Any]]:
        """Each target's newest alert, by file name."""
        path = self._alerts_path()
        return json.loads(path.read_text()) if path.exists() else {}

    def record_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """Merge the night's newest alert per target into ``photometry/_alerts.json`` (atomic, locked)."""
        newest = newest_alerts(alerts, utc_now())
        if not newest:
            return
        path = self._alerts_path()
        with locked(path):
            kept = self._alerts()
            kept.update({safe_name(name): alert for name, alert in newest.items()})
            atomic_write(path, json.dumps(kept, sort_keys=True).encode())

    def _write_target(self, target: str, rows: pd.DataFrame) -> WriteResult:
        path = self.path_for(target)
        with locked(path):
            existing = self._load(path) if path.exists() else conform(empty_table())
            merged, result = merge(existing, rows)
            if result.inserted or result.updated:
                atomic_write(path, self._dump(merged))
        return result

    def _load(self, path: Path) -> pd.DataFrame:
        return conform(self._read(path))

    def _read(self, path: Path, columns: list[str] | None = None) -> pd.DataFrame:
        """A dataset file as stored (only ``columns`` if given); a file that cannot be read is a SinkError."""
        try:
            if self.format == "parquet":
                return pd.read_parquet(path, columns=columns)
            return pd.read_csv(path, usecols=columns, dtype=TEXT_COLUMNS, keep_default_na=True)
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
