"""The one photometry table every parser emits and every sink stores.

One row per measurement. ``mjd`` is UTC: ATLAS and ZTF report the exposure start, PanSTARRS the
exposure midpoint (converted from TAI); ``time_ref`` says which. Non-detections are rows with
``detected = False`` and a ``limit_mag``. Quality cuts never drop a row: they name the problems
in ``flags`` (``|``-separated, empty when clean) and set ``good = False``. Service columns
that do not map onto the schema are kept as ``raw_<name>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from fphot_provider.exceptions import TableParseError

# name -> pandas dtype; the order is the order of the stored columns.
SCHEMA: dict[str, str] = {
    "target": "string",
    "service": "string",
    "filter": "string",
    "mjd": "float64",
    "time_ref": "string",
    "flux_ujy": "float64",
    "flux_err_ujy": "float64",
    "mag": "float64",
    "mag_err": "float64",
    "limit_mag": "float64",
    "snr": "float64",
    "detected": "bool",
    "good": "bool",
    "flags": "string",
    "exposure_id": "string",
}
COLUMNS = list(SCHEMA)
KEY = ["service", "exposure_id"]
RAW_PREFIX = "raw_"
AB_ZEROPOINT_UJY = 23.9  # AB magnitude of 1 microjansky
MAG_ERR_PER_SNR = 2.5 / np.log(10)  # 1.0857: mag error = this / SNR
_RAW_NAME = re.compile(r"[^0-9A-Za-z_]+")


def raw_column(name: str) -> str:
    """Return the stored name of a service column (``chi/N`` -> ``raw_chi_N``)."""
    return RAW_PREFIX + _RAW_NAME.sub("_", name).strip("_")


def empty_table() -> pd.DataFrame:
    """Return a schema-shaped table with no rows."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in SCHEMA.items()})


def conform(table: pd.DataFrame) -> pd.DataFrame:
    """Check a table has every schema column, cast them, and put them first.

    Raw columns (``raw_*``) are kept after the schema columns; anything else is an error, so
    a parser bug surfaces here rather than in a sink.
    """
    missing = [name for name in COLUMNS if name not in table.columns]
    if missing:
        raise TableParseError(f"photometry table lacks schema columns {missing}")
    extra = [c for c in table.columns if c not in SCHEMA and not c.startswith(RAW_PREFIX)]
    if extra:
        raise TableParseError(f"photometry table has columns outside the schema: {extra}")
    raw = sorted(c for c in table.columns if c.startswith(RAW_PREFIX))
    out = table[COLUMNS + raw].astype(SCHEMA)
    return out.reset_index(drop=True)


def flags_from_masks(masks: Mapping[str, np.ndarray], n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Turn named boolean masks into a ``flags`` string column and a ``good`` column.

    Vectorized: one pass per flag, not per row, so million-row files stay fast.
    """
    flags = np.full(n_rows, "", dtype=object)
    good = np.ones(n_rows, dtype=bool)
    for name, mask in masks.items():
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            continue
        sep = np.where(flags == "", "", "|")
        flags = np.where(mask, flags + sep + name, flags)
        good &= ~mask
    return flags, good


def flux_to_photometry(flux: np.ndarray, err: np.ndarray, snr_threshold: float) -> dict[str, np.ndarray]:
    """Derive snr, detection, AB magnitude and limit from microjansky flux and error.

    A row is detected when ``flux / err >= snr_threshold``; otherwise it gets an
    ``snr_threshold``-sigma upper limit ``-2.5 log10(n * err) + 23.9``. Rows with no valid
    error (zero, negative, NaN) get neither, and NaN snr.
    """
    flux = np.asarray(flux, dtype=float)
    err = np.asarray(err, dtype=float)
    valid = np.isfinite(flux) & np.isfinite(err) & (err > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = np.where(valid, flux / err, np.nan)
        detected = valid & (snr >= snr_threshold)
        mag = np.where(detected, AB_ZEROPOINT_UJY - 2.5 * np.log10(flux), np.nan)
        mag_err = np.where(detected, MAG_ERR_PER_SNR / snr, np.nan)
        limit = np.where(valid & ~detected, AB_ZEROPOINT_UJY - 2.5 * np.log10(snr_threshold * err), np.nan)
    return {"snr": snr, "detected": detected, "mag": mag, "mag_err": mag_err, "limit_mag": limit}
