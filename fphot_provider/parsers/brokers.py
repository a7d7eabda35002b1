"""What the alert brokers' parsers share: JSON rows, exact ids, Rubin units and bands, windows.

Brokers answer JSON lists of row objects. Rubin ids (diaObjectId, diaForcedSourceId,
measurement_id) exceed 2**53: they are read from the decoded JSON (Python integers are
exact) straight into strings, never through a float column. Rubin fluxes are nJy and epochs
``midpointMjdTai`` (TAI, mid-exposure).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from fphot_provider.exceptions import TableParseError
from fphot_provider.photometry import assemble, flags_from_masks, flux_to_photometry

NJY_PER_UJY = 1000.0
LSST_BANDS = "ugrizy"


def json_rows(text: str, service: str, required: Iterable[str]) -> list[dict[str, Any]]:
    """The answer's rows; a TableParseError naming the service and what was wrong."""
    try:
        rows = json.loads(text)
    except ValueError as err:
        raise TableParseError(f"{service}: not JSON ({err}): {text[:80]!r}") from None
    if not isinstance(rows, list):
        raise TableParseError(f"{service}: expected a JSON list of rows, got {type(rows).__name__}")
    needed = tuple(required)
    for number, row in enumerate(rows):
        if not isinstance(row, dict):
            raise TableParseError(f"{service}: row {number} is a {type(row).__name__}, not an object")
        missing = [name for name in needed if name not in row]
        if missing:
            raise TableParseError(f"{service}: row {number} lacks {missing} (has {sorted(row)[:8]})")
    return rows


def exact_ids(rows: list[dict[str, Any]], name: str, service: str) -> np.ndarray:
    """A column of ids as strings, exactly as the JSON wrote them (never via float)."""
    ids = []
    for number, row in enumerate(rows):
        value = row.get(name)
        if value is None or isinstance(value, float) or str(value).strip() == "":
            raise TableParseError(f"{service}: row {number} has no exact {name} ({value!r})")
        ids.append(str(value))
    return np.asarray(ids, dtype=object)


def frame(rows: list[dict[str, Any]], id_columns: Iterable[str]) -> pd.DataFrame:
    """The rows as a DataFrame whose id columns hold exact strings."""
    table = pd.DataFrame.from_records(rows)
    for name in id_columns:
        if name in table:
            table[name] = [None if row.get(name) is None else str(row[name]) for row in rows]
    return table


def numbers(table: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric column as floats (missing or non-numeric -> NaN)."""
    return pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def lsst_filters(bands: Iterable[Any], service: str) -> pd.Categorical:
    """Rubin band letters -> ``LSST.u`` ... ``LSST.y``; anything else is an error."""
    letters = [str(band).strip() for band in bands]
    unknown = sorted({band for band in letters if band not in LSST_BANDS or not band})
    if unknown:
        raise TableParseError(f"{service}: band outside {list(LSST_BANDS)}: {unknown[:5]}")
    return pd.Categorical([f"LSST.{band}" for band in letters])


def in_window(table: pd.DataFrame, mjd: np.ndarray, mjd_min: float | None, mjd_max: float | None) -> np.ndarray:
    """Rows inside the asked window (brokers answer whole histories; the query names a window)."""
    keep = np.ones(len(table), dtype=bool)
    if mjd_min is not None and not (isinstance(mjd_min, float) and math.isnan(mjd_min)):
        keep &= mjd >= float(mjd_min)
    if mjd_max is not None and not (isinstance(mjd_max, float) and math.isnan(mjd_max)):
        keep &= mjd <= float(mjd_max)
    return keep


def windowed(
    raw: pd.DataFrame, ids: np.ndarray, mjd: np.ndarray, mjd_min: float | None, mjd_max: float | None
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The rows (with their ids and UTC epochs) inside the asked window."""
    keep = in_window(raw, mjd, mjd_min, mjd_max)
    return raw[keep].reset_index(drop=True), ids[keep], mjd[keep]


def rubin_table(
    raw: pd.DataFrame,
    mapped: frozenset[str],
    *,
    service: str,
    target: str,
    bands: Iterable[Any],
    rubin: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    snr_threshold: float,
    masks: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Rubin diaForcedSources into the schema, whichever broker listed them.

    :param rubin: (exact ids, UTC MJD of the midpoints, psfFlux nJy, psfFluxErr nJy).
    :param masks: the broker's own quality marks, beside "no_measurement".
    """
    ids, mjd, flux_njy, err_njy = rubin
    flux, err = flux_njy / NJY_PER_UJY, err_njy / NJY_PER_UJY
    flags, good = flags_from_masks({"no_measurement": ~np.isfinite(flux) | ~(err > 0), **(masks or {})}, len(raw))
    return assemble(
        raw,
        mapped,
        target=target,
        service=service,
        filters=lsst_filters(bands, service),
        mjd=mjd,
        time_ref="mid",
        flux=flux,
        flux_err=err,
        photometry=flux_to_photometry(flux, err, snr_threshold),
        flags=flags,
        good=good,
        exposure_id=ids,
    )


def first_of_each(table: pd.DataFrame, ids: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, int]:
    """Each exposure once (an object asked twice may be listed twice); how many were dropped."""
    duplicated = pd.Series(ids).duplicated(keep="first").to_numpy()
    if not duplicated.any():
        return table, ids, 0
    return table[~duplicated].reset_index(drop=True), ids[~duplicated], int(duplicated.sum())
