"""Survey monitoring: target sources, incremental windows, batching, and the DAG over 50 targets."""

from __future__ import annotations

import json
from pathlib import Path

import pendulum
import pytest

from fphot_provider.exceptions import ConfigurationError
from fphot_provider.sinks.sql import SqlSink
from fphot_provider.survey import atlas_batches, incremental_windows, load_targets
from tests.conftest import AtlasEmulator, PanstarrsEmulator, ZtfEmulator
from tests.helpers import as_csv
from tests.sinks.conformance import table


def test_csv_source_reports_bad_rows_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "targets.csv"
    path.write_text("name,ra,dec\nSN 2023ixf,14:03:38.56,+54:18:42.1\nbad,400,0\n,1,1\nSN 2023ixf,1,1\nok,10,-5\n")
    targets, errors = load_targets(f"csv:{path}")
    assert [t["name"] for t in targets] == ["SN 2023ixf", "ok"]
    assert [e.split(":")[0] for e in errors] == ["row 2", "row 3", "row 4"]
    assert "ra" in errors[0] and "listed twice" in errors[2]


def test_variable_source_and_bad_specs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_FPHOT_TARGETS", json.dumps([{"name": "a", "ra": 1, "dec": 2}]))
    assert load_targets("variable:fphot_targets")[0] == [{"name": "a", "ra": 1.0, "dec": 2.0}]
    for spec in ("", "ftp:x", "csv:"):
        with pytest.raises(ConfigurationError, match="targets"):
            load_targets(spec)


def test_sql_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3
    from contextlib import closing

    db = tmp_path / "t.sqlite"
    with closing(sqlite3.connect(db)) as conn, conn:  # closed, not only committed (Python 3.13 warns)
        conn.execute("CREATE TABLE survey (name TEXT, ra REAL, dec REAL)")
        conn.executemany("INSERT INTO survey VALUES (?, ?, ?)", [("a", 1.0, 2.0), ("b", 3.0, -95.0)])
    monkeypatch.setenv("AIRFLOW_CONN_SURVEY_DB", json.dumps({"conn_type": "sqlite", "host": str(db)}))
    targets, errors = load_targets("sql:survey_db:survey")
    assert [t["name"] for t in targets] == ["a"] and "dec" in errors[0]


def test_incremental_windows_start_from_the_last_epoch(tmp_path: Path) -> None:
    sink = SqlSink(root=tmp_path)
    sink.write(table(target="old", n=10))  # atlas epochs 60000..60009
    queries = incremental_windows(
        [{"name": "old", "ra": 1, "dec": 1}, {"name": "new", "ra": 2, "dec": 2}],
        "atlas",
        sink,
        60100.0,
        overlap_days=2,
        first_days=30,
    )
    assert [(q["mjd_min"], q["mjd_max"]) for q in queries] == [(60007.0, 60100.0), (60070.0, 60100.0)]
    ztf = incremental_windows([{"name": "old", "ra": 1, "dec": 1}], "ztf", sink, 60100.0, overlap_days=2, first_days=30)
    assert ztf[0]["mjd_min"] == 60070.0  # no ZTF rows yet for it


def test_atlas_batches_hold_at_most_100_and_the_earliest_start() -> None:
    queries = [{"target_name": f"t{i}", "ra": i, "dec": 0, "mjd_min": 60000 + i, "mjd_max": 60500} for i in range(250)]
    batches = atlas_batches(queries)
    assert [len(b["targets"]) for b in batches] == [100, 100, 50]
    assert [b["mjd_min"] for b in batches] == [60000, 60100, 60200]


FAST = {"atlas_poll_seconds": 0.2, "ztf_poll_seconds": 0.2, "first_days": 60.0}


@pytest.mark.airflow
@pytest.mark.slow
def test_monitor_over_50_targets(
    run_dag,
    atlas_emulator: AtlasEmulator,
    ztf_emulator: ZtfEmulator,
    panstarrs_emulator: PanstarrsEmulator,
    data_dir: Path,
    tmp_path: Path,
) -> None:
    targets = [{"name": f"T{i:02d}", "ra": 150 + i * 0.5, "dec": 2 + i * 0.1} for i in range(50)]
    path = tmp_path / "targets.csv"
    path.write_text(as_csv(targets) + "broken,999,0\n")
    ztf_emulator.state.outcomes.append((150.5, 2.1, 255))  # T01 fails at ZTF, alone
    conf = {"targets": f"csv:{path}", "sink": "sql", **FAST}
    night1 = pendulum.datetime(2024, 3, 1, tz="UTC")
    state, tasks, dr = run_dag("fphot_survey_monitor", conf, logical_date=night1)
    assert state == "success", tasks
    assert atlas_emulator.stats()["POST submit"] == 1  # 50 targets, one radeclist request
    assert ztf_emulator.stats()["POST batch_submit"] == 1 and "GET submit" not in ztf_emulator.stats()  # one batch
    summary = next(t for t in dr.get_task_instances() if t.task_id == "report").xcom_pull(task_ids="report")
    assert summary["targets"] == 50 and len(summary["rejected_rows"]) == 1
    assert [(f["service"], f["target"]) for f in summary["failures"]] == [("ztf", "T01")]
    sink = SqlSink(root=data_dir)
    stored = {t["name"]: sink.read(t["name"]) for t in targets}
    assert all(len(rows) for rows in stored.values())
    assert set(stored["T01"]["service"]) == {"atlas"}  # ZTF failed for it; PS1 has no epoch in 2024
    assert (data_dir / "plots" / "T00.png").exists()

    first_ztf_starts = {r["startJD"] for r in ztf_emulator.state.requests.values()}
    night2 = night1.add(days=1)
    state, tasks, dr = run_dag("fphot_survey_monitor", conf, logical_date=night2)
    assert state == "success", tasks
    assert atlas_emulator.stats()["POST submit"] == 2
    second = [r for r in ztf_emulator.state.requests.values() if r["startJD"] not in first_ztf_starts]
    last_jd = max(r["endJD"] for r in ztf_emulator.state.requests.values() if r["startJD"] in first_ztf_starts)
    assert second and all(r["startJD"] > last_jd - 3 - 60 for r in second)  # incremental, not 60 days again
    for name, rows in stored.items():
        again = sink.read(name)
        assert again.duplicated(subset=["service", "exposure_id"]).sum() == 0
        assert len(again) >= len(rows)


