"""Parse ZTF Forced Photometry Service light curves into the photometry table.

Both generators are read: the single-request service (``forcedphotometry_trim.pl`` v3.x,
first column ``index``, missing values ``null``) and the batch service
(``..._threads.pl`` v5.9, first column ``sindex``, a failed epoch ``-99999.000000``). Flux is
in DN on the ``zpdiff`` zero point; detections and limits follow the service guide (SNT=3,
SNU=5 by default). Quality marks follow Masci et al. 2023 sec. 6.1; rows are never dropped.
"""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
import pandas as pd

from fphot_provider.exceptions import TableParseError
from fphot_provider.photometry import assemble, conform, empty_table, flags_from_masks, flux_to_photometry

SERVICE = "ztf"
JD_MINUS_MJD = 2400000.5
REQUIRED = ("jd", "filter", "pid", "forcediffimflux", "forcediffimfluxunc", "zpdiff", "procstatus")
MAPPED = frozenset({"jd", "filter", "pid", "forcediffimflux", "forcediffimfluxunc"})
# Fields a failed batch epoch fills with -99999 (the single service writes null instead).
FAILED_SENTINEL = -99999.0
SENTINEL_FIELDS = (
    "forcediffimflux",
    "forcediffimfluxunc",
    "forcediffimsnr",
    "forcediffimchisq",
    "forcediffimfluxap",
    "forcediffimfluxuncap",
    "forcediffimsnrap",
    "aperturecorr",
)
# procstatus code -> flag name; 57 (no reference source within 5") is normal for a new transient.
PROCSTATUS_FLAGS = {
    56: "bad_pixels",
    57: "no_ref_source",
    58: "no_ref_psf_catalog",
    59: "suspect_uncertainty",
    60: "bad_psf",
    61: "off_image",
}
INFORMATIONAL = frozenset({"no_ref_source", "baseline_unavailable"})
BASELINE_MIN_EPOCHS = 5
_HEADER_HINT = re.compile(r"\bforcediffimflux\b")


def parse_ztf(
    text: str,
    *,
    target: str,
    snr_threshold: float = 3.0,
    limit_sigma: float = 5.0,
    baseline_before_mjd: float | None = None,
) -> pd.DataFrame:
    """Return the photometry table of one ZTF forced-photometry light-curve file.

    :param text: the file's content.
    :param target: the target name for every row.
    :param snr_threshold: SNT: flux/fluxunc at or above it is a detection.
    :param limit_sigma: SNU: non-detections get an SNU-sigma upper limit.
    :param baseline_before_mjd: when set, subtract per (field, ccdid, qid, filter) the median
        flux of good epochs before this MJD (the guide's baseline correction). The offset
        applied is kept in ``raw_baseline_dn``; groups with too few such epochs get the
        ``baseline_unavailable`` flag and no correction.
    :raises TableParseError: when the text is not ZTF forced-photometry output.
    """
    header_at, names = _find_header(text)
    raw = _read_rows(text, header_at, names)
    raw = _null_failed_epochs(raw)
    baseline = _baseline(raw, baseline_before_mjd) if baseline_before_mjd is not None else None
    table = _to_schema(raw, target, snr_threshold, limit_sigma, baseline)
    duplicated = table.duplicated(subset=["exposure_id"], keep="first").to_numpy()
    table.attrs["duplicates_dropped"] = int(duplicated.sum())
    if baseline_before_mjd is not None:
        table.attrs["baseline_before_mjd"] = baseline_before_mjd
    return conform(table[~duplicated]) if duplicated.any() else table


def _find_header(text: str) -> tuple[int, list[str]]:
    """The column-name line: comma-separated, plain or ``#``-prefixed, naming forcediffimflux."""
    for index, line in enumerate(io.StringIO(text[: 64 * 1024])):
        if "," in line and _HEADER_HINT.search(line) and "=" not in line:
            names = [name.strip() for name in line.strip().lstrip("#").split(",") if name.strip()]
            missing = [name for name in REQUIRED if name not in names]
            if missing:
                raise TableParseError(f"ZTF column line lacks {missing}")
            return index, names
    raise TableParseError("not ZTF forced photometry output: no column-name line naming forcediffimflux")


def _read_rows(text: str, header_at: int, names: list[str]) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            raw = pd.read_csv(
                io.StringIO(text),
                sep=r"\s+",
                header=None,
                names=names,
                skiprows=header_at + 1,
                comment="#",
                na_values=["null"],
                keep_default_na=False,
                index_col=False,
                dtype={"procstatus": object, "filter": object, "pid": "Int64"},
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError, TypeError) as err:
        raise TableParseError(f"ZTF rows do not match the column line: {err}") from None
    for name in ("jd", "forcediffimflux", "forcediffimfluxunc", "zpdiff"):
        if len(raw) and not pd.api.types.is_numeric_dtype(raw[name]):
            raise TableParseError(f"ZTF column {name} is not numeric")
    if len(raw) and raw["pid"].isna().any():
        raise TableParseError("ZTF rows without a pid (fewer fields than the column line?)")
    return raw


