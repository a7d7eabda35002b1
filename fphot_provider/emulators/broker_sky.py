"""What the emulated alert brokers know about a position: Rubin diaObjects and ZTF alert objects.

Built on the shared emulated sky (:mod:`fphot_provider.emulators.sky`), so a broker's light
curve shows the same transient ATLAS and ZTF see. Shapes follow DESIGN section 3 ("Rubin/LSST
and ZTF through the alert brokers"); where DESIGN is silent, the choice is marked a guess.

- Rubin: objects only south of Dec +33 (the survey's footprint; a guess at the edge), ids
  beyond 2**53 (as Rubin's are), archived epochs between MJD 60970 and 61235 (DESIGN: alert
  production paused mid-2026), fluxes in nJy, epochs ``midpointMjdTai`` in TAI.
- ZTF: an object wherever the sky has a transient north of Dec -30 that peaked while ZTF ran;
  its alerts' forced photometry covers the 30 nights before each alert.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from fphot_provider.emulators.sky import position_seed, transient_event, transient_ujy

RUBIN_MAX_DEC = 33.0  # guess: the footprint's northern edge
RUBIN_FIRST, RUBIN_LAST = 60970.0, 61235.0  # MJD (TAI) of the archived alerts (DESIGN)
TAI_MINUS_UTC_DAYS = 37.0 / 86400.0
ZTF_MIN_DEC, ZTF_FIRST, ZTF_LAST = -30.0, 58200.0, 61000.0
RUBIN_ID_BASE = 169_298_433_216_610_349  # the size of a real diaObjectId (fink-object-api's example)
KNOWN_ZTF = {(210.910674, 54.3117): "ZTF23aaklqou"}  # SN 2023ixf's ZTF object
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class SkyObject:
    """An object a broker lists: its id, mean position and number of detections."""

    id: int | str
    ra: float
    dec: float
    n_detections: int


def rubin_objects(ra: float, dec: float) -> list[SkyObject]:
    """The Rubin diaObjects at a position (none north of the footprint)."""
    if dec > RUBIN_MAX_DEC:
        return []
    rng = np.random.default_rng(position_seed(ra, dec, "rubin:"))
    if rng.random() < 0.3:
        return []
    offset = rng.normal(0, 0.15, 2) / 3600
    n_det = 1 if rng.random() < 0.15 else int(rng.integers(2, 40))  # one detection: no Fink fp
    object_id = RUBIN_ID_BASE + position_seed(ra, dec, "rubin-id:") % 10**15
    return [SkyObject(object_id, ra + offset[0] / max(math.cos(math.radians(dec)), 1e-3), dec + offset[1], n_det)]


@lru_cache(maxsize=4096)
def rubin_forced_sources(object_id: int, ra: float, dec: float) -> list[dict]:
    """Every diaForcedSource of an object: Rubin's own column names, nJy, TAI midpoints."""
    rng = np.random.default_rng(object_id % 2**63)
    n = int(rng.integers(15, 60))
    mjd_tai = np.sort(rng.uniform(RUBIN_FIRST, RUBIN_LAST, n))
    bands = rng.choice(list("ugrizy"), n)
    true_njy = transient_ujy(ra, dec, mjd_tai - TAI_MINUS_UTC_DAYS) * 1000.0
    err = rng.uniform(150, 900, n)
    flux = true_njy + rng.normal(0, 1, n) * err
    visits = 2025_100_000 + np.sort(rng.choice(900_000, n, replace=False))
    return [
        {
            "diaForcedSourceId": 2 * 10**17 + (object_id % 10**12) * 10**5 + k,
            "diaObjectId": object_id,
            "ra": ra,
            "dec": dec,
            "visit": int(visits[k]),
            "detector": int(rng.integers(0, 189)),
            "psfFlux": float(flux[k]),
            "psfFluxErr": float(err[k]),
            "midpointMjdTai": float(mjd_tai[k]),
            "scienceFlux": float(flux[k] + 5000.0),
            "scienceFluxErr": float(err[k] * 1.1),
            "band": str(bands[k]),
            "timeProcessedMjdTai": float(mjd_tai[k] + 0.01),
            "timeWithdrawnMjdTai": None,
        }
        for k in range(n)
    ]


def ztf_objects(ra: float, dec: float) -> list[SkyObject]:
    """The ZTF alert object at a position: where a transient peaked during ZTF, north of -30."""
    event = transient_event(ra, dec)
    if dec < ZTF_MIN_DEC or event is None or not ZTF_FIRST <= event[0] <= ZTF_LAST:
        return []
    oid = next((name for (r, d), name in KNOWN_ZTF.items() if abs(r - ra) < 1e-3 and abs(d - dec) < 1e-3), None)
    if oid is None:
        rng = np.random.default_rng(position_seed(ra, dec, "ztf-oid:"))
        year = int((event[0] - 51544.5) / 365.25) % 100
        oid = f"ZTF{year:02d}" + "".join(rng.choice(list(LETTERS), 7))
    return [SkyObject(oid, ra, dec, 12)]


@lru_cache(maxsize=4096)
def ztf_alert_photometry(oid: str, ra: float, dec: float) -> list[dict]:
    """ZTF forced photometry from the alerts (ALeRCE's rows): magnitudes, the limit in extra_fields."""
    event = transient_event(ra, dec)
    if event is None:
        return []
    rng = np.random.default_rng(position_seed(ra, dec, "ztf-fp:"))
    nights = np.arange(event[0] - 30, event[0] + 60, 1.0)
    nights = nights[rng.random(nights.size) < 0.6]
    mjd = nights + rng.uniform(0.15, 0.45, nights.size)
    fid = rng.integers(1, 4, mjd.size)
    err = rng.uniform(8, 40, mjd.size)
    flux = transient_ujy(ra, dec, mjd) + rng.normal(0, 1, mjd.size) * err
    limit = rng.normal(20.6, 0.3, mjd.size)
    pid0 = 2_300_000_000_000 + position_seed(ra, dec, "pid:") % 10**11
    return [
        _ztf_row(
            oid, ra, dec, int(pid0 + k), float(mjd[k]), int(fid[k]), float(flux[k]), float(err[k]), float(limit[k]), rng
        )
        for k in range(mjd.size)
    ]


def _ztf_row(
    oid: str,
    ra: float,
    dec: float,
    pid: int,
    mjd: float,
    fid: int,
    flux: float,
    err: float,
    limit: float,
    rng: np.random.Generator,
) -> dict:
    """One row; no measurement (a bad subtraction) now and then: mag null, limit kept."""
    measured = rng.random() > 0.05 and flux != 0
    mag = 23.9 - 2.5 * math.log10(abs(flux)) if measured else None
    return {
        "pid": pid,
        "oid": oid,
        "mjd": mjd,
        "fid": fid,
        "ra": ra,
        "dec": dec,
        "mag": mag,
        "e_mag": 1.0857 * err / abs(flux) if measured else None,
        "isdiffpos": (1 if flux > 0 else -1) if measured else None,
        "procstatus": "0" if measured else "56",
        "extra_fields": {"magzpsci": float(rng.normal(26.2, 0.1)), "diffmaglim": limit, "field": 683, "rcid": 40},
    }
