"""The ZTF status page refreshes about hourly: shipped DAGs never read it more than every 2 minutes."""

from __future__ import annotations

import pytest

from fphot_provider.hooks.ztf import MIN_POLL_SECONDS, polite_poll_interval


def test_the_floor_is_two_minutes_unless_configured(monkeypatch) -> None:
    monkeypatch.delenv("AIRFLOW__FPHOT__ZTF_MIN_POLL_SECONDS", raising=False)
    assert MIN_POLL_SECONDS == 120
    assert polite_poll_interval(5) == 120 and polite_poll_interval(600) == 600
    monkeypatch.setenv("AIRFLOW__FPHOT__ZTF_MIN_POLL_SECONDS", "2")  # what the emulator demo sets
    assert polite_poll_interval(0) == 2


@pytest.mark.airflow
@pytest.mark.parametrize(("dag_id", "task_id"), [("fphot_target", "ztf.fetch"), ("fphot_survey_monitor", "ztf_fetch")])
def test_shipped_dags_wait_at_least_two_minutes_between_reads(dagbag, monkeypatch, dag_id, task_id) -> None:
    monkeypatch.delenv("AIRFLOW__FPHOT__ZTF_MIN_POLL_SECONDS", raising=False)
    task = dagbag.get_dag(dag_id).get_task(task_id)
    poll = task.partial_kwargs.get("poll_interval", 0.0) if hasattr(task, "partial_kwargs") else task.poll_interval
    assert polite_poll_interval(poll) >= 120
    if dag_id == "fphot_survey_monitor":
        assert dagbag.get_dag(dag_id).params["ztf_poll_seconds"] >= 120


@pytest.mark.airflow
def test_reads_are_spaced_by_the_floor_in_a_real_run(run_dag, ztf_emulator, monkeypatch) -> None:
    """Submit, then no status read for one interval, and never two reads closer than the floor."""
    monkeypatch.setenv("AIRFLOW__FPHOT__ZTF_MIN_POLL_SECONDS", "1.0")
    ztf_emulator.state.config.queue_seconds = ztf_emulator.state.config.run_seconds = 1.5
    conf = {"target_name": "ztf target", "ra": 210.910674, "dec": 54.3117, "mjd_min": 60000.0, "mjd_max": 60300.0}
    state, tasks, _ = run_dag("fphot_test_ztf", conf)
    assert state == "success", tasks
    reads = ztf_emulator.state.status_reads
    # reads[0] looks for a reusable request; the submit follows at once, then a full interval passes.
    gaps = [b - a for a, b in zip(reads, reads[1:], strict=False)]
    assert len(reads) >= 3 and min(gaps) >= 0.95
