"""Parse PanSTARRS DR2 ``detection`` answers (MAST CSV or JSON) into the photometry table.

``obsTime`` is the exposure midpoint as an MJD in TAI: converted to UTC (``time_ref =
"mid"``). ``psfFlux`` is in Jansky (AB mag = -2.5 log10(flux) + 8.90, the same as
23.9 - 2.5 log10(uJy)). The table holds detections only; rows whose flux does not reach the
S/N threshold (or is not positive) are kept as non-detections with a limit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fphot_provider.exceptions import RemoteServiceError, TableParseError
from fphot_provider.photometry import (
    assemble,
    conform,
    empty_table,
    flags_from_masks,
    flux_to_photometry,
    tai_to_utc_mjd,
)
from fphot_provider.wire.panstarrs import read_table

SERVICE = "panstarrs"
BANDS = {1: "PS1.g", 2: "PS1.r", 3: "PS1.i", 4: "PS1.z", 5: "PS1.y"}
REQUIRED = ("detectID", "filterID", "obsTime", "psfFlux", "psfFluxErr")
MAPPED = frozenset({"detectID", "filterID", "obsTime", "psfFlux", "psfFluxErr"})
JY_TO_UJY = 1e6
GOOD_PSF_QF = 0.9  # psfQfPerfect above this: the PSF model covered good pixels
# infoFlag bits that make a measurement unreliable, with the values of MAST's "PS1 Detection
# Flags" page (system table DetectionFlags): FAIL 0x8, POOR 0x10, SATSTAR 0x80, BADPSF 0x400,
# DEFECT 0x800, SATURATED 0x1000, CR_LIMIT 0x2000, MOMENTS_FAILURE 0x8000, SKY_FAILURE 0x10000,
# SKYVAR_FAILURE 0x20000. Not defects: PSFMODEL 0x1, EXTERNAL 0x200, EXT_LIMIT 0x4000 (a
# transient on its host is extended).
INFO_FLAG_BITS = {
    "FAIL": 0x8,
    "POOR": 0x10,
    "SATSTAR": 0x80,
    "BADPSF": 0x400,
    "DEFECT": 0x800,
    "SATURATED": 0x1000,
    "CR_LIMIT": 0x2000,
    "MOMENTS_FAILURE": 0x8000,
    "SKY_FAILURE": 0x10000,
    "SKYVAR_FAILURE": 0x20000,
}
BAD_INFO_FLAGS = sum(INFO_FLAG_BITS.values())


def parse_panstarrs(text: str, *, target: str, snr_threshold: float = 3.0) -> pd.DataFrame:
    """Return the photometry table of a MAST PanSTARRS DR2 detection answer (CSV or JSON).

    :raises TableParseError: when the text is not a PS1 detection table.
    """
    fmt = "json" if text.lstrip().startswith("{") else "csv"
    try:
        raw = read_table(text, fmt)
    except RemoteServiceError as err:
        raise TableParseError(f"not a PanSTARRS detection table: {err}") from None
    if raw.empty and not len(raw.columns):
        return conform(empty_table())
    missing = [name for name in REQUIRED if name not in raw.columns]
    if missing:
        raise TableParseError(
            f"not a PanSTARRS detection table: columns {missing} missing (got {list(raw.columns)[:8]})"
        )
    if len(raw) == 0:
        return conform(empty_table())
    return _to_schema(raw, target, snr_threshold)


def _filters(raw: pd.DataFrame) -> pd.Categorical:
    ids = raw["filterID"].to_numpy(dtype=float, na_value=np.nan)
    unknown = sorted(set(ids[~np.isin(ids, list(BANDS))]))
    if unknown:
        raise TableParseError(f"PanSTARRS filterID outside 1..5: {unknown[:5]}")
    return pd.Categorical([BANDS[int(i)] for i in ids])


def _masks(raw: pd.DataFrame, flux: np.ndarray, err: np.ndarray) -> dict[str, np.ndarray]:
    masks = {"no_measurement": ~np.isfinite(flux) | ~(err > 0)}
    if "psfQfPerfect" in raw:
        masks["psf_qf_low"] = ~(raw["psfQfPerfect"].to_numpy(dtype=float, na_value=np.nan) > GOOD_PSF_QF)
    if "infoFlag" in raw:
        info = raw["infoFlag"].fillna(0).to_numpy(dtype=np.int64)
        masks["info_flag_bad"] = (info & BAD_INFO_FLAGS) != 0
    return masks


def _to_schema(raw: pd.DataFrame, target: str, snr_threshold: float) -> pd.DataFrame:
    flux = raw["psfFlux"].to_numpy(dtype=float, na_value=np.nan) * JY_TO_UJY
    err = raw["psfFluxErr"].to_numpy(dtype=float, na_value=np.nan) * JY_TO_UJY
    flags, good = flags_from_masks(_masks(raw, flux, err), len(raw))
    table = assemble(
        raw,
        MAPPED,
        target=target,
        service=SERVICE,
        filters=_filters(raw),
        mjd=tai_to_utc_mjd(raw["obsTime"].to_numpy(dtype=float)),
        time_ref="mid",
        flux=flux,
        flux_err=err,
        photometry=flux_to_photometry(flux, err, snr_threshold),
        flags=flags,
        good=good,
        exposure_id=raw["detectID"].astype(str).to_numpy(dtype=object),
    )
    table["raw_obsTime_tai"] = raw["obsTime"].to_numpy(dtype=float)
    return conform(table)
