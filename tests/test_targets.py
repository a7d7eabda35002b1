"""Target and window validation: one code path for every entry point."""

from __future__ import annotations

import math

import pytest

from fphot_provider.exceptions import InvalidQueryError
from fphot_provider.targets import DEFAULT_MJD_MIN, QueryWindow, Target, safe_name


@pytest.mark.parametrize(
    ("ra", "dec", "expected_ra", "expected_dec"),
    [
        (210.910674, 54.3117, 210.910674, 54.3117),
        ("210.910674", "+54.3117", 210.910674, 54.3117),
        ("14:03:38.56", "+54:18:42.1", 210.9106667, 54.3116944),
        ("14h03m38.56s", "54d18m42.1s", 210.9106667, 54.3116944),
        ("13 29 52.7", "+47 11 43", 202.4695833, 47.1952778),
        (0, -90, 0.0, -90.0),
        (359.9999, 90, 359.9999, 90.0),
        ("00:00:00", "-00:30:00", 0.0, -0.5),
    ],
)
def test_target_accepts_decimal_and_sexagesimal(ra, dec, expected_ra, expected_dec) -> None:
    target = Target.parse("SN 2023ixf", ra, dec)
    assert math.isclose(target.ra, expected_ra, abs_tol=1e-6)
    assert math.isclose(target.dec, expected_dec, abs_tol=1e-6)


BAD_TARGETS = [
    ("", 10, 10, "target_name", "non-empty"),
    ("   ", 10, 10, "target_name", "non-empty"),
    (None, 10, 10, "target_name", "non-empty"),
    ("x" * 201, 10, 10, "target_name", "200"),
    ("t", 360, 10, "ra", "0 <= ra < 360"),
    ("t", 400, 10, "ra", "0 <= ra < 360"),
    ("t", -0.1, 10, "ra", "0 <= ra < 360"),
    ("t", "24:00:00", 10, "ra", "0 <= ra < 360"),
    ("t", "abc", 10, "ra", "0 <= ra < 360"),
    ("t", float("nan"), 10, "ra", "not finite"),
    ("t", True, 10, "ra", "must be a number"),
    ("t", None, 10, "ra", "0 <= ra < 360"),
    ("t", 10, 90.5, "dec", "-90 <= dec <= 90"),
    ("t", 10, -91, "dec", "-90 <= dec <= 90"),
    ("t", 10, "+95:00:00", "dec", "-90 <= dec <= 90"),
    ("t", 10, "north", "dec", "-90 <= dec <= 90"),
    ("t", 10, float("inf"), "dec", "not finite"),
]


@pytest.mark.parametrize(("name", "ra", "dec", "field", "hint"), BAD_TARGETS)
def test_bad_target_names_the_field_and_range(name, ra, dec, field, hint) -> None:
    with pytest.raises(InvalidQueryError) as err:
        Target.parse(name, ra, dec)
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}:")
    assert hint in str(err.value)


BAD_WINDOWS = [
    (60100, 60000, "mjd_max", "greater than mjd_min"),
    # ATLAS refuses mjd_max == mjd_min ("mjd_max must be greater than mjd_min"): so do we, first.
    (60000, 60000, "mjd_max", "greater than mjd_min"),
    ("2023-05-19", 60083.0, "mjd_max", "greater than mjd_min"),
    (2460000, None, "mjd_min", "MJD 44239"),  # a JD where an MJD belongs
    (60000, 2460100.5, "mjd_max", "MJD 44239"),
    ("yesterday", 60000, "mjd_min", "ISO date"),
    (60000, "2023-13-45", "mjd_max", "ISO date"),
    (float("nan"), 60000, "mjd_min", "not finite"),
    ([60000], 60001, "mjd_min", "ISO date"),
]


@pytest.mark.parametrize(("start", "end", "field", "hint"), BAD_WINDOWS)
def test_bad_window_names_the_field_and_range(start, end, field, hint) -> None:
    with pytest.raises(InvalidQueryError) as err:
        QueryWindow.parse(start, end, now_mjd=60500.0)
    assert err.value.field == field
    assert hint in str(err.value)


def test_window_accepts_iso_dates_and_fills_open_ends() -> None:
    window = QueryWindow.parse("2023-05-19", "2023-06-18T12:00:00")
    assert window == QueryWindow(60083.0, 60113.5)
    assert QueryWindow.parse(None, "", now_mjd=60500.123456) == QueryWindow(DEFAULT_MJD_MIN, 60500.12346)
    assert window.jd_min == 2460083.5


def test_round_trip_through_dict() -> None:
    target = Target.parse("AT 2019abc", "01:02:03", "-04:05:06")
    assert Target.from_dict(target.to_dict()) == target
    window = QueryWindow.parse(60000, 60010)
    assert QueryWindow.from_dict(window.to_dict()) == window


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("SN 2023ixf", "SN_2023ixf"),
        ("../../etc/passwd", "etc_passwd"),
        ("ZTF20 acfkyll/x", "ZTF20_acfkyll_x"),
        ("...", "target"),
    ],
)
def test_safe_name_cannot_escape_the_folder(name: str, safe: str) -> None:
    assert safe_name(name) == safe
