"""Change detection: true positives on injected events, (almost) no alarms on pure noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fphot_provider.monitoring import detect_changes
from fphot_provider.photometry import conform, flux_to_photometry


def light_curve(
    rng: np.random.Generator, target: str, mjd: np.ndarray, true_flux: np.ndarray, err: float = 20.0
) -> pd.DataFrame:
    flux = true_flux + rng.normal(0, err, mjd.size)
    errs = np.full(mjd.size, err)
    return conform(
        pd.DataFrame(
            {
                "target": target,
                "service": "atlas",
                "filter": "ATLAS.o",
                "mjd": mjd,
                "time_ref": "start",
                "flux_ujy": flux,
                "flux_err_ujy": errs,
                **flux_to_photometry(flux, errs, 3.0),
                "good": True,
                "flags": "",
                "exposure_id": [f"{target}-{m:.4f}" for m in mjd],
            }
        )
    )


def split(table: pd.DataFrame, at: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    return table[table["mjd"] < at], table[table["mjd"] >= at]


@pytest.mark.slow
def test_no_alarm_on_pure_noise() -> None:
    rng = np.random.default_rng(1)
    alarms = 0
    for i in range(1000):
        mjd = np.sort(rng.uniform(60000, 60100, 60))
        history, new = split(light_curve(rng, f"noise{i}", mjd, np.zeros(mjd.size)), 60090)
        alarms += len(detect_changes(history, new))
    assert alarms <= 1  # <= 0.1 % of noise-only targets


def test_new_detection_after_non_detections() -> None:
    rng = np.random.default_rng(2)
    mjd = np.arange(60000, 60100, 1.0)
    truth = np.where(mjd >= 60090, 400.0, 0.0)
    history, new = split(light_curve(rng, "SN", mjd, truth), 60090)
    alerts = detect_changes(history, new)
    assert [a.kind for a in alerts] == ["new_detection"] and alerts[0].mjd == 60090.0
    assert "new detection" in alerts[0].message()


def test_brightening_of_a_known_source_needs_magnitudes_and_sigmas() -> None:
    rng = np.random.default_rng(3)
    mjd = np.arange(60000, 60100, 1.0)
    steady = light_curve(rng, "AGN", mjd, np.full(mjd.size, 1000.0))
    flare = light_curve(rng, "AGN", mjd, np.where(mjd >= 60095, 2000.0, 1000.0))
    assert detect_changes(*split(steady, 60095)) == []
    alerts = detect_changes(*split(flare, 60095))
    assert [a.kind for a in alerts] == ["brightening"] and alerts[0].delta_mag < -0.5
    small = light_curve(rng, "AGN", mjd, np.where(mjd >= 60095, 1200.0, 1000.0), err=5.0)  # 40 sigma, 0.2 mag
    assert detect_changes(*split(small, 60095)) == []
    assert detect_changes(*split(small, 60095), min_delta_mag=0.1)[0].kind == "brightening"


def test_single_spike_and_flagged_rows_do_not_alert() -> None:
    rng = np.random.default_rng(4)
    mjd = np.arange(60000, 60100, 1.0)
    table = light_curve(rng, "T", mjd, np.zeros(mjd.size))
    table.loc[table["mjd"] == 60095, "flux_ujy"] = 500.0  # one cosmic ray
    assert detect_changes(*split(table, 60090)) == []
    flagged = light_curve(rng, "T", mjd, np.where(mjd >= 60090, 400.0, 0.0))
    flagged.loc[flagged["mjd"] >= 60090, "good"] = False
    assert detect_changes(*split(flagged, 60090)) == []


def test_first_light_curve_is_not_a_change() -> None:
    rng = np.random.default_rng(5)
    mjd = np.arange(60000, 60010, 1.0)
    table = light_curve(rng, "T", mjd, np.full(mjd.size, 500.0))
    assert detect_changes(table.iloc[:0], table) == []
