"""Deterministic ATLAS result files in the real server format, generated from a request.

The same (ra, dec, mjd range) always gives the same bytes. Vectorized with numpy so a
million-row file for the parse benchmark takes seconds.
"""

from __future__ import annotations

import numpy as np

from fphot_provider.emulators.sky import nights, position_seed, transient_ujy

HEADER = (
    "###MJD          m      dm   uJy   duJy F err chi/N     RA       Dec        x        y     maj  min"
    "   phi  apfit mag5sig Sky   Obs"
)
EXPOSURES_PER_NIGHT = 4


def _exposures(ra: float, dec: float, use_reduced: bool) -> dict[str, np.ndarray]:
    """Every exposure of the position on the fixed calendar (about every other night, 4 a night)."""
    rng = np.random.default_rng(position_seed(ra, dec, "atlas:"))
    all_nights = nights()
    seen = all_nights[rng.random(all_nights.size) < 0.5]
    start = 0.25 + rng.uniform(0, 0.35, seen.size)  # when the field rose that night
    mjd = (seen[:, None] + start[:, None] + 0.0125 * np.arange(EXPOSURES_PER_NIGHT)[None, :]).ravel()
    n = mjd.size
    night = np.floor(mjd).astype(int)
    cyan = (night // 14) % 2 == 0  # c around new moon, o otherwise
    mag5sig = rng.normal(19.4, 0.4, n) - np.where(cyan, 0.0, 0.3)
    true_flux = transient_ujy(ra, dec, mjd) * np.where(cyan, 1.1, 1.0) + (150.0 if use_reduced else 0.0)
    sky_err = 10 ** (-0.4 * (mag5sig - 23.9)) / 5
    duJy = np.maximum(1, np.round(np.hypot(sky_err, 0.01 * true_flux))).astype(int)
    uJy = np.round(true_flux + rng.normal(0, 1, n) * duJy).astype(int)
    err = np.where(rng.random(n) < 0.01, rng.integers(1, 4, n), 0)
    return {
        "mjd": mjd,
        "uJy": uJy,
        "duJy": duJy,
        "cyan": cyan,
        "err": err,
        "mag5sig": mag5sig,
        "night": night,
        "seq": 100 + np.arange(n) % 700,
        "south": rng.random(n) < 0.5,
        **_shape(rng, n),
    }


def _shape(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Per-exposure fit values that only matter for quality cuts."""
    major = rng.uniform(2.0, 3.2, n)
    return {
        "chi": rng.gamma(8, 0.15, n),
        "x": rng.uniform(150, 10400, n),
        "y": rng.uniform(150, 10400, n),
        "maj": major,
        "min": major * rng.uniform(0.85, 1.0, n),
        "phi": rng.uniform(-90, 90, n),
        "apfit": rng.uniform(-0.5, -0.3, n),
        "sky": rng.normal(20.5, 0.6, n),
    }


def generate(ra: float, dec: float, mjd_min: float, mjd_max: float, *, use_reduced: bool = False) -> str:
    """Return a result file for the request, header included (zero rows is possible)."""
    cols = _exposures(ra, dec, use_reduced)
    keep = (cols["mjd"] >= mjd_min) & (cols["mjd"] <= mjd_max)
    return _format(ra, dec, {name: values[keep] for name, values in cols.items()})


def _magnitudes(uJy: np.ndarray, duJy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The server's m/dm: magnitude of |flux|, negative sign when the flux is negative."""
    with np.errstate(divide="ignore"):
        m = 23.9 - 2.5 * np.log10(np.maximum(np.abs(uJy), 1))
        dm = 1.0857 * duJy / np.maximum(np.abs(uJy), 1)
    return np.where(uJy < 0, -m, m), dm


def _format(ra: float, dec: float, c: dict[str, np.ndarray]) -> str:
    m, dm = _magnitudes(c["uJy"], c["duJy"])
    south, north = ("03a", "04a"), ("01a", "02a")
    units = [(south if dec < -30 or (dec < 30 and s) else north)[i % 2] for i, s in enumerate(c["south"])]
    band = np.where(c["cyan"], "c", "o")
    lines = [
        f"{c['mjd'][i]:.6f} {m[i]:7.3f} {dm[i]:6.3f} {c['uJy'][i]:5d} {c['duJy'][i]:4d} {band[i]} {c['err'][i]:2d} "
        f"{c['chi'][i]:6.2f} {ra:9.5f} {dec:9.5f} {c['x'][i]:8.2f} {c['y'][i]:8.2f} {c['maj'][i]:4.2f} "
        f"{c['min'][i]:4.2f} {c['phi'][i]:5.1f} {c['apfit'][i]:6.3f} {c['mag5sig'][i]:5.2f} {c['sky'][i]:5.2f} "
        f"{units[i]}{c['night'][i]}o{c['seq'][i]:04d}{band[i]}"
        for i in range(c["mjd"].size)
    ]
    return HEADER + "\n" + "".join(line + "\n" for line in lines)
