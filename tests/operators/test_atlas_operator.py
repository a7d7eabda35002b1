"""The ATLAS operator and sensor inside real Airflow (``dag.test()``) against the emulator."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from airflow.sdk.exceptions import TaskDeferred

from fphot_provider.hooks.atlas import AtlasHook
from fphot_provider.operators.atlas import AtlasForcedPhotometryOperator
from fphot_provider.sinks.file import FileSink
from fphot_provider.targets import QueryWindow, Target
from tests.conftest import DATA, AtlasEmulator

pytestmark = pytest.mark.airflow
CONF = {"target_name": "test target", "ra": 10.0, "dec": 20.0, "mjd_min": 60000.0, "mjd_max": 60060.0}


def stored(data_dir: Path, target: str = "test target") -> pd.DataFrame:
    return FileSink(data_dir).read(target)


@pytest.mark.parametrize("dag_id", ["fphot_test_atlas", "fphot_test_atlas_blocking"])
def test_fetch_and_process(run_dag, atlas_emulator: AtlasEmulator, data_dir: Path, dag_id: str) -> None:
    state, tasks, _ = run_dag(dag_id, CONF)
    assert state == "success", tasks
    table = stored(data_dir)
    assert len(table) > 20 and set(table["filter"]) == {"ATLAS.c", "ATLAS.o"}
    raw = list((data_dir / "raw" / "atlas" / "test_target").glob("job*.txt"))
    assert len(raw) == 1 and raw[0].read_text().startswith("###MJD")
    assert not atlas_emulator.state.tasks  # the remote task was deleted
    events = [name for name, status in atlas_emulator.events()]
    assert events.index("DELETE delete") > events.index("GET result")


def test_delete_happens_only_after_the_raw_file_is_stored(
    run_dag, atlas_emulator: AtlasEmulator, data_dir: Path
) -> None:
    (data_dir / "raw").mkdir(parents=True)
    (data_dir / "raw" / "atlas").write_text("a file where the folder should be: storing fails")
    state, tasks, _ = run_dag("fphot_test_atlas", CONF)
    assert state == "failed" and tasks["fetch"] == "failed"
    assert "GET result" in atlas_emulator.stats()
    assert "DELETE delete" not in atlas_emulator.stats()
    assert len(atlas_emulator.state.tasks) == 1  # the result is still on the server


def test_recorded_real_file_round_trip(run_dag, atlas_emulator: AtlasEmulator, data_dir: Path) -> None:
    text = (DATA / "atlas" / "fp_tom_base_ra65.00_decm54.94_southern_units.txt").read_text()
    atlas_emulator.state.recorded.append((65.00165, -54.93795, text))
    conf = {**CONF, "ra": "04:20:00.396", "dec": "-54:56:16.62", "mjd_min": 60300, "mjd_max": 60400}
    state, tasks, _ = run_dag("fphot_test_atlas", conf)
    assert state == "success", tasks
    assert len(stored(data_dir)) == 32


def test_no_data_returned_is_an_empty_valid_result(run_dag, atlas_emulator: AtlasEmulator, data_dir: Path) -> None:
    atlas_emulator.state.errors.append((10.0, 20.0, "No data returned"))
    state, tasks, _ = run_dag("fphot_test_atlas", CONF)
    assert state == "success", tasks
    assert len(stored(data_dir)) == 0
    assert not atlas_emulator.state.tasks


def test_other_error_msg_fails_the_task(run_dag, atlas_emulator: AtlasEmulator, data_dir: Path) -> None:
    atlas_emulator.state.errors.append((10.0, 20.0, "ERROR: tphot failed on 3 images"))
    state, tasks, _ = run_dag("fphot_test_atlas", CONF)
    assert state == "failed" and tasks["fetch"] == "failed" and tasks["process"] == "upstream_failed"
    assert not atlas_emulator.state.tasks  # nothing to keep: deleted
    assert not (data_dir / "photometry").exists()


def test_5xx_during_the_run_is_retried(run_dag, atlas_emulator: AtlasEmulator, data_dir: Path) -> None:
    atlas_emulator.fault(503, count=2, path="/queue/", method="GET")
    atlas_emulator.fault(502, count=1, path="/static/", method="GET")
    state, tasks, _ = run_dag("fphot_test_atlas", CONF)
    assert state == "success", tasks
    statuses = [s for _, s in atlas_emulator.events()]
    assert statuses.count(503) == 2 and statuses.count(502) == 1
    assert len(stored(data_dir)) > 20


def test_throttled_submit_waits_out_the_window_then_succeeds(
    run_dag, atlas_emulator: AtlasEmulator, data_dir: Path
) -> None:
    config = atlas_emulator.state.config
    config.submits_per_minute, config.throttle_window_seconds = 1, 2
    AtlasHook().submit(Target.parse("other", 1, 1), QueryWindow.parse(60000, 60001))  # uses the only slot
    state, tasks, _ = run_dag("fphot_test_atlas", CONF)
    assert state == "success", tasks
    submits = [s for name, s in atlas_emulator.events() if name == "POST submit"]
    assert submits == [201, 429, 201]


def test_throttled_submit_defers_instead_of_sleeping(atlas_emulator: AtlasEmulator) -> None:
    op = AtlasForcedPhotometryOperator(task_id="t", target_name="x", ra=1, dec=1, deferrable=True)
    with pytest.raises(TaskDeferred) as deferred:
        op.wait_or_defer(42, "throttled")
    assert type(deferred.value.trigger).__name__ == "TimeDeltaTrigger"
    assert deferred.value.method_name == "execute"


def test_invalid_input_fails_before_any_request(run_dag, atlas_emulator: AtlasEmulator) -> None:
    state, tasks, _ = run_dag("fphot_test_atlas", {**CONF, "dec": 95})
    assert state == "failed" and tasks["fetch"] == "failed"
    assert atlas_emulator.stats() == {}


def test_sensor_waits_for_a_task_submitted_elsewhere(run_dag, atlas_emulator: AtlasEmulator) -> None:
    url = AtlasHook().submit(Target.parse("x", 10, 20), QueryWindow.parse(60000, 60010)).url
    state, tasks, _ = run_dag("fphot_test_atlas_sensor", {"task_url": url})
    assert state == "success", tasks
    atlas_emulator.state.errors.append((11.0, 21.0, "ERROR: something broke"))
    url = AtlasHook().submit(Target.parse("y", 11, 21), QueryWindow.parse(60000, 60010)).url
    state, tasks, _ = run_dag("fphot_test_atlas_sensor", {"task_url": url})
    assert state == "failed"


def test_batch_of_many_targets_is_one_submit_and_one_product_each(
    run_dag, atlas_emulator: AtlasEmulator, data_dir: Path
) -> None:
    targets = [{"name": f"t{i}", "ra": 10 + i, "dec": 20 + i / 10} for i in range(50)]
    atlas_emulator.state.errors.append((12.0, 20.2, "ERROR: tphot failed"))  # one target fails alone
    atlas_emulator.state.errors.append((13.0, 20.3, "No data returned"))
    state, tasks, dr = run_dag("fphot_test_atlas_batch", {"targets": targets})
    assert state == "success", tasks
    assert atlas_emulator.stats()["POST submit"] == 1
    result = next(t for t in dr.get_task_instances()).xcom_pull(task_ids="fetch")
    assert len(result["products"]) == 49 and [f["target"] for f in result["failures"]] == ["t2"]
    by_name = {p["target"]["name"]: p for p in result["products"]}
    assert by_name["t3"]["raw_paths"] == [] and len(by_name["t0"]["raw_paths"]) == 1
    assert not atlas_emulator.state.tasks  # every task deleted, stored or not
    assert "GET status" not in atlas_emulator.stats()  # waited on through the task list


def test_a_full_batch_costs_about_one_list_read_per_poll(run_dag, atlas_emulator: AtlasEmulator) -> None:
    """100 targets, many older tasks of the user: each poll reads one page of the list, newest first."""
    atlas_emulator.state.config.queue_seconds = 1.5
    atlas_emulator.state.config.submits_per_minute = 0  # the history below is not what is measured
    for i in range(150):  # an account with history: the batch is not on the oldest page
        AtlasHook().submit(Target.parse(f"old{i}", 200 + i / 10, -30), QueryWindow.parse(60000, 60010))
    targets = [{"name": f"t{i}", "ra": 10 + i / 10, "dec": 20} for i in range(100)]
    state, tasks, _ = run_dag("fphot_test_atlas_batch", {"targets": targets})
    assert state == "success", tasks
    stats = atlas_emulator.stats()
    polls = stats["GET list"]
    assert "GET status" not in stats and 2 <= polls <= 15  # ~1 read per poll, not 100


def test_batch_waits_in_the_worker_when_not_deferrable(run_dag, atlas_emulator: AtlasEmulator) -> None:
    """The same flow blocking: deferrable=False is honoured by the batch operator too."""
    targets = [{"name": f"t{i}", "ra": 10 + i, "dec": 20} for i in range(5)]
    state, tasks, dr = run_dag("fphot_test_atlas_batch_blocking", {"targets": targets})
    assert state == "success", tasks
    result = next(t for t in dr.get_task_instances()).xcom_pull(task_ids="fetch")
    assert len(result["products"]) == 5 and not result["failures"]
    assert atlas_emulator.stats()["POST submit"] == 1 and not atlas_emulator.state.tasks


def test_extra_link_opens_the_remote_task(run_dag, atlas_emulator: AtlasEmulator, dagbag) -> None:
    from fphot_provider.operators.atlas import AtlasTaskLink

    state, _, dr = run_dag("fphot_test_atlas", CONF)
    assert state == "success"
    ti = next(t for t in dr.get_task_instances() if t.task_id == "fetch")
    url = ti.xcom_pull(task_ids="fetch", key="atlas_task_url")
    assert url.startswith(atlas_emulator.url) and "/queue/" in url
    op = dagbag.get_dag("fphot_test_atlas").get_task("fetch")
    assert [link.name for link in op.operator_extra_links] == ["ATLAS task"]
    assert isinstance(op.operator_extra_links[0], AtlasTaskLink)


def test_deferrable_follows_the_airflow_setting(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "True")
    assert AtlasForcedPhotometryOperator(task_id="a", target_name="x", ra=1, dec=2).deferrable is True
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "False")
    assert AtlasForcedPhotometryOperator(task_id="b", target_name="x", ra=1, dec=2).deferrable is False
    assert AtlasForcedPhotometryOperator(task_id="c", target_name="x", ra=1, dec=2, deferrable=True).deferrable is True


def test_batch_over_100_targets_is_refused(run_dag, atlas_emulator: AtlasEmulator) -> None:
    targets = [{"name": f"t{i}", "ra": i, "dec": 0} for i in range(101)]
    state, _, _ = run_dag("fphot_test_atlas_batch", {"targets": targets})
    assert state == "failed" and atlas_emulator.stats() == {}


def test_truncated_result_is_fetched_again(run_dag, atlas_emulator: AtlasEmulator, data_dir: Path) -> None:
    from fphot_provider.emulators.common import FAULTS_KEY, Fault

    atlas_emulator.server.app[FAULTS_KEY].add(Fault(status=200, truncate=True, path="/static/"))
    state, tasks, _ = run_dag("fphot_test_atlas", CONF)
    assert state == "success", tasks
    assert [s for name, s in atlas_emulator.events() if name == "GET result"] == [200, 200]  # cut, then whole
    assert not atlas_emulator.state.tasks


def test_always_truncated_result_keeps_the_remote_task(run_dag, atlas_emulator: AtlasEmulator, data_dir: Path) -> None:
    from fphot_provider.emulators.common import FAULTS_KEY, Fault

    atlas_emulator.server.app[FAULTS_KEY].add(Fault(status=200, truncate=True, count=10, path="/static/"))
    state, tasks, _ = run_dag("fphot_test_atlas", CONF)
    assert state == "failed" and tasks["fetch"] == "failed"
    assert "DELETE delete" not in atlas_emulator.stats() and len(atlas_emulator.state.tasks) == 1
    assert not (data_dir / "raw" / "atlas" / "test_target").exists()  # nothing half-written kept


def test_slow_answers_within_the_timeout_are_fine(run_dag, atlas_emulator: AtlasEmulator, data_dir: Path) -> None:
    from fphot_provider.emulators.common import FAULTS_KEY, Fault

    atlas_emulator.server.app[FAULTS_KEY].add(Fault(status=200, delay=1.0, count=3, path="/queue/"))
    state, tasks, _ = run_dag("fphot_test_atlas", CONF)
    assert state == "success", tasks
