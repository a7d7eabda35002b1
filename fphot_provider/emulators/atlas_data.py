"""Deterministic ATLAS result files in the real server format, generated from a request.

The same (ra, dec, mjd range) always gives the same bytes. Vectorized with numpy so a
million-row file for the parse benchmark takes seconds.
"""

from __future__ import annotations

import hashlib

import numpy as np

HEADER = (
    "###MJD          m      dm   uJy   duJy F err chi/N     RA       Dec        x        y     maj  min"
    "   phi  apfit mag5sig Sky   Obs"
)
EXPOSURES_PER_NIGHT = 4


def seed_for(ra: float, dec: float) -> int:
    """A stable seed per sky position (to 0.1 arcsec)."""
    key = f"{round(ra, 5):.5f},{round(dec, 5):.5f}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "little")


def _nights(rng: np.random.Generator, mjd_min: float, mjd_max: float) -> np.ndarray:
    """Observed nights: about every other night, as ATLAS's cadence."""
    first, last = int(np.floor(mjd_min)), int(np.floor(mjd_max))
    nights = np.arange(first, last + 1)
    return nights[rng.random(nights.size) < 0.5]


def _transient_flux(rng: np.random.Generator, mjd: np.ndarray, mjd_min: float, mjd_max: float) -> np.ndarray:
    """A supernova-like rise and fall, or nothing for one position in four."""
    if rng.random() < 0.25:
        return np.zeros_like(mjd)
    peak = mjd_min + (mjd_max - mjd_min) * rng.uniform(0.2, 0.6)
    amplitude = 10 ** rng.uniform(2.0, 3.7)
    rise = np.exp(-0.5 * ((mjd - peak) / 6.0) ** 2)
    fall = np.exp(-(mjd - peak) / 35.0)
    return amplitude * np.where(mjd < peak, rise, fall)


def generate(ra: float, dec: float, mjd_min: float, mjd_max: float, *, use_reduced: bool = False) -> str:
    """Return a result file for the request, header included (zero rows is possible)."""
    rng = np.random.default_rng(seed_for(ra, dec))
    nights = _nights(rng, mjd_min, mjd_max)
    start = 0.25 + rng.uniform(0, 0.35, nights.size)  # when the field rose that night
    mjd = (nights[:, None] + start[:, None] + 0.0125 * np.arange(EXPOSURES_PER_NIGHT)[None, :]).ravel()
    mjd = mjd[(mjd >= mjd_min) & (mjd <= mjd_max)]
    n = mjd.size
    if n == 0:
        return HEADER + "\n"
    night = np.floor(mjd).astype(int)
    cyan = (night // 14) % 2 == 0  # c around new moon, o otherwise
    mag5sig = rng.normal(19.4, 0.4, n) - np.where(cyan, 0.0, 0.3)
    duJy = np.maximum(1, np.round(10 ** (-0.4 * (mag5sig - 23.9)) / 5)).astype(int)
    true_flux = _transient_flux(rng, mjd, mjd_min, mjd_max) * np.where(cyan, 1.1, 1.0)
    if use_reduced:
        true_flux = true_flux + 150.0  # the host galaxy is in reduced images
    uJy = np.round(true_flux + rng.normal(0, 1, n) * duJy).astype(int)
    err = np.where(rng.random(n) < 0.01, rng.integers(1, 4, n), 0)
    return _format(ra, dec, mjd, uJy, duJy, cyan, err, mag5sig, rng, night)


def _magnitudes(uJy: np.ndarray, duJy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The server's m/dm: magnitude of |flux|, negative sign when the flux is negative."""
    with np.errstate(divide="ignore"):
        m = 23.9 - 2.5 * np.log10(np.maximum(np.abs(uJy), 1))
        dm = 1.0857 * duJy / np.maximum(np.abs(uJy), 1)
    return np.where(uJy < 0, -m, m), dm


def _format(ra, dec, mjd, uJy, duJy, cyan, err, mag5sig, rng, night) -> str:  # noqa: ANN001 - internal
    n = mjd.size
    m, dm = _magnitudes(uJy, duJy)
    south = dec < -30 or (dec < 30 and rng.random() < 0.5)
    units = np.where(rng.random(n) < 0.5, "03a" if south else "01a", "04a" if south else "02a")
    band = np.where(cyan, "c", "o")
    seq = 100 + (np.arange(n) % 700)
    cols = {
        "chi": rng.gamma(8, 0.15, n),
        "x": rng.uniform(150, 10400, n),
        "y": rng.uniform(150, 10400, n),
        "maj": rng.uniform(2.0, 3.2, n),
        "phi": rng.uniform(-90, 90, n),
        "apfit": rng.uniform(-0.5, -0.3, n),
        "sky": rng.normal(20.5, 0.6, n),
    }
    cols["min"] = cols["maj"] * rng.uniform(0.85, 1.0, n)
    lines = [
        f"{mjd[i]:.6f} {m[i]:7.3f} {dm[i]:6.3f} {uJy[i]:5d} {duJy[i]:4d} {band[i]} {err[i]:2d} "
        f"{cols['chi'][i]:6.2f} {ra:9.5f} {dec:9.5f} {cols['x'][i]:8.2f} {cols['y'][i]:8.2f} "
        f"{cols['maj'][i]:4.2f} {cols['min'][i]:4.2f} {cols['phi'][i]:5.1f} {cols['apfit'][i]:6.3f} "
        f"{mag5sig[i]:5.2f} {cols['sky'][i]:5.2f} {units[i]}{night[i]}o{seq[i]:04d}{band[i]}"
        for i in range(n)
    ]
    return HEADER + "\n" + "\n".join(lines) + "\n"
