"""PanSTARRS DR2 via MAST: wire, parser, hook against the emulator, operator in dag.test()."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fphot_provider.emulators.panstarrs import PsObject, object_id
from fphot_provider.exceptions import InvalidQueryError, RemoteServiceError, TableParseError
from fphot_provider.hooks.panstarrs import PanstarrsHook
from fphot_provider.parsers.panstarrs import parse_panstarrs, tai_to_utc_mjd
from fphot_provider.sinks.file import FileSink
from fphot_provider.wire import panstarrs as wire
from tests.conftest import DATA, PanstarrsEmulator

BASE = "https://catalogs.mast.stsci.edu/api/v0.1/panstarrs"
RA, DEC = 150.0, 2.0
HEADER = "objID,detectID,filterID,obsTime,ra,dec,psfFlux,psfFluxErr,psfQfPerfect,infoFlag,infoFlag2,infoFlag3"


def detection_csv(*rows: str) -> str:
    return "\r\n".join([HEADER, *rows]) + "\r\n"


# --- wire -----------------------------------------------------------------------------------------
def test_table_request_shape() -> None:
    request = wire.table_request(
        BASE, "detection", {"objID": "1"}, columns=["objID", "psfFlux"], fmt="json", page=3, page_size=100, token="tok"
    )
    assert request.url == f"{BASE}/dr2/detection.json"
    assert request.params == {"objID": "1", "pagesize": "100", "page": "3", "columns": "[objID,psfFlux]"}
    assert request.headers == {"Authorization": "Bearer tok"}
    with pytest.raises(InvalidQueryError, match="table"):
        wire.table_request(BASE, "nope", {})
    with pytest.raises(InvalidQueryError, match="radius"):
        wire.cone_params(1, 1, 2.0)


def test_read_the_recorded_mean_answer_with_crlf() -> None:
    with open(DATA / "panstarrs" / "dr2_mean_csv_ra229.96_dec34.84_crlf.csv", newline="") as handle:
        text = handle.read()
    assert "\r\n" in text
    table = wire.read_table(text, "csv")
    assert table.loc[0, "objID"] == 149812299620603702 and table.loc[0, "nDetections"] == 72
    assert math.isclose(table.loc[0, "gMeanPSFMag"], 14.595100402832031)


def test_missing_sentinel_and_json_shapes() -> None:
    table = wire.read_table("objID,gMeanPSFMag,rMeanPSFMag\r\n1,-999.0,18.5\r\n", "csv")
    assert np.isnan(table.loc[0, "gMeanPSFMag"]) and table.loc[0, "rMeanPSFMag"] == 18.5
    info = [{"name": "objID"}, {"name": "psfFlux"}]
    as_lists = wire.read_table(json.dumps({"info": info, "data": [[1, 0.5], [2, -999]]}), "json")
    as_dicts = wire.read_table(
        json.dumps({"info": info, "data": [{"objID": 1, "psfFlux": 0.5}, {"objID": 2, "psfFlux": -999}]}), "json"
    )
    pd.testing.assert_frame_equal(as_lists, as_dicts)
    assert np.isnan(as_lists.loc[1, "psfFlux"])
    for text, fmt in [("<html>502 Bad Gateway</html>", "csv"), ('{"error": "x"}', "json"), ("[1,2]", "json")]:
        with pytest.raises(RemoteServiceError, match="not a"):
            wire.read_table(text, fmt)


# --- parser ---------------------------------------------------------------------------------------
def test_conversions_by_hand() -> None:
    text = detection_csv(
        "1,11,1,55500.0,150,2,1e-4,1e-6,0.99,4,0,0",  # g, 100 uJy +- 1 -> 18.9 mag
        "1,12,5,56500.0,150,2,2e-6,1e-6,0.99,4,0,0",  # y, S/N 2 -> non-detection, limit
        "1,13,3,56000.0,150,2,-3e-6,1e-6,0.99,4,0,0",  # negative: non-detection
        "1,14,2,56100.0,150,2,1e-4,1e-6,0.5,4,0,0",  # poor PSF coverage
        "1,15,4,56200.0,150,2,1e-4,1e-6,0.99,16,0,0",  # SATSTAR
        "1,16,2,56300.0,150,2,-999,-999,0.99,4,0,0",  # no measurement
    )
    table = parse_panstarrs(text, target="T").set_index("exposure_id")
    g = table.loc["11"]
    assert g["filter"] == "PS1.g" and g["detected"] and math.isclose(g["mag"], 18.9)
    assert math.isclose(g["flux_ujy"], 100.0) and math.isclose(g["mag_err"], 1.0857 / 100, rel_tol=1e-4)
    assert math.isclose((55500.0 - g["mjd"]) * 86400, 34.0, abs_tol=1e-3)  # TAI-UTC was 34 s in 2010
    assert math.isclose((56500.0 - table.loc["12", "mjd"]) * 86400, 35.0, abs_tol=1e-3)  # 35 s after mid-2012
    assert table.loc["12", "filter"] == "PS1.y" and not table.loc["12", "detected"]
    assert math.isclose(table.loc["12", "limit_mag"], 23.9 - 2.5 * math.log10(3))
    assert not table.loc["13", "detected"]
    assert table.loc["14", "flags"] == "psf_qf_low" and not table.loc["14", "good"]
    assert table.loc["15", "flags"] == "info_flag_bad"
    assert "no_measurement" in table.loc["16", "flags"]
    assert set(table["time_ref"]) == {"mid"} and set(table["service"]) == {"panstarrs"}


# MAST "PS1 Detection Flags" (table DetectionFlags): the values, not their positions in a list.
DEFECTS = {
    "FAIL": 0x8,
    "POOR": 0x10,
    "SATSTAR": 0x80,
    "BADPSF": 0x400,
    "DEFECT": 0x800,
    "SATURATED": 0x1000,
    "CR_LIMIT": 0x2000,
    "MOMENTS_FAILURE": 0x8000,
    "SKY_FAILURE": 0x10000,
    "SKYVAR_FAILURE": 0x20000,
}
NOT_DEFECTS = {"PSFMODEL": 0x1, "FITTED": 0x4, "EXTERNAL": 0x200, "EXT_LIMIT": 0x4000, "BLEND": 0x100}


@pytest.mark.parametrize(
    ("name", "bit", "bad"),
    [*[(n, b, True) for n, b in DEFECTS.items()], *[(n, b, False) for n, b in NOT_DEFECTS.items()]],
)
def test_info_flag_bits_by_their_detectionflags_values(name: str, bit: int, bad: bool) -> None:
    row = f"1,11,1,55500.0,150,2,1e-4,1e-6,0.99,{bit | 0x4},0,0"
    table = parse_panstarrs(detection_csv(row), target="T")
    assert (table.loc[0, "flags"] == "info_flag_bad") is bad, name
    assert bool(table.loc[0, "good"]) is not bad


def test_tai_to_utc() -> None:
    assert np.allclose((np.array([55000.0, 57300.0]) - tai_to_utc_mjd([55000.0, 57300.0])) * 86400, [34, 36], atol=1e-3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ((DATA / "panstarrs" / "dr2_mean_csv_ra229.96_dec34.84_crlf.csv").read_text(), "columns"),
        ("<html>oops</html>", "not a PanSTARRS detection table"),
        (detection_csv("1,11,7,55500.0,150,2,1e-4,1e-6,0.99,4,0,0"), "filterID outside 1..5"),
    ],
)
def test_refuses_what_is_not_a_detection_table(text: str, message: str) -> None:
    with pytest.raises(TableParseError, match=message):
        parse_panstarrs(text, target="T")


def test_header_only_answer_is_empty() -> None:
    assert len(parse_panstarrs(detection_csv(), target="T")) == 0


# --- hook against the emulator --------------------------------------------------------------------
def register(emulator: PanstarrsEmulator, *offsets_arcsec: float, artifact_at: float | None = None) -> list[PsObject]:
    objects = [
        PsObject(object_id(RA, DEC + o / 3600, k), RA, DEC + o / 3600, 18.0 + k) for k, o in enumerate(offsets_arcsec)
    ]
    if artifact_at is not None:  # a single-detection artifact (nDetections = 1)
        k = len(objects)
        objects.append(
            PsObject(object_id(RA, DEC + artifact_at / 3600, k), RA, DEC + artifact_at / 3600, 20.0, artifact=True)
        )
    emulator.state.registered = objects
    return objects


def test_cone_filter_drops_single_detection_artifacts(panstarrs_emulator) -> None:
    register(panstarrs_emulator, 0.5, artifact_at=0.05)
    everything = PanstarrsHook().cone("mean", RA, DEC, 2 / 3600, columns=wire.OBJECT_COLUMNS)
    kept = PanstarrsHook().cone("mean", RA, DEC, 2 / 3600, columns=wire.OBJECT_COLUMNS, **{"nDetections.gt": "1"})
    assert sorted(everything["nDetections"])[0] == 1 and len(everything) == 2
    assert len(kept) == 1 and kept.loc[0, "nDetections"] > 1


@pytest.mark.parametrize(("offsets", "radius", "found"), [((), 5, 0), ((0.2,), 5, 1), ((0.2, 1.5, 3.0, 8.0), 5, 3)])
def test_cone_with_zero_one_and_several_objects(panstarrs_emulator, offsets, radius, found) -> None:
    register(panstarrs_emulator, *offsets)
    cone = PanstarrsHook().cone("mean", RA, DEC, radius / 3600, columns=wire.OBJECT_COLUMNS)
    assert len(cone) == found
    assert list(cone.columns) == list(wire.OBJECT_COLUMNS)


def test_detections_are_paged(panstarrs_emulator) -> None:
    obj = register(panstarrs_emulator, 0.0)[0]
    PanstarrsHook().cone("mean", RA, DEC, 1 / 3600)
    whole, pages = PanstarrsHook().detection_pages(obj.obj_id)
    paged, small_pages = PanstarrsHook(page_size=10).detection_pages(obj.obj_id)
    assert len(pages) == 1 and len(small_pages) == len(whole) // 10 + 1
    pd.testing.assert_frame_equal(whole, paged)
    assert sum(len(parse_panstarrs(p, target="T")) for p in small_pages) == len(whole)


def test_503_is_retried_and_bad_columns_refused(panstarrs_emulator) -> None:
    register(panstarrs_emulator, 0.0)
    panstarrs_emulator.fault(503, count=2, path="/api/")
    assert len(PanstarrsHook().cone("mean", RA, DEC, 1 / 3600)) == 1
    assert [s for _, s in panstarrs_emulator.events()] == [503, 503, 200]
    with pytest.raises(RemoteServiceError, match="HTTP 400"):
        PanstarrsHook().cone("mean", RA, DEC, 1 / 3600, columns=["objID", "noSuchColumn"])


def test_json_and_csv_answers_agree(panstarrs_emulator) -> None:
    obj = register(panstarrs_emulator, 0.0)[0]
    PanstarrsHook().cone("mean", RA, DEC, 1 / 3600)
    _, csv_pages = PanstarrsHook().detection_pages(obj.obj_id)
    _, json_pages = PanstarrsHook().detection_pages(obj.obj_id, fmt="json")
    a, b = parse_panstarrs(csv_pages[0], target="T"), parse_panstarrs(json_pages[0], target="T")
    assert np.allclose(a["flux_ujy"], b["flux_ujy"]) and (a["exposure_id"] == b["exposure_id"]).all()


# --- the operator inside Airflow ------------------------------------------------------------------
CONF = {"target_name": "ps1 target", "ra": RA, "dec": DEC, "mjd_min": 55000.0, "mjd_max": 60000.0}


@pytest.mark.airflow
def test_operator_keeps_the_nearest_and_records_it(run_dag, panstarrs_emulator, data_dir: Path) -> None:
    objects = register(panstarrs_emulator, 1.5, 0.3, 3.0)
    state, tasks, dr = run_dag("fphot_test_panstarrs", CONF)
    assert state == "success", tasks
    product = next(t for t in dr.get_task_instances() if t.task_id == "fetch").xcom_pull(task_ids="fetch")
    assert [o["objID"] for o in product["objects"]] == [objects[1].obj_id]
    assert math.isclose(product["objects"][0]["separation_arcsec"], 0.3, abs_tol=1e-3)
    table = FileSink(data_dir).read("ps1 target")
    assert len(table) > 30 and set(table["raw_objID"].astype(int)) == {objects[1].obj_id}
    assert set(table["filter"]) <= {"PS1.g", "PS1.r", "PS1.i", "PS1.z", "PS1.y"}


@pytest.mark.airflow
def test_operator_never_picks_a_single_detection_artifact(run_dag, panstarrs_emulator) -> None:
    """Asked with nDetections.gt=1 (MAST's PS1 notebook, SkyPortal): the nearer artifact is not "the nearest"."""
    objects = register(panstarrs_emulator, 0.8, artifact_at=0.05)
    state, tasks, dr = run_dag("fphot_test_panstarrs", CONF)
    assert state == "success", tasks
    product = next(t for t in dr.get_task_instances() if t.task_id == "fetch").xcom_pull(task_ids="fetch")
    assert [o["objID"] for o in product["objects"]] == [objects[0].obj_id]


@pytest.mark.airflow
def test_operator_all_objects_and_window(run_dag, panstarrs_emulator, data_dir: Path) -> None:
    register(panstarrs_emulator, 1.5, 0.3, 3.0)
    state, _, _ = run_dag("fphot_test_panstarrs", {**CONF, "choose": "all"})
    assert state == "success"
    everything = FileSink(data_dir).read("ps1 target")
    assert everything["raw_objID"].nunique() == 3
    state, _, _ = run_dag(
        "fphot_test_panstarrs", {**CONF, "target_name": "windowed", "mjd_min": 56000.0, "mjd_max": 56500.0}
    )
    windowed = FileSink(data_dir).read("windowed")
    assert state == "success" and len(windowed) > 0
    assert windowed["mjd"].between(56000.0, 56500.0).all()


@pytest.mark.airflow
def test_operator_empty_cone(run_dag, panstarrs_emulator, data_dir: Path) -> None:
    register(panstarrs_emulator, 30.0)  # an object, but outside the 5" cone
    state, tasks, _ = run_dag("fphot_test_panstarrs", CONF)
    assert state == "success", tasks
    assert len(FileSink(data_dir).read("ps1 target")) == 0


@pytest.mark.airflow
def test_chunk_of_targets_in_one_task_with_failures_kept_apart(run_dag, panstarrs_emulator) -> None:
    queries = [
        {"target_name": f"p{i}", "ra": 150 + i, "dec": 2.0, "mjd_min": 55000.0, "mjd_max": 57000.0} for i in range(8)
    ]
    queries[3]["mjd_max"] = 54000.0  # a window that ends before it starts: this target alone fails
    state, tasks, dr = run_dag("fphot_test_ps1_chunk", {"queries": queries})
    assert state == "success", tasks
    result = next(t for t in dr.get_task_instances()).xcom_pull(task_ids="fetch")
    assert [f["target"] for f in result["failures"]] == ["p3"] and "mjd_max" in result["failures"][0]["error"]
    assert sorted(p["target"]["name"] for p in result["products"]) == [f"p{i}" for i in range(8) if i != 3]
    assert all(p["service"] == "panstarrs" for p in result["products"])
