"""Parse ALeRCE forced photometry answers (JSON) into the photometry table.

- ``alerce_lsst`` (``/lightcurve_api/forced-photometry?survey_id=lsst``): Rubin diaForcedSources
  with ``band`` as a number (6, 1, 2, 3, 4, 5 = u, g, r, i, z, y), ``psfFlux`` in nJy, ``mjd``
  Rubin's ``midpointMjdTai`` (TAI, mid-exposure -> UTC, ``time_ref = "mid"``) and
  ``measurement_id`` as the exposure id (exact).
- ``alerce_ztf`` (``/v2/lightcurve/forced-photometry/<oid>``): ZTF's own forced photometry from
  the alerts, as magnitudes: microjansky = ``isdiffpos * 10**(-0.4 (mag - 23.9))``, error =
  ``e_mag * |flux| / 1.0857``; ``fid`` 1, 2, 3 = ``ZTF.g/r/i``; ``mjd`` is the exposure start;
  ``pid`` the exposure id. A row without a magnitude is a non-detection with the image's
  ``diffmaglim`` (from ``extra_fields``) as its limit; ``procstatus`` other than 0 is flagged.

Brokers answer whole histories: ``mjd_min``/``mjd_max`` keep the asked window.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fphot_provider.exceptions import TableParseError
from fphot_provider.parsers.brokers import (
    exact_ids,
    first_of_each,
    frame,
    json_rows,
    numbers,
    rubin_table,
    windowed,
)
from fphot_provider.photometry import (
    AB_ZEROPOINT_UJY,
    MAG_ERR_PER_SNR,
    assemble,
    conform,
    empty_table,
    flags_from_masks,
    flux_to_photometry,
    tai_to_utc_mjd,
)

LSST_SERVICE, ZTF_SERVICE = "alerce_lsst", "alerce_ztf"
LSST_REQUIRED = ("measurement_id", "band", "mjd", "psfFlux", "psfFluxErr")
LSST_MAPPED = frozenset({"measurement_id", "band", "band_map", "mjd", "psfFlux", "psfFluxErr"})
LSST_BAND_NUMBERS = {6: "u", 1: "g", 2: "r", 3: "i", 4: "z", 5: "y"}
ZTF_REQUIRED = ("pid", "mjd", "fid", "mag", "e_mag", "isdiffpos")
ZTF_MAPPED = frozenset({"pid", "mjd", "fid", "mag", "e_mag", "isdiffpos", "extra_fields"})
ZTF_FILTERS = {1: "ZTF.g", 2: "ZTF.r", 3: "ZTF.i"}
POSITIVE = {"1": 1.0, "t": 1.0, "true": 1.0, "-1": -1.0, "f": -1.0, "false": -1.0}


def parse_alerce_lsst(
    text: str, *, target: str, snr_threshold: float = 3.0, mjd_min: float | None = None, mjd_max: float | None = None
) -> pd.DataFrame:
    """Return the photometry table of an ALeRCE LSST forced-photometry answer.

    :raises TableParseError: when the text is not that answer (names what is wrong).
    """
    rows = json_rows(text, LSST_SERVICE, LSST_REQUIRED)
    if not rows:
        return conform(empty_table())
    ids_columns = ("measurement_id", "oid", "visit")
    raw, ids, dropped = first_of_each(frame(rows, ids_columns), exact_ids(rows, "measurement_id", LSST_SERVICE))
    raw, ids, mjd = windowed(raw, ids, tai_to_utc_mjd(numbers(raw, "mjd")), mjd_min, mjd_max)
    if not len(raw):
        return conform(empty_table())
    bands = [_lsst_band(b) for b in raw["band"]]
    rubin = (ids, mjd, numbers(raw, "psfFlux"), numbers(raw, "psfFluxErr"))
    table = rubin_table(
        raw, LSST_MAPPED, service=LSST_SERVICE, target=target, bands=bands, rubin=rubin, snr_threshold=snr_threshold
    )
    table["raw_mjd_tai"] = numbers(raw, "mjd")
    table = conform(table)
    table.attrs["duplicates_dropped"] = dropped
    return table


def _lsst_band(value: Any) -> str:
    """ALeRCE's band number (or a letter, should it send one) -> the Rubin band letter."""
    try:
        return LSST_BAND_NUMBERS.get(int(value), str(value))
    except (TypeError, ValueError):
        return str(value)


