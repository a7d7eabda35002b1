"""The emulated sky and calendar: the same for every emulated survey and every request.

What is at a position (nothing, or a supernova-like transient) and which nights a survey
observed it depend only on the position, never on the requested window, so overlapping
requests see the same exposures and ATLAS and ZTF see the same event, each through its own
cadence, filters and noise.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

# Nights simulated for every position (MJD): 2014-12-09 .. 2028-08-30.
FIRST_NIGHT, LAST_NIGHT = 57000, 62000
# Well-known events, so the demo shows what users expect: (ra, dec, peak MJD, peak uJy).
KNOWN_TRANSIENTS = [
    (210.910674, 54.3117, 60096.0, 1.5e5),  # SN 2023ixf in M101, peak ~11 mag
]


def position_seed(ra: float, dec: float, salt: str = "") -> int:
    """A stable seed per sky position (to 0.1 arcsec); ``salt`` separates independent streams."""
    key = f"{salt}{round(ra, 5):.5f},{round(dec, 5):.5f}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "little")


def nights() -> np.ndarray:
    return np.arange(FIRST_NIGHT, LAST_NIGHT + 1)


def _event(ra: float, dec: float) -> tuple[float, float] | None:
    """(peak MJD, peak flux uJy) of the transient at the position, or None."""
    for r, d, peak, amplitude in KNOWN_TRANSIENTS:
        if abs(r - ra) < 1 / 3600 and abs(d - dec) * math.cos(math.radians(dec)) < 1 / 3600:
            return peak, amplitude
    rng = np.random.default_rng(position_seed(ra, dec, "sky:"))
    if rng.random() < 0.25:
        return None
    return float(rng.uniform(58300, 61000)), float(10 ** rng.uniform(2.0, 3.7))


def transient_ujy(ra: float, dec: float, mjd: np.ndarray) -> np.ndarray:
    """The true flux (microjansky) at the position at each ``mjd``: 0 before and far after."""
    event = _event(ra, dec)
    if event is None:
        return np.zeros_like(mjd, dtype=float)
    peak, amplitude = event
    rise = np.exp(-0.5 * ((mjd - peak) / 8.0) ** 2)
    fall = np.exp(-np.clip(mjd - peak, 0, None) / 40.0)
    return amplitude * np.where(mjd < peak, rise, fall)
