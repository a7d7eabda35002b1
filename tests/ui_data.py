"""Synthetic light curves and sinks for the Light curves pages (tests and benchmarks/ui_render.py).

A quiet baseline, a supernova-like peak, limits where the flux is low, a few flagged rows: every
kind of point the pages draw, in as many rows as asked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fphot_provider.photometry import AB_ZEROPOINT_UJY, conform

SERIES = [("atlas", "ATLAS.o"), ("atlas", "ATLAS.c"), ("ztf", "ZTF.g"), ("ztf", "ZTF.r"), ("panstarrs", "PS1.i")]


def light_curve_table(target: str, rows: int, *, seed: int = 1) -> pd.DataFrame:
    """``rows`` points of ``target`` spread over the services in :data:`SERIES` and ten years."""
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(SERIES), rows)
    mjd = np.sort(rng.uniform(57000, 60650, rows))
    error = rng.uniform(5, 30, rows)
    peak = 4000 * np.exp(-np.clip(mjd - 60080, 0, None) / 40) * (mjd > 60080)
    flux = peak + rng.normal(0, 1, rows) * error
    snr = flux / error
    detected = snr >= 5
    with np.errstate(invalid="ignore", divide="ignore"):
        mag = np.where(detected, AB_ZEROPOINT_UJY - 2.5 * np.log10(np.abs(flux)), np.nan)
    limit = AB_ZEROPOINT_UJY - 2.5 * np.log10(5 * error)
    flagged = rng.random(rows) < 0.05
    return conform(
        pd.DataFrame(
            {
                "target": target,
                "service": [SERIES[i][0] for i in pick],
                "filter": [SERIES[i][1] for i in pick],
                "mjd": mjd,
                "time_ref": "start",
                "flux_ujy": flux,
                "flux_err_ujy": error,
                "mag": mag,
                "mag_err": np.where(detected, 1.0857 / np.abs(snr), np.nan),
                "limit_mag": np.where(detected, np.nan, limit),
                "snr": snr,
                "detected": detected,
                "good": ~flagged,
                "flags": np.where(flagged, "chi2", ""),
                "exposure_id": [f"e{i}" for i in range(rows)],
            }
        )
    )


def many_targets(count: int, rows_each: int) -> pd.DataFrame:
    """``count`` small targets (``T00001`` ...) in one table, for a long target list."""
    small = light_curve_table("x", rows_each)
    frames = [small.assign(target=f"T{i:05d}") for i in range(count)]
    return conform(pd.concat(frames, ignore_index=True))
