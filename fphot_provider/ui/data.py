"""What the Light curves pages show, read from the configured sink: pages of targets, one target's points.

The pages never see a sink spec from a request: the sink is chosen by the deployment in
``[fphot] ui_sink`` (default ``file``), so a URL cannot point the API server at another database.
"""

from __future__ import annotations

import io
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from fphot_provider.exceptions import ConfigurationError
from fphot_provider.plotting import flux_linear_range, series_style
from fphot_provider.sinks import Sink, get_sink
from fphot_provider.targets import safe_name

POINT_COLUMNS = {  # payload name -> table column
    "mjd": "mjd",
    "flux": "flux_ujy",
    "flux_err": "flux_err_ujy",
    "mag": "mag",
    "mag_err": "mag_err",
    "limit": "limit_mag",
    "detected": "detected",
    "good": "good",
    "flags": "flags",
    "exposure_id": "exposure_id",
}
DOWNLOADS = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


def configured_sink() -> Sink:
    """The sink named in ``[fphot] ui_sink`` (a sink spec, as the DAGs' ``sink`` param)."""
    from airflow.configuration import conf

    return get_sink(conf.get("fphot", "ui_sink", fallback="file") or "file")


def stored_rows(sink: Sink, target: str) -> pd.DataFrame:
    """Every stored row of ``target``; a target the sink does not hold is a LookupError (404)."""
    table = sink.read(target)
    if table.empty:
        raise LookupError(f"target {target!r}: no rows in the sink")
    return table


def target_page(sink: Sink, *, offset: int, limit: int, search: str, sort: str) -> dict[str, Any]:
    """A page of the target list as JSON-ready data."""
    page = sink.list_targets(offset=offset, limit=limit, search=search, sort=sort)
    return {**asdict(page), "sink": sink.describe()}


def light_curve(table: pd.DataFrame, target: str) -> dict[str, Any]:
    """One target's rows (not empty: :func:`stored_rows`) as columns, sorted by time (compact JSON:
    10,000 points are about 1 MB).

    ``series`` names each (service, filter) once with the colour the PNG uses; ``points.series``
    indexes it. Missing values are null. ``linear_within``: as the PNG's symlog threshold, set
    when a peak dwarfs the noise (the page then compresses the flux axis, linear near zero).
    """
    table = table.sort_values(["mjd", "service", "exposure_id"], kind="stable")
    pairs = table[["service", "filter"]].astype(str)
    groups = pairs.groupby(["service", "filter"], sort=True)
    series = [_series(service, band) for service, band in groups.groups]
    points = {name: _column(table[column]) for name, column in POINT_COLUMNS.items()}
    points["series"] = groups.ngroup().tolist()  # the index into ``series``, in the same sorted order
    linear_within = flux_linear_range(table)
    return {"target": target, "rows": len(table), "series": series, "points": points, "linear_within": linear_within}


def _series(service: str, band: str) -> dict[str, str | None]:
    label, color = series_style(band, service)
    return {"service": service, "filter": band, "label": label, "color": color}


def _column(values: pd.Series) -> list[Any]:
    if values.dtype == bool:
        return values.tolist()
    if pd.api.types.is_float_dtype(values.dtype):
        array = values.to_numpy(float)
        out = array.round(6).astype(object)
        out[~np.isfinite(array)] = None
        return out.tolist()
    return values.astype(object).where(values.notna(), None).tolist()


def download(table: pd.DataFrame, target: str, fmt: str) -> tuple[bytes, str, str]:
    """Every stored row of a target (service columns too) as CSV or Parquet: body, media type, file name."""
    if fmt not in DOWNLOADS:
        raise ConfigurationError(f"format: must be one of {sorted(DOWNLOADS)}, got {fmt!r}")
    buffer = io.BytesIO()
    if fmt == "csv":
        table.to_csv(buffer, index=False)
    else:
        table.to_parquet(buffer, index=False)
    return buffer.getvalue(), DOWNLOADS[fmt], f"{safe_name(target)}.{fmt}"