@pytest.mark.airflow
def test_monitor_reports_a_new_transient(
    run_dag,
    atlas_emulator: AtlasEmulator,
    ztf_emulator: ZtfEmulator,
    panstarrs_emulator: PanstarrsEmulator,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = tmp_path / "notified.json"
    monkeypatch.setenv("AIRFLOW__FPHOT__ALERT_NOTIFIER", "tests.recording_notifier:factory")
    monkeypatch.setenv("FPHOT_TEST_NOTIFY_FILE", str(calls))
    path = tmp_path / "targets.csv"
    path.write_text("name,ra,dec\nSN 2023ixf,210.910674,54.3117\nquiet,150.0,2.0\n")
    conf = {"targets": f"csv:{path}", "sink": "sql", "services": ["atlas", "ztf"], **FAST}
    state, _, _ = run_dag("fphot_survey_monitor", conf, logical_date=pendulum.datetime(2023, 4, 20, tz="UTC"))
    assert state == "success" and not calls.exists()  # before the explosion: nothing to say
    state, _, dr = run_dag("fphot_survey_monitor", conf, logical_date=pendulum.datetime(2023, 5, 25, tz="UTC"))
    assert state == "success"
    summary = next(t for t in dr.get_task_instances() if t.task_id == "report").xcom_pull(task_ids="report")
    kinds = {(a["target"], a["kind"]) for a in summary["alerts"]}
    assert ("SN 2023ixf", "new_detection") in kinds and not any(t == "quiet" for t, _ in kinds)
    report = next(t for t in dr.get_task_instances() if t.task_id == "report")
    assert report.xcom_pull(task_ids="report", key="light_curve_path") == "/fphot/target?name=SN%202023ixf"
    listed = SqlSink(root=data_dir).list_targets(sort="alert").items  # the list shows the alert first
    assert listed[0].target == "SN 2023ixf" and listed[0].last_alert["kind"] == "new_detection"
    sent = json.loads(calls.read_text())
    assert sent["alerts"] and "SN 2023ixf" in sent["summary"]


@pytest.mark.airflow
def test_monitor_through_the_brokers(run_dag, broker_emulators: dict, data_dir: Path, tmp_path: Path) -> None:
    """Rubin (Fink, ALeRCE) and ZTF alert photometry (ALeRCE) in chunks, incremental, into SQL."""
    targets = [{"name": f"R{i:02d}", "ra": 20.0 + i * 0.37, "dec": -10.0} for i in range(12)]
    targets.append({"name": "SN 2023ixf", "ra": 210.910674, "dec": 54.3117})
    path = tmp_path / "targets.csv"
    path.write_text(as_csv(targets))
    services = ["fink_lsst", "alerce_lsst", "alerce_ztf"]
    conf = {
        **FAST,
        "targets": f"csv:{path}",
        "sink": "sql",
        "services": services,
        "first_days": 3000,
        "broker_chunk_size": 5,
    }
    state, tasks, dr = run_dag("fphot_survey_monitor", conf, logical_date=pendulum.datetime(2026, 8, 1, tz="UTC"))
    assert state == "success", tasks
    fetches = [ti for ti in dr.get_task_instances() if ti.task_id.endswith("_fetch") and ti.map_index >= 0]
    assert {ti.task_id for ti in fetches} == {f"{s}_fetch" for s in services}
    assert sum(ti.task_id == "fink_lsst_fetch" for ti in fetches) == 3  # 13 targets in chunks of 5
    summary = next(t for t in dr.get_task_instances() if t.task_id == "report").xcom_pull(task_ids="report")
    assert summary["failures"] == []
    stored = SqlSink(root=data_dir).read_many([t["name"] for t in targets])
    per_service = stored.groupby("service", observed=True).size()
    assert per_service["fink_lsst"] > 50 and per_service["alerce_lsst"] == per_service["fink_lsst"]
    assert set(stored.loc[stored["target"] == "SN 2023ixf", "service"]) == {"alerce_ztf"}
    state, _, dr = run_dag("fphot_survey_monitor", conf, logical_date=pendulum.datetime(2026, 8, 2, tz="UTC"))
    summary = next(t for t in dr.get_task_instances() if t.task_id == "report").xcom_pull(task_ids="report")
    assert state == "success" and summary["counts"]["rows_inserted"] == 0  # the same histories: nothing new
