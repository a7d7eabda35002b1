"""The fphot_target DAG end to end, in real Airflow, against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fphot_provider.sinks.file import FileSink
from tests.conftest import AtlasEmulator, PanstarrsEmulator, ZtfEmulator

pytestmark = pytest.mark.airflow
CONF = {
    "target_name": "SN 2023ixf",
    "ra": "14:03:38.56",
    "dec": "+54:18:42.1",
    "mjd_min": "2023-05-01",
    "mjd_max": 60200,
}
FULL = {**CONF, "mjd_min": "2010-01-01"}  # PanSTARRS epochs are 2010-2014


def test_end_to_end_and_rerun_adds_nothing(
    run_dag,
    atlas_emulator: AtlasEmulator,
    ztf_emulator: ZtfEmulator,
    panstarrs_emulator: PanstarrsEmulator,
    broker_emulators: dict,
    data_dir: Path,
) -> None:
    state, tasks, dr = run_dag("fphot_target", FULL)
    assert state == "success", tasks
    stored = FileSink(data_dir).read("SN 2023ixf")
    assert set(stored["filter"]) >= {"ATLAS.c", "ATLAS.o", "ZTF.g", "ZTF.r", "ZTF.i", "PS1.g", "PS1.r"}
    per_service = stored["service"].value_counts()
    assert per_service["atlas"] > 1000 and per_service["ztf"] > 500 and per_service["panstarrs"] > 20
    # SN 2023ixf (Dec +54) is north of Rubin: both LSST brokers give a valid empty answer;
    # ZTF's alert forced photometry comes through ALeRCE.
    assert per_service["alerce_ztf"] > 20 and "fink_lsst" not in per_service and "alerce_lsst" not in per_service
    assert {tasks[f"{s}.process"] for s in ("fink_lsst", "alerce_lsst", "alerce_ztf")} == {"success"}
    assert stored["mjd"].min() >= 55197.0 and stored["mjd"].max() <= 60200.0
    plot = data_dir / "plots" / "SN_2023ixf.png"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plotted = next(t for t in dr.get_task_instances() if t.task_id == "plot")
    assert plotted.xcom_pull(task_ids="plot", key="light_curve_path") == "/fphot/target?name=SN%202023ixf"
    submitted = atlas_emulator.stats()["POST submit"]

    state, tasks, dr = run_dag("fphot_target", FULL)
    assert state == "success", tasks
    again = FileSink(data_dir).read("SN 2023ixf")
    assert len(again) == len(stored)
    ti = next(t for t in dr.get_task_instances() if t.task_id == "atlas.process")
    for service in ("atlas", "ztf", "panstarrs", "fink_lsst", "alerce_lsst", "alerce_ztf"):
        assert ti.xcom_pull(task_ids=f"{service}.process")["inserted"] == 0
    assert atlas_emulator.stats()["POST submit"] == submitted + 1
    assert not atlas_emulator.state.tasks
    assert ztf_emulator.stats()["GET submit"] == 1  # the identical ZTF request was reused


def test_only_the_chosen_services_run(
    run_dag, atlas_emulator: AtlasEmulator, ztf_emulator: ZtfEmulator, data_dir: Path
) -> None:
    state, tasks, _ = run_dag("fphot_target", {**CONF, "services": ["ztf"]})
    assert tasks["panstarrs.fetch"] == "skipped"
    assert state == "success", tasks
    assert tasks["atlas.fetch"] == "skipped" and tasks["plot"] == "success"
    assert set(FileSink(data_dir).read("SN 2023ixf")["service"]) == {"ztf"}
    assert atlas_emulator.stats() == {}


def test_rubin_through_both_brokers(run_dag, broker_emulators: dict, data_dir: Path) -> None:
    """A southern target: Fink and ALeRCE give the same diaForcedSources; plotted with distinct colours."""
    conf = {
        "target_name": "south",
        "ra": 150.1,
        "dec": -20.3,
        "mjd_min": 60900,
        "services": ["fink_lsst", "alerce_lsst", "alerce_ztf"],
        "broker_choose": "all",
    }
    state, tasks, _ = run_dag("fphot_target", conf)
    assert state == "success", tasks
    stored = FileSink(data_dir).read("south")
    fink, alerce = (stored[stored["service"] == s] for s in ("fink_lsst", "alerce_lsst"))
    assert len(fink) > 10 and sorted(fink["exposure_id"]) == sorted(alerce["exposure_id"])
    assert set(fink["filter"]) <= {f"LSST.{b}" for b in "ugrizy"} and set(fink["time_ref"]) == {"mid"}
    assert (data_dir / "plots" / "south.png").exists() and tasks["atlas.fetch"] == "skipped"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"mjd_min": 60300, "mjd_max": 60200}, "mjd_min"),
        ({"mjd_min": "yesterday"}, "mjd_min"),
        ({"target_name": "  "}, "target_name"),
        ({"sink": "ftp"}, "sink"),
    ],
)
def test_bad_input_fails_in_validate_before_any_request(
    run_dag,
    atlas_emulator: AtlasEmulator,
    ztf_emulator: ZtfEmulator,
    panstarrs_emulator: PanstarrsEmulator,
    change,
    field,
) -> None:
    state, tasks, dr = run_dag("fphot_target", {**CONF, **change})
    assert state == "failed" and tasks["validate"] == "failed"
    assert tasks["atlas.fetch"] in ("upstream_failed", "None")
    assert atlas_emulator.stats() == ztf_emulator.stats() == panstarrs_emulator.stats() == {}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"services": ["hubble"]}, "services"),
        ({"dec": 95}, "dec"),
        ({"dec": "95"}, "dec"),
        ({"ra": "25:00:00"}, "ra"),
        ({"ra": 360}, "ra"),
        ({"snr_threshold": 0}, "snr_threshold"),
    ],
)
def test_param_schema_refuses_before_a_run_exists(dagbag, change, field) -> None:
    from airflow.sdk.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError, match=field):
        dagbag.get_dag("fphot_target").test(run_conf={**CONF, **change})


def test_airflow_dags_test_cli(
    airflow_db: Path,
    atlas_emulator: AtlasEmulator,
    ztf_emulator: ZtfEmulator,
    panstarrs_emulator: PanstarrsEmulator,
    broker_emulators: dict,
    data_dir: Path,
) -> None:
    """What the README's demo does: the real ``airflow dags test`` command in its own process."""
    env = dict(os.environ)
    conf = json.dumps({**CONF, "target_name": "SN 2023ixf cli"})
    done = subprocess.run(
        [sys.executable, "-m", "airflow", "dags", "test", "fphot_target", "--conf", conf],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "state=success" in done.stdout + done.stderr
    assert len(FileSink(data_dir).read("SN 2023ixf cli")) > 100