def _null_failed_epochs(raw: pd.DataFrame) -> pd.DataFrame:
    """Batch files mark a failed epoch with -99999 where single files write null: unify to NaN."""
    present = [name for name in SENTINEL_FIELDS if name in raw]
    failed = raw["forcediffimflux"].to_numpy(dtype=float, na_value=np.nan) == FAILED_SENTINEL
    if failed.any():
        raw = raw.copy()
        raw.loc[failed, present] = np.nan
    return raw


def _col(raw: pd.DataFrame, name: str) -> np.ndarray | None:
    return raw[name].to_numpy(dtype=float, na_value=np.nan) if name in raw else None


def _procstatus_masks(raw: pd.DataFrame) -> dict[str, np.ndarray]:
    """One mask per known code (lists like ``56,57`` set several), plus ``procstatus_other``."""
    codes, uniques = pd.factorize(raw["procstatus"].astype(str).str.strip(), use_na_sentinel=False)
    parsed = [set(filter(None, u.split(","))) - {"0"} for u in uniques]
    masks = {}
    for code, name in PROCSTATUS_FLAGS.items():
        per_unique = np.array([str(code) in p for p in parsed], dtype=bool)
        masks[name] = per_unique[codes]
    known = {str(c) for c in PROCSTATUS_FLAGS}
    masks["procstatus_other"] = np.array([bool(p - known) for p in parsed], dtype=bool)[codes]
    return masks


def _quality_masks(raw: pd.DataFrame, flux: np.ndarray, err: np.ndarray) -> dict[str, np.ndarray]:
    masks = {"no_measurement": ~np.isfinite(flux) | ~(err > 0), **_procstatus_masks(raw)}
    if (bits := _col(raw, "infobitssci")) is not None:
        masks["infobits"] = ~(bits < 33554432)
    if (sigpix := _col(raw, "scisigpix")) is not None:
        masks["high_sigpix"] = ~(sigpix <= 25)
    if (seeing := _col(raw, "sciinpseeing")) is not None:
        masks["bad_seeing"] = ~(seeing <= 4)
    return masks


def _baseline(raw: pd.DataFrame, before_mjd: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-row baseline offset (DN) and a mask of rows whose group had too few baseline epochs."""
    keys = [k for k in ("field", "ccdid", "qid", "filter") if k in raw]
    flux = raw["forcediffimflux"]
    clean = raw["procstatus"].astype(str).str.strip() == "0"
    early = (raw["jd"] - JD_MINUS_MJD < before_mjd) & clean & flux.notna()
    groups = raw[keys].astype(str).agg("|".join, axis=1)
    stats = flux[early].groupby(groups[early]).agg(["median", "size"])
    usable = stats[stats["size"] >= BASELINE_MIN_EPOCHS]["median"]
    offset = groups.map(usable)
    return offset.fillna(0.0).to_numpy(dtype=float), offset.isna().to_numpy()


def _filters(raw: pd.DataFrame) -> pd.Categorical:
    bands = pd.Categorical(raw["filter"].to_numpy(dtype=object))
    return bands.rename_categories([f"ZTF.{str(b).strip().removeprefix('ZTF_')}" for b in bands.categories])


def _to_schema(raw, target, snr_threshold, limit_sigma, baseline) -> pd.DataFrame:  # noqa: ANN001
    if len(raw) == 0:
        return conform(empty_table())
    flux_dn, err_dn = _col(raw, "forcediffimflux"), _col(raw, "forcediffimfluxunc")
    masks = _quality_masks(raw, flux_dn, err_dn)
    if baseline is not None:
        flux_dn = flux_dn - baseline[0]
        masks["baseline_unavailable"] = baseline[1]
    to_ujy = 10 ** (-0.4 * (_col(raw, "zpdiff") - 23.9))
    flux, err = flux_dn * to_ujy, err_dn * to_ujy
    flags, good = flags_from_masks(masks, len(raw), informational=INFORMATIONAL)
    table = assemble(
        raw,
        MAPPED,
        target=target,
        service=SERVICE,
        filters=_filters(raw),
        mjd=_col(raw, "jd") - JD_MINUS_MJD,
        time_ref="start",
        flux=flux,
        flux_err=err,
        photometry=flux_to_photometry(flux, err, snr_threshold, limit_sigma),
        flags=flags,
        good=good,
        exposure_id=raw["pid"].astype(str).to_numpy(dtype=object),
    )
    if baseline is not None:
        table["raw_baseline_dn"] = baseline[0]
    return conform(table)
