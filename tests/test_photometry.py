"""The schema helpers: hand-computed magnitudes, limits, flags."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fphot_provider.exceptions import TableParseError
from fphot_provider.photometry import COLUMNS, conform, empty_table, flags_from_masks, flux_to_photometry, raw_column


def test_detection_magnitude_and_limit_by_hand() -> None:
    # 1000 uJy +- 10: S/N 100 -> 23.9 - 2.5 log10(1000) = 16.4, err 1.0857/100
    # 20 uJy +- 10: S/N 2 -> limit 23.9 - 2.5 log10(3 * 10) = 20.207
    # -50 uJy +- 10: a negative flux is a non-detection with the same kind of limit
    out = flux_to_photometry(np.array([1000.0, 20.0, -50.0, 5.0]), np.array([10.0, 10.0, 10.0, 0.0]), 3.0)
    assert list(out["detected"]) == [True, False, False, False]
    assert math.isclose(out["mag"][0], 16.4)
    assert math.isclose(out["mag_err"][0], 0.010857, rel_tol=1e-4)
    assert math.isclose(out["limit_mag"][1], 23.9 - 2.5 * math.log10(30))
    assert math.isclose(out["limit_mag"][2], out["limit_mag"][1])
    assert np.isnan(out["mag"][1]) and np.isnan(out["limit_mag"][0])
    assert np.isnan(out["snr"][3]) and np.isnan(out["limit_mag"][3])  # zero error: no division


def test_threshold_moves_the_detection_boundary() -> None:
    flux, err = np.array([40.0]), np.array([10.0])
    assert flux_to_photometry(flux, err, 3.0)["detected"][0]
    limit = flux_to_photometry(flux, err, 5.0)
    assert not limit["detected"][0]
    assert math.isclose(limit["limit_mag"][0], 23.9 - 2.5 * math.log10(50))


def test_flags_join_names_and_clear_good() -> None:
    flags, good = flags_from_masks({"a": np.array([True, False, True]), "b": np.array([False, False, True])}, 3)
    assert list(flags) == ["a", "", "a|b"]
    assert list(good) == [False, True, False]


def test_conform_rejects_missing_and_stray_columns() -> None:
    assert list(conform(empty_table()).columns) == COLUMNS
    with pytest.raises(TableParseError, match="lacks schema columns"):
        conform(pd.DataFrame({"mjd": [1.0]}))
    with pytest.raises(TableParseError, match="outside the schema"):
        conform(empty_table().assign(stray=pd.Series(dtype=float)))


def test_raw_column_names_are_safe() -> None:
    assert raw_column("chi/N") == "raw_chi_N"
    assert raw_column("PA_DEG") == "raw_PA_DEG"


def test_every_survey_and_broker_series_has_its_own_colour() -> None:
    from fphot_provider.plotting import series_style

    series = [("ZTF.g", "ztf"), ("ZTF.g", "alerce_ztf"), ("ATLAS.o", "atlas")]
    series += [(f"LSST.{b}", s) for b in "ugrizy" for s in ("fink_lsst", "alerce_lsst")]
    styles = [series_style(band, service) for band, service in series]
    assert all(color for _, color in styles) and len({color for _, color in styles}) == len(series)
    assert series_style("ZTF.g", "alerce_ztf")[0] == "ZTF.g (alerce_ztf)" and series_style("ZTF.g", "ztf")[0] == "ZTF.g"


def _supernova(n_quiet: int = 3000) -> pd.DataFrame:
    """Years of noise around zero (errors ~20 uJy), then a peak of 150,000 uJy."""
    rng = np.random.default_rng(1)
    mjd = np.concatenate([np.linspace(57000, 60080, n_quiet), np.linspace(60090, 60150, 40)])
    flux = np.concatenate([rng.normal(0, 20, n_quiet), np.full(40, 1.5e5)])
    table = pd.DataFrame({"mjd": mjd, "flux_ujy": flux, "flux_err_ujy": 20.0})
    return table.assign(
        target="SN", service="atlas", filter="ATLAS.o", time_ref="start", mag=np.nan, mag_err=np.nan,
        limit_mag=rng.normal(19.5, 0.3, len(mjd)), snr=flux / 20, detected=flux > 60, good=True, flags="",
        exposure_id=[str(i) for i in range(len(mjd))],
    )  # fmt: skip


def test_a_bright_peak_no_longer_flattens_the_quiet_years() -> None:
    import matplotlib.pyplot as plt

    from fphot_provider.plotting import flux_linear_range, light_curve_figure

    table = _supernova()
    assert flux_linear_range(table) == pytest.approx(60.0)  # linear within 3 typical errors
    fig = light_curve_figure(table, title="SN")
    assert fig.axes[0].get_yscale() == "symlog"
    plt.close(fig)
    quiet = table[table["mjd"] < 60080]
    assert flux_linear_range(quiet) is None  # nothing to compress: a linear axis


def test_thousands_of_limits_become_the_deepest_per_time_bin() -> None:
    from fphot_provider.plotting import LIMIT_BINS, deepest_limits

    table = _supernova()
    limits = table[~table["detected"]].copy()
    limits.loc[limits.index[1234], "limit_mag"] = 23.0  # one exceptionally deep limit
    drawn = deepest_limits(limits)
    assert len(limits) > 2000 and len(drawn) <= LIMIT_BINS
    assert 23.0 in set(drawn["limit_mag"]) and drawn["mjd"].min() < 57100 and drawn["mjd"].max() > 60000
    assert deepest_limits(limits.head(50)).equals(limits.head(50))
