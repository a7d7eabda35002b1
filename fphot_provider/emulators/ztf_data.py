"""Deterministic ZTF forced-photometry light curves in the real file format.

The header is the service's own v3.8 template (column definitions, "Order of columns", the
column-name line, the lone ``#``); rows are generated from the request: g/r nightly cadence
with sparser i, ``null`` rows (procstatus 61), procstatus lists, flux in DN on ``zpdiff``.
Batch-service files (``batch=True``) use ``sindex`` and ``-99999.000000`` for failed epochs.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from fphot_provider.emulators.sky import nights, position_seed, transient_ujy

SURVEY_START_JD = 2458194.5
JD_MINUS_MJD = 2400000.5
COLUMNS = (
    "index field ccdid qid filter pid infobitssci sciinpseeing scibckgnd scisigpix zpmaginpsci zpmaginpsciunc "
    "zpmaginpscirms clrcoeff clrcoeffunc ncalmatches exptime adpctdif1 adpctdif2 diffmaglim zpdiff programid jd "
    "rfid forcediffimflux forcediffimfluxunc forcediffimsnr forcediffimchisq forcediffimfluxap "
    "forcediffimfluxuncap forcediffimsnrap aperturecorr dnearestrefsrc nearestrefmag nearestrefmagunc "
    "nearestrefchi nearestrefsharp refjdstart refjdend procstatus"
).split()
FLUX_FIELDS = (
    "forcediffimflux",
    "forcediffimfluxunc",
    "forcediffimsnr",
    "forcediffimchisq",
    "forcediffimfluxap",
    "forcediffimfluxuncap",
    "forcediffimsnrap",
    "aperturecorr",
)
NEAREST_FIELDS = ("dnearestrefsrc", "nearestrefmag", "nearestrefmagunc", "nearestrefchi", "nearestrefsharp")


def header(ra: float, dec: float, jd_start: float, jd_end: float, *, batch: bool = False) -> str:
    text = resources.files("fphot_provider.emulators").joinpath("data/ztf_header_v3.8.txt").read_text()
    values = {
        "{date}": "2026-11-24",
        "{time}": "12:00:00",
        "{ra}": f"{ra}",
        "{dec}": f"{dec}",
        "{jdstart}": f"{jd_start}",
        "{jdend}": f"{jd_end}",
    }
    for key, value in values.items():
        text = text.replace(key, value)
    if batch:
        text = text.replace("forcedphotometry_trim.pl, v3.8", "forcedphotometry_trim_cforcepsfaper_threads.pl, v5.9")
        text = text.replace("# index = sequential counter", "# sindex = sequential counter")
        text = text.replace("\n index, field,", "\n sindex, field,")
    return text


def epochs(ra: float, dec: float, jd_start: float, jd_end: float) -> dict[str, np.ndarray]:
    """The epochs ZTF observed the position inside the window, as column arrays.

    Drawn once on the fixed calendar and then cut to the window, so overlapping requests
    (and the continuation after an epoch limit) see the same epochs.
    """
    cols = _all_epochs(ra, dec)
    keep = (cols["jd"] >= jd_start) & (cols["jd"] <= jd_end)
    return {name: values[keep] for name, values in cols.items()}


def _all_epochs(ra: float, dec: float) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(position_seed(ra, dec, "ztf:"))
    all_nights = nights() + JD_MINUS_MJD
    seen = all_nights[(rng.random(all_nights.size) < 0.45) & (all_nights >= SURVEY_START_JD)]
    with_i = rng.random(seen.size) < 0.25
    per_night = [(n, band) for n, i in zip(seen, with_i, strict=True) for band in ("g", "r", "i") if band != "i" or i]
    jd = np.array([n + 0.15 + 0.04 * "gri".index(b) for n, b in per_night]) + rng.uniform(0, 0.2, len(per_night))
    bands = np.array([b for _, b in per_night], dtype=object)
    order = np.argsort(jd, kind="stable")  # the service lists (and truncates) epochs in time order
    jd, bands = jd[order], bands[order]
    return _columns(rng, jd, bands, transient_ujy(ra, dec, jd - JD_MINUS_MJD))


def _columns(rng, jd, bands, true_ujy) -> dict[str, np.ndarray]:  # noqa: ANN001 - internal
    n = jd.size
    zp = rng.normal(26.2, 0.08, n)
    maglim = rng.normal(20.4, 0.45, n)
    to_dn = 10 ** (0.4 * (zp - 23.9))
    unc = np.hypot(10 ** (-0.4 * (maglim - zp)) / 5.0, 0.01 * true_ujy * to_dn)
    flux = true_ujy * to_dn + rng.normal(0, 1, n) * unc
    new_transient = rng.random() < 0.3  # no reference source at all: procstatus 57 everywhere
    status = np.where(rng.random(n) < 0.04, "56", "0").astype(object)
    if new_transient:
        status = np.where(status == "56", "56,57", "57").astype(object)
    off_image = rng.random(n) < 0.01
    status[off_image] = "57,61" if new_transient else "61"
    cols = {
        "index": np.arange(n),
        "field": np.where(rng.random(n) < 0.7, 1669, 717),
        "ccdid": np.full(n, 10),
        "qid": rng.integers(0, 4, n),
        "filter": np.array([f"ZTF_{b}" for b in bands], dtype=object),
        "pid": 480000000000 + np.round((jd - SURVEY_START_JD) * 1e5).astype(np.int64) * 100 + rng.integers(0, 99, n),
        "infobitssci": np.where(rng.random(n) < 0.03, 33554432, 0),
        "sciinpseeing": rng.normal(2.3, 0.4, n),
        "scibckgnd": rng.normal(120, 15, n),
        "scisigpix": rng.normal(12, 3, n),
        "zpmaginpsci": zp,
        "zpmaginpsciunc": rng.uniform(2e-5, 8e-5, n),
        "zpmaginpscirms": rng.uniform(0.03, 0.05, n),
        "clrcoeff": rng.normal(-0.03, 0.02, n),
        "clrcoeffunc": rng.uniform(5e-5, 2e-4, n),
        "ncalmatches": rng.integers(100, 300, n),
        "exptime": np.full(n, 30.0),
        "adpctdif1": rng.uniform(0.04, 0.1, n),
        "adpctdif2": rng.uniform(0.04, 0.1, n),
        "diffmaglim": maglim,
        "zpdiff": zp,
        "programid": np.where(rng.random(n) < 0.8, 1, 2),
        "jd": jd,
        "rfid": np.full(n, 1669120136),
        "forcediffimflux": flux,
        "forcediffimfluxunc": unc,
        "forcediffimsnr": flux / unc,
        "forcediffimchisq": rng.gamma(20, 0.05, n),
        "forcediffimfluxap": flux * rng.normal(1, 0.05, n),
        "forcediffimfluxuncap": unc * 1.4,
        "forcediffimsnrap": flux / (unc * 1.4),
        "aperturecorr": rng.normal(1.1, 0.02, n),
        "dnearestrefsrc": rng.uniform(0.5, 4.5, n),
        "nearestrefmag": rng.normal(19.8, 0.3, n),
        "nearestrefmagunc": rng.uniform(0.03, 0.1, n),
        "nearestrefchi": rng.uniform(0.8, 2, n),
        "nearestrefsharp": rng.normal(0.05, 0.05, n),
        "refjdstart": np.full(n, 2458166.904329),
        "refjdend": np.full(n, 2458585.697662),
        "procstatus": status,
    }
    cols["_off_image"], cols["_no_ref"] = off_image, np.full(n, new_transient)
    return cols


def _cell(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return "null" if not np.isfinite(value) else f"{value:.13g}"
    return str(value)


def render(
    cols: dict[str, np.ndarray], ra: float, dec: float, jd_start: float, jd_end: float, *, batch: bool = False
) -> str:
    """Format epochs as the service's file (header, rows, END line)."""
    n = cols["jd"].size
    missing = "-99999.000000" if batch else "null"
    lines = [header(ra, dec, jd_start, jd_end, batch=batch).rstrip("\n")]
    for i in range(n):
        cells = [str(i), *(_cell(cols[name][i]) for name in COLUMNS[1:])]  # the counter restarts per file
        if cols["_off_image"][i]:
            for name in FLUX_FIELDS:
                cells[COLUMNS.index(name)] = missing
        if cols["_no_ref"][i]:
            for name in NEAREST_FIELDS:
                cells[COLUMNS.index(name)] = "null"
        lines.append(" " + " ".join(cells))
    lines.append("# ------------------------------END---------------------------------")
    return "\n".join(lines) + "\n"


def take(cols: dict[str, np.ndarray], count: int) -> dict[str, np.ndarray]:
    """The first ``count`` epochs (the service's epoch limit, exit code 52)."""
    return {name: values[:count] for name, values in cols.items()}
