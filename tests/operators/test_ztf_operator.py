"""The ZTF operator inside real Airflow (``dag.test()``) against the ZTF emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from fphot_provider.emulators import ztf_data
from fphot_provider.hooks.ztf import ZtfHook
from fphot_provider.sinks.file import FileSink
from fphot_provider.targets import QueryWindow, Target
from fphot_provider.wire import ztf as wire
from tests.conftest import DATA, ZtfEmulator

pytestmark = pytest.mark.airflow
CONF = {"target_name": "ztf target", "ra": 210.910674, "dec": 54.3117, "mjd_min": 60000.0, "mjd_max": 60300.0}


def stored(data_dir: Path):  # noqa: ANN201
    return FileSink(data_dir).read("ztf target")


def expected_epochs(conf: dict = CONF) -> int:
    """How many epochs the emulated survey has in the window (what one unlimited request returns)."""
    return ztf_data.epochs(conf["ra"], conf["dec"], conf["mjd_min"] + 2400000.5, conf["mjd_max"] + 2400000.5)["jd"].size


def test_full_lifecycle_for_a_request_without_an_id(run_dag, ztf_emulator: ZtfEmulator, data_dir: Path) -> None:
    ztf_emulator.state.config.listing_delay_seconds = 0.5  # not in the status table at first
    state, tasks, _ = run_dag("fphot_test_ztf", CONF)
    assert state == "success", tasks
    table = stored(data_dir)
    assert len(table) == expected_epochs() and table["exposure_id"].is_unique
    assert set(table["filter"]) == {"ZTF.g", "ZTF.r", "ZTF.i"} and table["detected"].any()
    raw = list((data_dir / "raw" / "ztf" / "ztf_target").iterdir())
    assert [p.name for p in raw] == ["forcedphotometry_req00015274_lc.txt"]
    request = ztf_emulator.state.requests[15274]
    assert (request["ra"], request["dec"], request["startJD"], request["endJD"]) == (
        210.910674,
        54.3117,
        2460000.5,
        2460300.5,
    )


def test_no_epochs_exit_63_is_an_empty_valid_result(run_dag, ztf_emulator: ZtfEmulator, data_dir: Path) -> None:
    conf = {**CONF, "mjd_min": 60000.1, "mjd_max": 60000.12}  # no epoch in half an hour of daytime
    state, tasks, _ = run_dag("fphot_test_ztf", conf)
    assert state == "success", tasks
    assert ztf_emulator.state.requests[15274]["exitcode"] == 63
    assert len(stored(data_dir)) == 0


def test_epoch_limit_exit_52_is_continued_and_joined(run_dag, ztf_emulator: ZtfEmulator, data_dir: Path) -> None:
    ztf_emulator.state.config.epoch_limit = 40
    state, tasks, _ = run_dag("fphot_test_ztf", CONF)
    assert state == "success", tasks
    codes = [r["exitcode"] for r in ztf_emulator.state.requests.values()]
    assert codes[:-1] == [52] * (len(codes) - 1) and codes[-1] in (0, *range(56, 62)) and len(codes) >= 3
    starts = [r["startJD"] for r in ztf_emulator.state.requests.values()]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)  # each asks for the rest only
    table = stored(data_dir)
    assert len(table) == expected_epochs() and table["exposure_id"].is_unique
    assert len(list((data_dir / "raw" / "ztf" / "ztf_target").iterdir())) == len(codes)


def test_failure_exit_code_fails_clearly(run_dag, ztf_emulator: ZtfEmulator, data_dir: Path) -> None:
    ztf_emulator.state.outcomes.append((CONF["ra"], CONF["dec"], 255))
    state, tasks, dr = run_dag("fphot_test_ztf", CONF)
    assert state == "failed" and tasks["fetch"] == "failed" and tasks["process"] == "upstream_failed"
    assert not (data_dir / "photometry").exists()


def test_end_before_survey_start_sends_nothing(run_dag, ztf_emulator: ZtfEmulator, data_dir: Path) -> None:
    state, tasks, _ = run_dag("fphot_test_ztf", {**CONF, "mjd_min": 57000, "mjd_max": 58000})
    assert state == "success", tasks
    assert ztf_emulator.stats() == {}


def test_identical_recent_request_is_reused_not_resubmitted(run_dag, ztf_emulator: ZtfEmulator, data_dir: Path) -> None:
    ZtfHook().submit(Target.parse("x", CONF["ra"], CONF["dec"]), QueryWindow.parse(CONF["mjd_min"], CONF["mjd_max"]))
    state, tasks, _ = run_dag("fphot_test_ztf", CONF)
    assert state == "success", tasks
    assert ztf_emulator.stats()["GET submit"] == 1 and len(ztf_emulator.state.requests) == 1
    assert len(stored(data_dir)) == expected_epochs()


def test_failed_identical_request_is_not_reused(run_dag, ztf_emulator: ZtfEmulator, data_dir: Path) -> None:
    ztf_emulator.state.outcomes.append((CONF["ra"], CONF["dec"], 255))
    ZtfHook().submit(Target.parse("x", CONF["ra"], CONF["dec"]), QueryWindow.parse(CONF["mjd_min"], CONF["mjd_max"]))
    ztf_emulator.state.config.queue_seconds = ztf_emulator.state.config.run_seconds = 0
    ZtfHook().get_requests()  # the old one has finished with 255
    ztf_emulator.state.outcomes.clear()
    state, tasks, _ = run_dag("fphot_test_ztf", CONF)
    assert state == "success", tasks
    old, new = [r["exitcode"] for r in ztf_emulator.state.requests.values()]
    assert old == 255 and new in (0, *range(56, 62))


def test_busy_database_is_waited_out(run_dag, ztf_emulator: ZtfEmulator, data_dir: Path, monkeypatch) -> None:
    from fphot_provider.wire import ztf as wire

    monkeypatch.setattr(wire, "BUSY_WAIT", 0.5)  # the real page asks for a minute
    ztf_emulator.state.busy_answers = 1
    state, tasks, _ = run_dag("fphot_test_ztf", CONF)
    assert state == "success", tasks
    assert len(stored(data_dir)) == expected_epochs()


def test_recorded_real_file_round_trip(run_dag, ztf_emulator: ZtfEmulator, data_dir: Path) -> None:
    text = (DATA / "ztf" / "req00381145_v3.8_clean_78rows.txt").read_text()
    ztf_emulator.state.recorded.append((186.634530580755, 31.4283877648021, text))
    conf = {**CONF, "ra": 186.634530580755, "dec": 31.4283877648021, "mjd_min": 58194.0, "mjd_max": 60508.0}
    state, tasks, _ = run_dag("fphot_test_ztf", conf)
    assert state == "success", tasks
    assert len(stored(data_dir)) == 78


def test_sensor_waits_for_a_request_submitted_elsewhere(run_dag, ztf_emulator: ZtfEmulator) -> None:
    where = {"ra": 10.0, "dec": 20.0, "jd_start": 2460000.5, "jd_end": 2460100.5}
    ZtfHook().submit(Target.parse("x", 10, 20), QueryWindow.parse(60000, 60100))
    state, tasks, _ = run_dag("fphot_test_ztf_sensor", where)
    assert state == "success", tasks
    ztf_emulator.state.outcomes.append((11.0, 21.0, 64))  # catastrophic: no light curve
    ZtfHook().submit(Target.parse("y", 11, 21), QueryWindow.parse(60000, 60100))
    state, tasks, _ = run_dag("fphot_test_ztf_sensor", {**where, "ra": 11.0, "dec": 21.0})
    assert state == "failed"


@pytest.mark.parametrize("code", [56, 57, 58, 59, 60, 61])
def test_warning_exit_codes_give_the_light_curve(run_dag, ztf_emulator: ZtfEmulator, data_dir: Path, code) -> None:
    """56-61 warn about some epochs (SkyPortal downloads them); the epochs keep their procstatus marks."""
    ztf_emulator.state.outcomes.append((CONF["ra"], CONF["dec"], code))
    state, tasks, dr = run_dag("fphot_test_ztf", CONF)
    assert state == "success", tasks
    assert ztf_emulator.state.requests[15274]["exitcode"] == code
    assert len(stored(data_dir)) == expected_epochs()
    product = next(t for t in dr.get_task_instances() if t.task_id == "fetch").xcom_pull(task_ids="fetch")
    assert product["warnings"] == [f"request 15274: exit code {code}: {wire.EXIT_MEANINGS[code]}"]


def test_a_start_before_the_survey_is_reset_and_still_found(run_dag, ztf_emulator: ZtfEmulator, data_dir: Path) -> None:
    """Exit code 62: the status row lists the reset start, not ours; the request is found anyway."""
    conf = {**CONF, "mjd_min": 57000.0, "mjd_max": 58300.0}
    state, tasks, _ = run_dag("fphot_test_ztf", conf)
    assert state == "success", tasks
    assert ztf_emulator.state.requests[15274]["exitcode"] == 62 and len(ztf_emulator.state.requests) == 1
    assert len(stored(data_dir)) == expected_epochs(conf) > 0


@pytest.mark.parametrize(
    ("code", "meaning"), [(64, "catastrophic"), (65, "before the survey start"), (255, "database")]
)
def test_no_photometry_codes_fail_with_their_meaning(run_dag, ztf_emulator: ZtfEmulator, code, meaning, capfd) -> None:
    ztf_emulator.state.outcomes.append((CONF["ra"], CONF["dec"], code))
    state, tasks, _ = run_dag("fphot_test_ztf", CONF)
    assert state == "failed" and tasks["fetch"] == "failed"
    out, err = capfd.readouterr()
    assert f"exit code {code}: " in out + err and meaning in out + err


def test_single_requests_are_looked_for_on_the_single_page_only(run_dag, ztf_emulator: ZtfEmulator) -> None:
    state, tasks, _ = run_dag("fphot_test_ztf", CONF)
    assert state == "success", tasks
    stats = ztf_emulator.stats()
    assert stats["GET status"] >= 2 and "GET batch_status" not in stats