def parse_alerce_ztf(
    text: str, *, target: str, snr_threshold: float = 3.0, mjd_min: float | None = None, mjd_max: float | None = None
) -> pd.DataFrame:
    """Return the photometry table of an ALeRCE ZTF forced-photometry answer.

    :raises TableParseError: when the text is not that answer (names what is wrong).
    """
    rows = json_rows(text, ZTF_SERVICE, ZTF_REQUIRED)
    if not rows:
        return conform(empty_table())
    raw, ids, dropped = first_of_each(_ztf_frame(rows), exact_ids(rows, "pid", ZTF_SERVICE))
    raw, ids, mjd = windowed(raw, ids, numbers(raw, "mjd"), mjd_min, mjd_max)
    table = _ztf_schema(raw, ids, mjd, target, snr_threshold)
    table.attrs["duplicates_dropped"] = dropped
    return table


def _ztf_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows with ``extra_fields`` spread into columns ``extra_<name>``."""
    table = frame(rows, ("pid", "oid"))
    extras = [row.get("extra_fields") if isinstance(row.get("extra_fields"), dict) else {} for row in rows]
    spread = pd.DataFrame.from_records(extras, index=table.index) if any(extras) else pd.DataFrame(index=table.index)
    return pd.concat([table.drop(columns=["extra_fields"], errors="ignore"), spread.add_prefix("extra_")], axis=1)


def _ztf_schema(raw: pd.DataFrame, ids: np.ndarray, mjd: np.ndarray, target: str, snr: float) -> pd.DataFrame:
    if not len(raw):
        return conform(empty_table())
    sign = np.asarray([_sign(value) for value in raw["isdiffpos"]], dtype=float)
    mag, e_mag = numbers(raw, "mag"), numbers(raw, "e_mag")
    with np.errstate(invalid="ignore", over="ignore"):
        flux = sign * 10 ** (-0.4 * (mag - AB_ZEROPOINT_UJY))
        err = e_mag * np.abs(flux) / MAG_ERR_PER_SNR
    masks = {"no_measurement": ~np.isfinite(flux) | ~(err > 0)}
    if "procstatus" in raw:
        status = raw["procstatus"].astype(str).str.strip()
        masks["procstatus"] = ~status.isin(["0", "None", "nan", ""]).to_numpy()
    flags, good = flags_from_masks(masks, len(raw))
    photometry = flux_to_photometry(flux, err, snr)
    if "extra_diffmaglim" in raw:  # no magnitude: the image's own limit
        missing = masks["no_measurement"]
        photometry["limit_mag"] = np.where(missing, numbers(raw, "extra_diffmaglim"), photometry["limit_mag"])
    return conform(
        assemble(
            raw,
            ZTF_MAPPED,
            target=target,
            service=ZTF_SERVICE,
            filters=_ztf_filters(raw["fid"]),
            mjd=mjd,
            time_ref="start",
            flux=flux,
            flux_err=err,
            photometry=photometry,
            flags=flags,
            good=good,
            exposure_id=ids,
        )
    )


def _sign(value: Any) -> float:
    """+1 or -1; NaN where there is no measurement to sign."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return float("nan")
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool) and value in (1, -1):
        return float(value)
    sign = POSITIVE.get(str(value).strip().lower())
    if sign is None:
        raise TableParseError(f"{ZTF_SERVICE}: isdiffpos must be 1/-1 or t/f, got {value!r}")
    return sign


def _ztf_filters(fids: pd.Series) -> pd.Categorical:
    codes = pd.to_numeric(fids, errors="coerce")
    unknown = sorted({str(v) for v, c in zip(fids, codes, strict=True) if c not in ZTF_FILTERS})
    if unknown:
        raise TableParseError(f"{ZTF_SERVICE}: fid outside 1, 2, 3: {unknown[:5]}")
    return pd.Categorical([ZTF_FILTERS[int(c)] for c in codes])
