"""A survey night's store step: parse a chunk of raw products, write them at once, look for changes.

Thousands of products a night cannot each be a transaction and a read: the chunk is parsed
product by product (a bad file is reported alone), written in one call to the sink
(:meth:`~fphot_provider.sinks.base.Sink.write_products`), and the targets whose rows changed
are read back in one call per service to look for significant changes. The chunks run in
parallel, so the report at the end only sorts what they found.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

from fphot_provider.exceptions import ConfigurationError, FphotError
from fphot_provider.monitoring import detect_changes
from fphot_provider.processing import process_product
from fphot_provider.sinks.base import Sink, WriteResult
from fphot_provider.storage import atomic_write, data_dir
from fphot_provider.targets import safe_name

Item = tuple[pd.DataFrame, dict[str, Any]]
MANIFESTS = "store-chunks"


def write_manifests(chunks: list[list[dict[str, Any]]], run_id: str, root: Path | None = None) -> list[str]:
    """Keep each store chunk's products in a file under the data root; return the paths.

    A night's products (30,000 for 10,000 targets) are megabytes of JSON: passed through XCom,
    every mapped store task pulled the whole list from the API server at once, and some timed
    out. Each task now gets one path and reads only its own chunk. The data root is shared by
    the workers already (the raw files live there).
    """
    folder = data_dir(root) / MANIFESTS / safe_name(run_id)
    paths = []
    for number, chunk in enumerate(chunks):
        path = folder / f"chunk-{number:04d}.json"
        atomic_write(path, json.dumps(chunk).encode("utf-8"))
        paths.append(str(path))
    return paths


def read_manifest(products: list[dict[str, Any]] | str) -> list[dict[str, Any]]:
    """A store chunk's products: given as they are, or as the path of their manifest."""
    if not isinstance(products, str):
        return list(products or [])
    try:
        return json.loads(Path(products).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ConfigurationError(f"store chunk manifest {products} cannot be read: {err}") from err


def forget_manifests(paths: list[str]) -> None:
    """Remove a night's manifests once every chunk is stored (kept otherwise, for a re-run)."""
    for path in paths:
        Path(path).unlink(missing_ok=True)
    folders = {Path(path).parent for path in paths}
    for folder in folders:
        if folder.exists() and not any(folder.iterdir()):
            folder.rmdir()


def store_chunk(
    products: list[dict[str, Any]],
    sink: Sink,
    parser_options: dict[str, Any],
    log: Any,
    alert_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Parse, write and (with ``alert_options``) check a chunk; per-product results and failures.

    :param alert_options: keyword arguments of :func:`~fphot_provider.monitoring.detect_changes`
        (``min_sigma``, ``min_delta_mag``); None: no change detection.
    """
    items, failures = [], []
    for product in products:
        try:
            items.append((process_product(product, **parser_options), product))
        except FphotError as err:
            failures.append(_failure(product, err))
    items, results, write_failures = _write(sink, items, log)
    failures += write_failures
    for (table, product), result in zip(items, results, strict=True):
        _log_product(log, table, product, result)
    alerts = chunk_alerts(sink, items, results, alert_options) if alert_options is not None else []
    log.info(
        "stored %d products into %s: %d rows new, %d updated; %d failures, %d alerts",
        len(items),
        sink.describe(),
        sum(r.inserted for r in results),
        sum(r.updated for r in results),
        len(failures),
        len(alerts),
    )
    return {
        "results": [
            product_result(table, product, result) for (table, product), result in zip(items, results, strict=True)
        ],
        "failures": failures,
        "alerts": [alert.to_dict() for alert in alerts],
    }


def _write(sink: Sink, items: list[Item], log: Any) -> tuple[list[Item], list[WriteResult], list[dict[str, Any]]]:
    """One write for the chunk; if it fails, product by product, so only the bad one is reported."""
    try:
        return items, sink.write_products(items), []
    except FphotError as err:
        log.warning("writing the chunk at once failed (%s); writing product by product", err)
    kept, results, failures = [], [], []
    for table, product in items:
        try:
            results.append(sink.write_product(table, product))
            kept.append((table, product))
        except FphotError as err:
            failures.append(_failure(product, err))
    return kept, results, failures


def chunk_alerts(sink: Sink, items: list[Item], results: list[WriteResult], options: dict[str, Any]) -> list[Any]:
    """Significant changes among the products whose rows changed: one history read per service."""
    changed: dict[str, list[Item]] = defaultdict(list)
    for (table, product), result in zip(items, results, strict=True):
        if result.inserted or result.updated:
            changed[product["service"]].append((table, product))
    alerts = []
    for service, pairs in changed.items():
        starts = {product["target"]["name"]: _asked_from(product) for _, product in pairs}
        history = sink.read_many(list(starts), service=service, raw=False)
        history = history[history["mjd"] < history["target"].astype(str).map(starts).to_numpy(dtype=float)]
        if history.empty:  # a first night: nothing stored before tonight's windows
            continue
        new = pd.concat([table[table["mjd"] >= starts[product["target"]["name"]]] for table, product in pairs])
        alerts += detect_changes(history, new.reset_index(drop=True), **options)
    return alerts


def _asked_from(product: dict[str, Any]) -> float:
    """The start of the window asked tonight: rows from it on are tonight's news."""
    start = (product.get("window") or {}).get("mjd_min")
    return float("-inf") if start is None else float(start)


def _failure(product: dict[str, Any], err: Exception) -> dict[str, Any]:
    return {"service": product["service"], "target": product["target"]["name"], "error": str(err)}


def product_result(table: pd.DataFrame, product: dict[str, Any], result: WriteResult) -> dict[str, Any]:
    """What a product's store did, for the run's summary (JSON primitives)."""
    return {
        "service": product["service"],
        "target": product["target"]["name"],
        "rows": len(table),
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
    }


def _log_product(log: Any, table: pd.DataFrame, product: dict[str, Any], result: WriteResult) -> None:
    dropped = table.attrs.get("duplicates_dropped", 0)
    if dropped:
        log.warning(
            "%s listed %d exposures of %s twice; kept one row each",
            product["service"],
            dropped,
            product["target"]["name"],
        )
    log.debug("%s %s: %d rows, %s", product["service"], product["target"]["name"], len(table), result)
