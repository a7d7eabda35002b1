"""A sink into a TOM Toolkit: photometry shows in the TOM's light curve, raw files as data products.

For each (target, service) the TOM holds fphot's rows as *batches*: a data product of type
``fphot_photometry`` (a Parquet file of the full rows, flags included) and, linked to it, one
photometry reduced datum per good row, with the fields TOM's own processors write. A write
adds one batch with the rows new to the TOM; a changed row replaces its batch: the new file is
uploaded, the old product deleted (its datums go with it), the new datums posted. A batch whose
datums are short (a write cut off) is completed on the next write. Why batches: see
:mod:`fphot_provider.wire.tom`.

Spec: ``tom`` or ``tom:conn_id=my_tom,create_targets=true,include_flagged=false,workers=4``.
"""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from fphot_provider.exceptions import ConfigurationError, SinkError
from fphot_provider.hooks.tom import TomHook
from fphot_provider.photometry import KEY, conform, empty_table
from fphot_provider.sinks.base import Sink, WriteResult, compare, option_flag
from fphot_provider.wire.tom import (
    TABLE_TYPE,
    batch_prefix,
    content_id,
    datums,
    distinct_points,
    extra_data,
)


class TomSink(Sink):
    """Write photometry into a TOM through its REST API.

    :param conn_id: the ``fphot_tom`` Connection.
    :param create_targets: create a missing TOM target (from the product's RA/Dec) instead of
        failing; off by default, as a TOM's target list is usually curated.
    :param include_flagged: also draw rows with quality flags (they are always in the batch file).
    :param workers: datums posted in parallel (one request each).
    :param root: unused (the TOM keeps the files); accepted like every sink's option.
    """

    def __init__(
        self,
        conn_id: str = "fphot_tom",
        create_targets: bool | str = False,
        include_flagged: bool | str = False,
        workers: int | str = 4,
        root: Any = None,
    ) -> None:
        self.hook = TomHook(conn_id)
        self.create_targets = option_flag("create_targets", create_targets)
        self.include_flagged = option_flag("include_flagged", include_flagged)
        self.workers = int(workers)
        if not 1 <= self.workers <= 32:
            raise ConfigurationError(f"sink: tom workers must be 1..32, got {self.workers}")

    def describe(self) -> str:
        return f"TOM at {self.hook.base_url} (Connection {self.hook.conn_id!r})"

    # --- writing -------------------------------------------------------------------------------
    def write(self, table: pd.DataFrame) -> WriteResult:
        total = WriteResult(0, 0, 0)
        for name, rows in conform(table).groupby("target", sort=False, observed=True):
            total = total + self._write_target(self._target(str(name)), rows)
        return total

    def write_product(self, table: pd.DataFrame, product: dict[str, Any]) -> WriteResult:
        """Also keep the raw service files, as data products of the service's type."""
        spec = product["target"]
        target = self._target(spec["name"], spec.get("ra"), spec.get("dec"))
        for path in product.get("raw_paths", []):
            self._upload_raw(target, product["service"], product["data_product_type"], Path(path))
        return self._write_target(target, conform(table))

    def _write_target(self, target: dict[str, Any], rows: pd.DataFrame) -> WriteResult:
        total = WriteResult(0, 0, 0)
        for service, part in rows.groupby("service", sort=False, observed=True):
            total = total + self._write_service(target, str(service), part)
        return total

    def _target(self, name: str, ra: float | None = None, dec: float | None = None) -> dict[str, Any]:
        found = self.hook.find_target(name)
        if found is not None:
            return found
        if self.create_targets and ra is not None and dec is not None:
            return self.hook.create_target(name, float(ra), float(dec))
        hint = "set create_targets=true in the sink spec" if self.create_targets is False else "RA/Dec are unknown here"
        raise SinkError(f"tom sink: no target named {name!r} in {self.describe()}; add it in the TOM or {hint}")

    def _upload_raw(self, target: dict[str, Any], service: str, product_type: str, path: Path) -> None:
        content = path.read_bytes()
        self._upload(target, content_id(target["id"], service, "raw", content), product_type, path.name, content)

    def _upload(
        self, target: dict[str, Any], product_id: str, product_type: str, filename: str, content: bytes, extra: str = ""
    ) -> dict[str, Any]:
        """Upload a file once; refuse a type the TOM reduces itself (its points would be drawn twice)."""
        product, new = self.hook.upload(target["id"], product_id, product_type, filename, content, extra)
        if new and self.hook.count_points(data_product__id=product["id"]):
            self.hook.delete_product(product["id"])
            raise ConfigurationError(
                f"tom sink: the TOM reduced the {product_type!r} file itself (DATA_PROCESSORS maps that type), "
                "so every point would be drawn twice; remove the type from DATA_PROCESSORS in the TOM's settings.py"
            )
        return product

    def _write_service(self, target: dict[str, Any], service: str, rows: pd.DataFrame) -> WriteResult:
        batches = self._batches(target, service)
        self._complete(target, batches)
        stored = pd.concat([b.rows for b in batches], ignore_index=True) if batches else conform(empty_table())
        rows = rows.drop_duplicates(subset=KEY, keep="last")
        inserted, changed, unchanged = compare(stored, rows)
        if len(inserted):
            self._add_batch(target, service, inserted)
        for batch in batches:
            replacing = changed[changed["exposure_id"].isin(batch.rows["exposure_id"])]
            if len(replacing):
                self._replace_batch(target, service, batch, replacing)
        return WriteResult(len(inserted), len(changed), unchanged)

    def _add_batch(self, target: dict[str, Any], service: str, rows: pd.DataFrame) -> None:
        content = _parquet(rows)
        points = datums(rows, target["id"], None, self.include_flagged)
        product = self._upload(
            target,
            content_id(target["id"], service, "batch", content),
            TABLE_TYPE,
            f"fphot_{service}_{len(rows)}_rows.parquet",
            content,
            extra_data(service, len(rows), distinct_points(points)),
        )
        self._post(product, [{**point, "data_product": product["id"]} for point in points])

    def _replace_batch(self, target: dict[str, Any], service: str, batch: Batch, changed: pd.DataFrame) -> None:
        """Delete first: the new points may equal old ones, which the TOM would fold into the old."""
        kept = batch.rows[~batch.rows["exposure_id"].isin(changed["exposure_id"])]
        self.hook.delete_product(batch.product["id"])
        self._add_batch(target, service, pd.concat([kept, changed], ignore_index=True))

    def _complete(self, target: dict[str, Any], batches: list[Batch]) -> None:
        """Post the missing datums of a batch a cut-off write left short (posting is idempotent).

        Only the newest batch can be short: every write checks the points of each batch it
        adds, and starts by completing this one, before it adds another.
        """
        if batches and self.hook.count_points(data_product__id=batches[-1].product["id"]) < batches[-1].points:
            newest = batches[-1]
            self._post(newest.product, datums(newest.rows, target["id"], newest.product["id"], self.include_flagged))

    def _post(self, product: dict[str, Any], points: list[dict[str, Any]]) -> None:
        """Post ``points`` in parallel, then check the TOM holds them all."""
        with ThreadPoolExecutor(self.workers) as pool:
            list(pool.map(self.hook.post_datum, points))
        held, expected = self.hook.count_points(data_product__id=product["id"]), distinct_points(points)
        if held < expected:
            raise SinkError(f"tom sink: the TOM holds {held} of {expected} points of product {product['product_id']}")

    # --- reading -------------------------------------------------------------------------------
    def _batches(self, target: dict[str, Any], service: str | None = None) -> list[Batch]:
        prefix = batch_prefix(target["id"], service)
        found = [
            p
            for p in self.hook.products(target)
            if p["data_product_type"] == TABLE_TYPE and (p["product_id"] or "").startswith(prefix)
        ]
        return [Batch(p, _read_parquet(self.hook.download(p))) for p in found]

    def read(self, target: str) -> pd.DataFrame:
        found = self.hook.find_target(target)
        batches = self._batches(found) if found else []
        if not batches:
            return conform(empty_table())
        rows = pd.concat([b.rows for b in batches], ignore_index=True).drop_duplicates(subset=KEY, keep="last")
        return conform(rows.sort_values(["mjd", "service", "exposure_id"], kind="stable"))


@dataclass
class Batch:
    """One fphot batch in the TOM: its data product and the rows of its file."""

    product: dict[str, Any]
    rows: pd.DataFrame

    @property
    def points(self) -> int:
        """How many datums the batch should have (recorded in ``extra_data`` at upload)."""
        try:
            return int(json.loads(self.product.get("extra_data") or "{}")["fphot"]["points"])
        except (ValueError, KeyError, TypeError):
            return 0


def _parquet(rows: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    conform(rows).sort_values(["mjd", "exposure_id"], kind="stable").to_parquet(buffer, index=False)
    return buffer.getvalue()


def _read_parquet(content: bytes) -> pd.DataFrame:
    try:
        return conform(pd.read_parquet(io.BytesIO(content)))
    except (OSError, ValueError) as err:
        raise SinkError(f"tom sink: a batch file is not fphot's Parquet: {err}") from err
