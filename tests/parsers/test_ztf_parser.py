"""The ZTF parser on every recorded real file (v3.4, v3.7, v3.8, batch v5.9) and by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fphot_provider.emulators import ztf_data
from fphot_provider.exceptions import TableParseError
from fphot_provider.parsers.ztf import parse_ztf
from fphot_provider.photometry import COLUMNS
from tests.conftest import DATA

ZTF = DATA / "ztf"
# file, rows, per filter, rows with no measurement
REAL_FILES = [
    ("req00010458_v3.4_clean_50rows.txt", 50, {"ZTF.g": 25, "ZTF.r": 25}, 0),
    ("req00010459_v3.4_683rows_procstatus56.txt", 683, {"ZTF.r": 379, "ZTF.g": 304}, 7),
    ("ZTF20acfkyll_req00012210_v3.4_clean_92rows.txt", 92, {"ZTF.r": 51, "ZTF.g": 41}, 0),
    ("SN2020lao_req00104849_v3.7_gri.txt", 2003, {"ZTF.g": 976, "ZTF.r": 939, "ZTF.i": 88}, 2),
    ("req00381089_v3.8_all_null_flux.txt", 26, {"ZTF.r": 17, "ZTF.g": 5, "ZTF.i": 4}, 26),
    ("req00381102_v3.8_429rows_procstatus57_null_nearestref.txt", 429, {"ZTF.g": 221, "ZTF.r": 208}, 0),
    ("req00381115_v3.8_procstatus56.txt", 32, None, 0),
    ("req00381145_v3.8_clean_78rows.txt", 78, {"ZTF.g": 43, "ZTF.r": 35}, 0),
    ("batchfp_req0002064117_v5.9_batch_sindex_689rows.txt", 689, {"ZTF.r": 359, "ZTF.g": 308, "ZTF.i": 22}, 0),
    ("batchfp_req0001826905_v5.9_batch_22rows_minus99999.txt", 1636, {"ZTF.r": 852, "ZTF.g": 603, "ZTF.i": 181}, 22),
    ("batchfp_req0001745132_v5.9_batch_4104rows.txt", 4104, {"ZTF.g": 1839, "ZTF.r": 1808, "ZTF.i": 457}, 1),
]


def flags_of(table, column="flags"):  # noqa: ANN001, ANN201
    return table[column].astype(str).str.split("|")


@pytest.mark.parametrize(("name", "rows", "per_filter", "unmeasured"), REAL_FILES)
def test_real_files_parse(name: str, rows: int, per_filter: dict | None, unmeasured: int) -> None:
    table = parse_ztf((ZTF / name).read_text(), target="T")
    assert len(table) == rows
    if per_filter:
        assert table["filter"].value_counts().to_dict() == per_filter
    assert list(table.columns[: len(COLUMNS)]) == COLUMNS
    assert table["exposure_id"].is_unique
    no_measurement = flags_of(table).apply(lambda f: "no_measurement" in f)
    assert int(no_measurement.sum()) == unmeasured
    assert not table.loc[no_measurement, "good"].any() and not table.loc[no_measurement, "detected"].any()


def test_hand_computed_rows_follow_the_service_guide() -> None:
    table = parse_ztf((ZTF / "req00381145_v3.8_clean_78rows.txt").read_text(), target="T")
    first = table.iloc[0]  # flux -64.9925 +- 99.6168 DN, zpdiff 26.1332: SNR < 3 -> 5-sigma limit
    assert not first["detected"]
    assert math.isclose(first["limit_mag"], 26.1332 - 2.5 * math.log10(5 * 99.6168208246382), abs_tol=1e-6)
    assert math.isclose(first["flux_ujy"], -64.9925165825501 * 10 ** (-0.4 * (26.1332 - 23.9)), rel_tol=1e-9)
    assert math.isclose(first["mjd"], 2458234.7453356 - 2400000.5)
    assert first["exposure_id"] == "480245333615" and first["filter"] == "ZTF.g"
    bright = parse_ztf((ZTF / "SN2020lao_req00104849_v3.7_gri.txt").read_text(), target="T")
    row = bright[bright["detected"]].iloc[0]
    zp = row["raw_zpdiff"]
    flux_dn = row["flux_ujy"] / 10 ** (-0.4 * (zp - 23.9))
    unc_dn = row["flux_err_ujy"] / 10 ** (-0.4 * (zp - 23.9))
    assert "raw_forcediffimflux" not in bright  # the flux is mapped, not kept raw
    assert math.isclose(row["mag"], zp - 2.5 * math.log10(flux_dn), abs_tol=1e-9)
    assert math.isclose(row["mag_err"], 1.0857 * unc_dn / flux_dn, rel_tol=1e-4)


def test_procstatus_lists_and_no_reference_source() -> None:
    table = parse_ztf((ZTF / "req00381089_v3.8_all_null_flux.txt").read_text(), target="T")
    flags = flags_of(table)
    assert flags.apply(lambda f: {"bad_pixels", "no_ref_source"} <= set(f)).sum() == 21  # "56,57"
    assert flags.apply(lambda f: {"off_image", "no_ref_source"} <= set(f)).sum() == 5  # "57,61"
    new_transient = parse_ztf((ZTF / "batchfp_req0002064117_v5.9_batch_sindex_689rows.txt").read_text(), target="T")
    only57 = new_transient["flags"].astype(str) == "no_ref_source"
    assert only57.sum() > 600 and new_transient.loc[only57, "good"].all()  # 57 alone is normal, still good
    assert new_transient["raw_nearestrefmag"].isna().all()


def test_batch_sentinel_is_no_measurement_not_a_flux() -> None:
    table = parse_ztf((ZTF / "batchfp_req0001826905_v5.9_batch_22rows_minus99999.txt").read_text(), target="T")
    failed = flags_of(table).apply(lambda f: "no_measurement" in f)
    assert failed.sum() == 22
    assert table.loc[failed, "flux_ujy"].isna().all() and table.loc[failed, "raw_forcediffimsnr"].isna().all()
    assert (table["flux_ujy"].dropna() > -1e4).all()


def test_quality_marks_per_masci_2023() -> None:
    table = parse_ztf((ZTF / "req00381102_v3.8_429rows_procstatus57_null_nearestref.txt").read_text(), target="T")
    flags = flags_of(table)
    assert (flags.apply(lambda f: "infobits" in f) == (table["raw_infobitssci"] >= 33554432)).all()
    assert (flags.apply(lambda f: "bad_seeing" in f) == (table["raw_sciinpseeing"] > 4)).all()
    assert (flags.apply(lambda f: "high_sigpix" in f) == (table["raw_scisigpix"] > 25)).all()


def test_hash_prefixed_column_line_and_crlf() -> None:
    text = (ZTF / "req00010458_v3.4_clean_50rows.txt").read_text()
    variant = text.replace("\n index, field,", "\n# index, field,").replace("\n", "\r\n")
    assert len(parse_ztf(variant, target="T")) == 50


def test_baseline_correction_is_optional_and_recorded() -> None:
    cols = ztf_data.epochs(150.0, 30.0, 2460000.5, 2460300.5)
    cols["forcediffimflux"] = cols["forcediffimflux"] + 40.0  # a reference-image offset
    text = ztf_data.render(cols, 150.0, 30.0, 2460000.5, 2460300.5)
    plain = parse_ztf(text, target="T")
    corrected = parse_ztf(text, target="T", baseline_before_mjd=60030)
    assert "raw_baseline_dn" not in plain and corrected.attrs["baseline_before_mjd"] == 60030
    offset = corrected["raw_baseline_dn"]
    assert (offset[offset != 0].between(25, 55)).all() and (offset != 0).any()
    unavailable = flags_of(corrected).apply(lambda f: "baseline_unavailable" in f)
    assert ((offset == 0) == unavailable).all()


def test_zero_rows_and_end_line() -> None:
    text = ztf_data.render(ztf_data.epochs(1, 1, 2460000.5, 2460000.6), 1, 1, 2460000.5, 2460000.6)
    table = parse_ztf(text, target="T")
    assert len(table) == 0 and list(table.columns) == COLUMNS


@pytest.mark.parametrize(
    "text",
    [
        "",
        (DATA / "atlas" / "fp_SN2021ckj_1736rows.txt").read_text(),
        "<html><body>Error</body></html>",
        "# comment only\n#\n",
    ],
)
def test_not_ztf_output_is_refused(text: str) -> None:
    with pytest.raises(TableParseError, match="not ZTF forced photometry output"):
        parse_ztf(text, target="T")


def test_rows_not_matching_the_column_line_are_refused() -> None:
    text = (
        (ZTF / "req00010458_v3.4_clean_50rows.txt").read_text().replace(" 0 574 8 1 ZTF_g", " 0 574 8 1 ZTF_g extra", 1)
    )
    with pytest.raises(TableParseError):
        parse_ztf(text, target="T")


def test_snt_snu_options() -> None:
    text = (ZTF / "SN2020lao_req00104849_v3.7_gri.txt").read_text()
    strict = parse_ztf(text, target="T", snr_threshold=5, limit_sigma=3)
    default = parse_ztf(text, target="T")
    assert strict["detected"].sum() < default["detected"].sum()
    undetected = ~strict["detected"] & strict["limit_mag"].notna()
    unc = strict.loc[undetected, "flux_err_ujy"]
    assert np.allclose(strict.loc[undetected, "limit_mag"], 23.9 - 2.5 * np.log10(3 * unc))
