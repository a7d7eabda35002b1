"""The emulated sky and calendar: the same for every emulated survey and every request.

What is at a position (nothing, or a supernova-like transient) and which nights a survey
observed it depend only on the position, never on the requested window, so overlapping
requests see the same exposures and ATLAS and ZTF see the same event, each through its own
cadence, filters and noise. Positions within 1 arcsec of a position an emulator has already
served are served as that position (:class:`SkyAnchors`): a user who asks again with coordinates
rounded differently sees the same light curve, as the real surveys would.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator

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


def transient_event(ra: float, dec: float) -> tuple[float, float] | None:
    """(peak MJD, peak flux uJy) of the transient at the position, or None (public form)."""
    return _event(ra, dec)


def transient_ujy(ra: float, dec: float, mjd: np.ndarray) -> np.ndarray:
    """The true flux (microjansky) at the position at each ``mjd``: 0 before and far after."""
    event = _event(ra, dec)
    if event is None:
        return np.zeros_like(mjd, dtype=float)
    peak, amplitude = event
    rise = np.exp(-0.5 * ((mjd - peak) / 8.0) ** 2)
    fall = np.exp(-np.clip(mjd - peak, 0, None) / 40.0)
    return amplitude * np.where(mjd < peak, rise, fall)


def separation_arcsec(ra1: float, dec1: float, ra2: float, dec2: float) -> float:
    """Angular distance (arcsec), haversine: exact at small separations."""
    r1, d1, r2, d2 = map(math.radians, (ra1, dec1, ra2, dec2))
    a = math.sin((d2 - d1) / 2) ** 2 + math.cos(d1) * math.cos(d2) * math.sin((r2 - r1) / 2) ** 2
    return math.degrees(2 * math.asin(math.sqrt(min(1.0, a)))) * 3600.0


class SkyAnchors:
    """Map a position to the first served position within ``radius_arcsec`` of it (or itself).

    Indexed by 1-arcsec cells in Dec and in RA·cos(Dec), so 10,000 targets cost no more than
    a few dictionary look-ups each.
    """

    def __init__(self, radius_arcsec: float = 1.0) -> None:
        self.radius = radius_arcsec
        self._cells: dict[tuple[int, int], list[tuple[float, float]]] = {}

    def _cell(self, ra: float, dec: float) -> tuple[int, int]:
        scale = max(math.cos(math.radians(dec)), 1e-6)
        return math.floor(dec * 3600 / self.radius), math.floor(ra * scale * 3600 / self.radius)

    def anchor(self, ra: float, dec: float) -> tuple[float, float]:
        """The position to serve (ra, dec) as."""
        for r, d in self._neighbours(ra, dec):
            if separation_arcsec(r, d, ra, dec) <= self.radius:
                return r, d
        self._cells.setdefault(self._cell(ra, dec), []).append((ra, dec))
        return ra, dec

    def _neighbours(self, ra: float, dec: float) -> Iterator[tuple[float, float]]:
        """Positions stored in the 3x3 cells around (ra, dec), across RA = 0/360 as well."""
        for shift in (0.0, 360.0, -360.0):
            row, col = self._cell(ra + shift, dec)
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    yield from self._cells.get((row + dr, col + dc), ())
