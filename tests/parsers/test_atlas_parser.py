"""The ATLAS parser on every recorded real file and on the format's edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fphot_provider.emulators.atlas_data import generate
from fphot_provider.exceptions import TableParseError
from fphot_provider.parsers.atlas import parse_atlas
from fphot_provider.photometry import COLUMNS
from tests.conftest import DATA

ATLAS = DATA / "atlas"
HEADER = "###MJD          m      dm   uJy   duJy F err chi/N     RA       Dec        x        y     maj  min   phi  apfit mag5sig Sky   Obs"  # noqa: E501 - a literal line of the format
ROW = "60316.142545  17.349  0.089   417   37 o  0  28.03  65.00165 -54.93795  9674.06  2072.74 2.51 1.85  76.9 -0.504 19.34 20.82 04a60316o0180o"  # noqa: E501 - a literal line of the format

# file, rows, per filter, negative fluxes (a printed "-0" parses as zero)
REAL_FILES = [
    ("fp_tom_base_ra65.00_decm54.94_southern_units.txt", 32, {"ATLAS.o": 24, "ATLAS.c": 8}, 12),
    ("fp_SN2021ckj_1736rows.txt", 1736, {"ATLAS.o": 1366, "ATLAS.c": 370}, 794 - 29),
    ("fp_SN2022abqw_2380rows.txt", 2380, {"ATLAS.o": 1713, "ATLAS.c": 667}, 1172 - 22),
    ("fp_job01064_ra68.85_dec55.38_168rows.txt", 168, {"ATLAS.o": 140, "ATLAS.c": 28}, 2),
    ("fp_job00128_ra276.37_decm6.08_all_39_fluxes_negative.txt", 39, {"ATLAS.o": 27, "ATLAS.c": 12}, 39),
    ("atclean_rewrite_SN2023fyq_control01_c_MJD_header_NaN.txt", 894, {"ATLAS.c": 894}, 340),
    ("pandas_csv_rewrite_ATLAS2021bls_comma_MJD_header.csv", 27, {"ATLAS.o": 27}, 18),
]


@pytest.mark.parametrize(("name", "rows", "per_filter", "negative"), REAL_FILES)
def test_real_files_parse(name: str, rows: int, per_filter: dict[str, int], negative: int) -> None:
    table = parse_atlas((ATLAS / name).read_text(), target="T")
    assert len(table) == rows
    assert table["filter"].value_counts().to_dict() == per_filter
    assert int((table["flux_ujy"] < 0).sum()) == negative
    assert list(table.columns[: len(COLUMNS)]) == COLUMNS
    assert table["exposure_id"].is_unique
    assert (table["service"] == "atlas").all() and (table["target"] == "T").all()
    # every row is either a detection with a magnitude or a non-detection with a limit
    detected = table["detected"].to_numpy()
    assert np.isfinite(table["mag"].to_numpy()[detected]).all()
    assert np.isfinite(table["limit_mag"].to_numpy()[~detected]).all()


def test_negative_fluxes_are_never_detections_and_magnitudes_are_recomputed() -> None:
    table = parse_atlas((ATLAS / "fp_job00128_ra276.37_decm6.08_all_39_fluxes_negative.txt").read_text(), target="T")
    assert not table["detected"].any()
    assert (table["raw_m"] < 0).all()  # the server's sign convention, kept raw
    first = table.iloc[0]  # uJy -130, duJy 10 -> 3-sigma limit 23.9 - 2.5 log10(30)
    assert math.isclose(first["limit_mag"], 23.9 - 2.5 * math.log10(30))


def test_bright_source_magnitudes_by_hand() -> None:
    table = parse_atlas((ATLAS / "fp_job01064_ra68.85_dec55.38_168rows.txt").read_text(), target="T")
    first = table.iloc[0]  # 433 +- 17 uJy -> m = 23.9 - 2.5 log10(433) = 17.31 (the server prints 17.310)
    assert first["detected"]
    assert math.isclose(first["mag"], 23.9 - 2.5 * math.log10(433))
    assert math.isclose(first["mag"], first["raw_m"], abs_tol=0.005)
    assert math.isclose(first["mag_err"], 1.0857 * 17 / 433, rel_tol=1e-3)
    assert first["exposure_id"] == "01a59070o0803o"


def test_southern_units_keep_their_exposure_names() -> None:
    table = parse_atlas((ATLAS / "fp_tom_base_ra65.00_decm54.94_southern_units.txt").read_text(), target="T")
    assert set(table["exposure_id"].str[:3]) == {"03a", "04a"}


def test_pa_deg_column_is_found_by_name() -> None:
    header = HEADER.replace("mag5sig Sky", "mag5sig PA_DEG Sky")
    fields = ROW.split()
    row = " ".join(fields[:17] + ["-12.5"] + fields[17:])
    table = parse_atlas(f"{header}\n{row}\n", target="T")
    assert table.loc[0, "raw_PA_DEG"] == -12.5
    assert table.loc[0, "raw_Sky"] == 20.82  # not shifted into the wrong column
    assert table.loc[0, "exposure_id"] == "04a60316o0180o"


def test_zero_row_file_is_an_empty_valid_table() -> None:
    table = parse_atlas(HEADER + "\n", target="T")
    assert len(table) == 0
    assert list(table.columns) == COLUMNS


def test_crlf_and_blank_lines() -> None:
    table = parse_atlas(f"{HEADER}\r\n{ROW}\r\n\r\n", target="T")
    assert len(table) == 1 and table.loc[0, "exposure_id"] == "04a60316o0180o"


def test_duplicate_exposure_kept_once_and_counted() -> None:
    table = parse_atlas(f"{HEADER}\n{ROW}\n{ROW}\n", target="T")
    assert len(table) == 1
    assert table.attrs["duplicates_dropped"] == 1


def test_err_rows_and_degenerate_rows_are_flagged_not_dropped() -> None:
    fields = ROW.split()
    bad_err = fields.copy()
    bad_err[6], bad_err[-1] = "3", "04a60316o0181o"
    degenerate = fields.copy()
    degenerate[1:5] = ["0", "0", "0", "0"]
    degenerate[7], degenerate[16], degenerate[-1] = "nan", "-5.00", "04a60316o0182o"
    text = "\n".join([HEADER, ROW, " ".join(bad_err), " ".join(degenerate)]) + "\n"
    table = parse_atlas(text, target="T").set_index("exposure_id")
    assert len(table) == 3
    assert table.loc["04a60316o0180o", "good"]
    assert "tphot_err" in table.loc["04a60316o0181o", "flags"]
    row = table.loc["04a60316o0182o"]
    assert not row["good"] and not row["detected"]
    assert {"bad_flux_err", "no_photometric_solution"} <= set(row["flags"].split("|"))
    assert np.isnan(row["snr"]) and np.isnan(row["limit_mag"])


def test_other_filters_come_from_the_file() -> None:
    fields = ROW.split()
    fields[5], fields[-1] = "w", "05r60316o0180w"
    table = parse_atlas(f"{HEADER}\n{' '.join(fields)}\n", target="T")
    assert table.loc[0, "filter"] == "ATLAS.w"


def test_snr_threshold_and_reduced_mode() -> None:
    text = generate(210.910674, 54.3117, 60070, 60200)  # a known transient in the emulated sky
    default = parse_atlas(text, target="T")
    strict = parse_atlas(text, target="T", snr_threshold=100)
    assert 0 < strict["detected"].sum() < default["detected"].sum()
    assert (strict["snr"][strict["detected"]] >= 100).all()
    reduced = parse_atlas(text, target="T", reduced=True)
    assert set(reduced["service"]) == {"atlas_reduced"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no header line"),
        ("\n\n  \n", "no header line"),
        ((DATA.parent / "conftest.py").read_text(), "not ATLAS forced photometry output"),
        ("<!DOCTYPE html><html><body>Server Error</body></html>", "not ATLAS forced photometry output"),
        ("# ZTF forced photometry\n index, field, ccdid\n 0 1 2\n", "not ATLAS forced photometry output"),
        ('{"detail": "Invalid token."}', "not ATLAS forced photometry output"),
        (f"{HEADER}\n60316.1 17.3 0.1 abc 37 o 0 1 1 1 1 1 1 1 1 1 1 1 X\n", "not numeric"),
        (f"{HEADER}\n60316.1 17.3 0.1\n", "fewer fields"),
        (f"{HEADER}\n{ROW} extra more\n", "do not match the header"),
    ],
)
def test_not_forced_photometry_is_refused(text: str, message: str) -> None:
    with pytest.raises(TableParseError, match=message):
        parse_atlas(text, target="T")
