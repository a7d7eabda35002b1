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
# Few distinct values per column -> "category": cheap to build for a million rows, stored as
# dictionary-encoded columns in Parquet.
SCHEMA: dict[str, str] = {
    "target": "category",
    "service": "category",
    "filter": "category",
    "mjd": "float64",
    "time_ref": "category",
    "flux_ujy": "float64",
    "flux_err_ujy": "float64",
    "mag": "float64",
    "mag_err": "float64",
    "limit_mag": "float64",
    "snr": "float64",
    "detected": "bool",
    "good": "bool",
    "flags": "category",
    "exposure_id": "string",
}
COLUMNS = list(SCHEMA)
# The idempotency key. An exposure id names an image (ATLAS Obs, ZTF pid), and two targets can
# sit in one image, so the target is part of the key.
KEY = ["target", "service", "exposure_id"]
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
    order = COLUMNS + raw
    out = table.copy(deep=False) if list(table.columns) == order else table[order]  # never the caller's frame
    dtypes = out.dtypes
    casts = {name: dtype for name, dtype in SCHEMA.items() if str(dtypes[name]) != dtype}
    if casts:  # a table conformed once (most, on their way to a sink) is not cast again
        out = out.astype(casts)
    if out["flags"].hasnans:  # "clean" is an empty string, also after a CSV round trip
        out["flags"] = (
            out["flags"].cat.add_categories([""]).fillna("")
            if "" not in out["flags"].cat.categories
            else out["flags"].fillna("")
        )
    index = out.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
        out = out.reset_index(drop=True)
    return out


def flags_from_masks(
    masks: Mapping[str, np.ndarray], n_rows: int, *, informational: frozenset[str] = frozenset()
) -> tuple[pd.Categorical, np.ndarray]:
    """Turn named boolean masks into a ``flags`` column (``a|b``, "" when clean) and ``good``.

    Flags named in ``informational`` are listed but leave ``good`` alone (e.g. ZTF's "no
    reference source", normal for a new transient). Vectorized through a bit mask: one integer
    pass per flag, then one string per distinct combination (a handful).
    """
    names = list(masks)
    bits = np.zeros(n_rows, dtype=np.int64)
    for position, name in enumerate(names):
        bits |= np.asarray(masks[name], dtype=bool).astype(np.int64) << position
    combos, codes = np.unique(bits, return_inverse=True)
    labels = ["|".join(n for i, n in enumerate(names) if combo >> i & 1) for combo in combos]
    serious = sum(1 << i for i, n in enumerate(names) if n not in informational)
    return pd.Categorical.from_codes(codes.reshape(-1), categories=labels), (bits & serious) == 0


def constant(value: str, n_rows: int) -> pd.Categorical:
    """A column holding one string ``n_rows`` times, without building ``n_rows`` strings."""
    return pd.Categorical.from_codes(np.zeros(n_rows, dtype=np.int8), categories=[value])


def tai_to_utc_mjd(mjd_tai: np.ndarray) -> np.ndarray:
    """TAI MJD -> UTC MJD with astropy (leap seconds included): PanSTARRS and Rubin epochs are TAI."""
    from astropy.time import Time  # imported here: most callers never need astropy

    return Time(np.asarray(mjd_tai, dtype=float), format="mjd", scale="tai").utc.mjd


def flux_to_photometry(
    flux: np.ndarray, err: np.ndarray, snr_threshold: float, limit_sigma: float | None = None
) -> dict[str, np.ndarray]:
    """Derive snr, detection, AB magnitude and limit from microjansky flux and error.

    A row is detected when ``flux / err >= snr_threshold``; otherwise it gets a
    ``limit_sigma``-sigma upper limit ``-2.5 log10(limit_sigma * err) + 23.9`` (``limit_sigma``
    defaults to ``snr_threshold``; the ZTF guide uses SNT=3, SNU=5). Rows with no valid error
    (zero, negative, NaN) get neither, and NaN snr.
    """
    limit_sigma = snr_threshold if limit_sigma is None else limit_sigma
    flux = np.asarray(flux, dtype=float)
    err = np.asarray(err, dtype=float)
    valid = np.isfinite(flux) & np.isfinite(err) & (err > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = np.where(valid, flux / err, np.nan)
        detected = valid & (snr >= snr_threshold)
        mag = np.where(detected, AB_ZEROPOINT_UJY - 2.5 * np.log10(flux), np.nan)
        mag_err = np.where(detected, MAG_ERR_PER_SNR / snr, np.nan)
        limit = np.where(valid & ~detected, AB_ZEROPOINT_UJY - 2.5 * np.log10(limit_sigma * err), np.nan)
    return {"snr": snr, "detected": detected, "mag": mag, "mag_err": mag_err, "limit_mag": limit}


def assemble(
    raw: pd.DataFrame,
    mapped: frozenset[str],
    *,
    target: str,
    service: str,
    filters: pd.Categorical,
    mjd: np.ndarray,
    time_ref: str,
    flux: np.ndarray,
    flux_err: np.ndarray,
    photometry: dict[str, np.ndarray],
    flags: pd.Categorical,
    good: np.ndarray,
    exposure_id: np.ndarray,
) -> pd.DataFrame:
    """Build the schema table of one parsed file: schema columns, then the service's own
    columns not in ``mapped`` as ``raw_<name>`` (every parser ends here, so the layout is one)."""
    n_rows = len(raw)
    table = pd.DataFrame(
        {
            "target": constant(target, n_rows),
            "service": constant(service, n_rows),
            "filter": filters,
            "mjd": mjd,
            "time_ref": constant(time_ref, n_rows),
            "flux_ujy": flux,
            "flux_err_ujy": flux_err,
            **photometry,
            "good": good,
            "flags": flags,
            "exposure_id": exposure_id,
        }
    )
    extra = {raw_column(name): raw[name].to_numpy() for name in raw.columns if name not in mapped}
    return pd.concat([table, pd.DataFrame(extra, index=table.index)], axis=1) if extra else table
