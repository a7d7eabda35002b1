"""The broker parsers on answers shaped exactly like the recorded ones (DESIGN section 3).

The JSON texts are written out by hand, so the ids stay what the services send: integers beyond
2**53 written as literals, which a float column would round.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from fphot_provider.exceptions import TableParseError
from fphot_provider.parsers import registry
from fphot_provider.parsers.alerce import parse_alerce_lsst, parse_alerce_ztf
from fphot_provider.parsers.fink import parse_fink_lsst

BIG = 2**53 + 1  # 9007199254740993: a float would make it ...992
TAI_MINUS_UTC = 37 / 86400

# Fink /api/v1/fp: pandas to_json(orient="records") of r:-prefixed diaForcedSource columns.
FINK = (
    "["
    f'{{"r:diaForcedSourceId":{BIG},"r:diaObjectId":169298433216610349,"r:ra":150.1,"r:dec":-20.3,'
    '"r:visit":2025110400123,"r:detector":94,"r:psfFlux":12500.0,"r:psfFluxErr":400.0,'
    '"r:midpointMjdTai":61000.5,"r:scienceFlux":30500.0,"r:scienceFluxErr":450.0,"r:band":"g",'
    '"r:timeProcessedMjdTai":61000.51,"r:timeWithdrawnMjdTai":null},'
    '{"r:diaForcedSourceId":313853029089984513,"r:diaObjectId":169298433216610349,"r:ra":150.1,'
    '"r:dec":-20.3,"r:visit":2025110400200,"r:detector":94,"r:psfFlux":-300.0,"r:psfFluxErr":400.0,'
    '"r:midpointMjdTai":61010.25,"r:scienceFlux":18000.0,"r:scienceFluxErr":450.0,"r:band":"y",'
    '"r:timeProcessedMjdTai":61010.26,"r:timeWithdrawnMjdTai":61011.0}'
    "]"
)

# ALeRCE LSST /lightcurve_api/forced-photometry: band numbers (6,1,2,3,4,5 = u,g,r,i,z,y).
ALERCE_LSST = json.dumps(
    [
        {
            "band_map": {"6": "u", "1": "g", "2": "r", "3": "i", "4": "z", "5": "y"},
            "band": band,
            "mjd": 61000.0 + k,
            "survey_id": "lsst",
            "oid": 169298433216610349,
            "measurement_id": 313853029089984512 + k,
            "ra": 150.1,
            "dec": -20.3,
            "visit": 2025110400000 + k,
            "detector": 12,
            "psfFlux": 5000.0 * (k + 1),
            "psfFluxErr": 250.0,
            "scienceFlux": 9000.0,
            "scienceFluxErr": 300.0,
        }
        for k, band in enumerate([6, 1, 2, 3, 4, 5])
    ]
)

# ALeRCE ZTF /v2/lightcurve/forced-photometry/<oid>: magnitudes, details in extra_fields.
ALERCE_ZTF = json.dumps(
    [
        {"pid": 2361955319141, "oid": "ZTF23aaklqou", "mjd": 60083.2, "fid": 1, "ra": 210.91, "dec": 54.31,
         "mag": 18.9, "e_mag": 0.05, "isdiffpos": 1, "procstatus": "0",
         "extra_fields": {"magzpsci": 26.3, "diffmaglim": 20.8}},
        {"pid": 2361955319142, "oid": "ZTF23aaklqou", "mjd": 60084.2, "fid": 2, "ra": 210.91, "dec": 54.31,
         "mag": 21.4, "e_mag": 0.3, "isdiffpos": -1, "procstatus": "0",
         "extra_fields": {"magzpsci": 26.2, "diffmaglim": 20.9}},
        {"pid": 2361955319143, "oid": "ZTF23aaklqou", "mjd": 60085.2, "fid": 3, "ra": 210.91, "dec": 54.31,
         "mag": None, "e_mag": None, "isdiffpos": None, "procstatus": "56",
         "extra_fields": {"magzpsci": 26.1, "diffmaglim": 20.4}},
    ]
)  # fmt: skip


def test_fink_rows_into_the_schema() -> None:
    table = parse_fink_lsst(FINK, target="T")
    assert table["exposure_id"].tolist() == [str(BIG), "313853029089984513"]
    assert table["filter"].tolist() == ["LSST.g", "LSST.y"] and set(table["time_ref"]) == {"mid"}
    assert np.allclose(table["flux_ujy"], [12.5, -0.3]) and np.allclose(table["flux_err_ujy"], [0.4, 0.4])
    assert np.allclose(table["mjd"], [61000.5 - TAI_MINUS_UTC, 61010.25 - TAI_MINUS_UTC], atol=1e-9, rtol=0)
    assert table["detected"].tolist() == [True, False] and np.isfinite(table.loc[1, "limit_mag"])
    assert table["mag"][0] == pytest.approx(23.9 - 2.5 * np.log10(12.5))
    assert table["flags"].tolist() == ["", "withdrawn"] and table["good"].tolist() == [True, False]
    assert table["raw_r_diaObjectId"].tolist() == ["169298433216610349"] * 2  # exact, kept raw


def test_fink_window_keeps_the_asked_epochs_and_empty_is_valid() -> None:
    assert len(parse_fink_lsst(FINK, target="T", mjd_min=61005.0)) == 1
    assert len(parse_fink_lsst("[]", target="T")) == 0


def test_alerce_lsst_band_numbers_units_and_exact_ids() -> None:
    table = parse_alerce_lsst(ALERCE_LSST, target="T")
    assert table["filter"].tolist() == ["LSST.u", "LSST.g", "LSST.r", "LSST.i", "LSST.z", "LSST.y"]
    assert table["exposure_id"].tolist() == [str(313853029089984512 + k) for k in range(6)]
    assert np.allclose(table["flux_ujy"], [5.0, 10.0, 15.0, 20.0, 25.0, 30.0])
    assert set(table["time_ref"]) == {"mid"} and table["mjd"][0] == pytest.approx(61000.0 - TAI_MINUS_UTC, abs=1e-9)


def test_alerce_lsst_rows_listed_twice_are_kept_once() -> None:
    rows = json.loads(ALERCE_LSST)
    table = parse_alerce_lsst(json.dumps(rows + rows[:2]), target="T")
    assert len(table) == 6 and table.attrs["duplicates_dropped"] == 2


def test_alerce_ztf_flux_from_magnitudes_and_limits_from_the_image() -> None:
    table = parse_alerce_ztf(ALERCE_ZTF, target="SN 2023ixf")
    assert table["exposure_id"].tolist() == ["2361955319141", "2361955319142", "2361955319143"]
    assert table["filter"].tolist() == ["ZTF.g", "ZTF.r", "ZTF.i"] and set(table["time_ref"]) == {"start"}
    flux = 10 ** (-0.4 * (18.9 - 23.9))
    assert table["flux_ujy"][0] == pytest.approx(flux) and table["flux_err_ujy"][0] == pytest.approx(
        0.05 * flux / 1.0857, rel=1e-4
    )
    assert table["flux_ujy"][1] == pytest.approx(-(10 ** (-0.4 * (21.4 - 23.9))))  # isdiffpos -1: negative
    assert table["detected"].tolist() == [True, False, False]
    assert table["limit_mag"][2] == pytest.approx(20.4)  # no magnitude: the image's diffmaglim
    assert table["flags"][2] == "no_measurement|procstatus" and not table["good"][2]
    assert table["raw_extra_magzpsci"].tolist() == [26.3, 26.2, 26.1]


@pytest.mark.parametrize(
    ("parse", "text", "said"),
    [
        (parse_fink_lsst, "<html>busy</html>", "fink_lsst: not JSON"),
        (parse_fink_lsst, '{"status": "error"}', "fink_lsst: expected a JSON list"),
        (parse_fink_lsst, '[{"r:psfFlux": 1.0}]', "fink_lsst: row 0 lacks"),
        (parse_fink_lsst, FINK.replace('"r:band":"g"', '"r:band":"w"'), "fink_lsst: band outside"),
        (parse_alerce_lsst, '[{"oid": 1}]', "alerce_lsst: row 0 lacks"),
        (parse_alerce_ztf, ALERCE_ZTF.replace('"fid": 3', '"fid": 7'), "alerce_ztf: fid outside"),
        (parse_alerce_ztf, ALERCE_ZTF.replace('"isdiffpos": 1', '"isdiffpos": "maybe"'), "alerce_ztf: isdiffpos"),
        (parse_alerce_ztf, '[{"pid": 1.5, "mjd": 1, "fid": 1, "mag": 1, "e_mag": 1, "isdiffpos": 1}]', "no exact pid"),
    ],
)
def test_malformed_answers_name_the_service_and_the_problem(parse, text, said) -> None:  # noqa: ANN001
    with pytest.raises(TableParseError, match=said):
        parse(text, target="T")


@pytest.mark.parametrize("service", ["fink_lsst", "alerce_lsst", "alerce_ztf"])
def test_registered_for_their_data_product_types(service) -> None:  # noqa: ANN001
    text = {"fink_lsst": FINK, "alerce_lsst": ALERCE_LSST, "alerce_ztf": ALERCE_ZTF}[service]
    table = registry.parse(f"{service}_photometry", text, target="T")
    assert set(table["service"]) == {service}
