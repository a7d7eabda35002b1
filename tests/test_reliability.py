"""A monitoring night with every emulated fault switched on: each target ends with complete
photometry or a clear failure; no duplicate rows, no lost raw files, no remote task left
undeleted after its result was stored."""

from __future__ import annotations

import json
from pathlib import Path

import pendulum
import pytest

from fphot_provider.emulators.common import FAULTS_KEY, Fault
from fphot_provider.sinks.sql import SqlSink
from tests.conftest import AtlasEmulator, PanstarrsEmulator, ZtfEmulator
from tests.helpers import as_csv

pytestmark = pytest.mark.airflow
THROTTLED = json.dumps({"detail": "Request was throttled. Expected available in 1 second."})


def disturb(emulator, *faults: Fault) -> None:  # noqa: ANN001
    for fault in faults:
        emulator.server.app[FAULTS_KEY].add(fault)


def test_monitor_night_under_faults(
    run_dag,
    atlas_emulator: AtlasEmulator,
    ztf_emulator: ZtfEmulator,
    panstarrs_emulator: PanstarrsEmulator,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fphot_provider.wire import ztf as ztf_wire

    monkeypatch.setattr(ztf_wire, "BUSY_WAIT", 0.5)
    targets = [{"name": f"R{i:02d}", "ra": 30 + i, "dec": -10 + i} for i in range(20)]
    path = tmp_path / "targets.csv"
    path.write_text(as_csv(targets))
    disturb(
        atlas_emulator,
        Fault(status=429, count=2, path="/queue/", method="POST", body=THROTTLED),  # a 429 burst
        Fault(status=503, count=3, path="/queue/", method="GET"),
        Fault(status=0, count=2, path="/queue/", method="GET"),  # dropped connections
        Fault(status=200, delay=1.0, count=2, path="/queue/", method="GET"),  # slow answers
        Fault(status=200, truncate=True, count=2, path="/static/"),
    )  # result files cut short
    atlas_emulator.state.deleted_elsewhere.append((34.0, -6.0, True))  # R04's task vanishes from the server
    status_page = "/cgi-bin/getBatchForcedPhotometryRequests.cgi"  # the monitor goes through the batch service
    disturb(
        ztf_emulator,
        Fault(status=502, count=3, path=status_page),
        Fault(status=0, count=1, path=status_page),
        Fault(status=200, truncate=True, count=1, path="/ztf/"),
    )
    ztf_emulator.state.busy_answers = 2
    disturb(panstarrs_emulator, Fault(status=503, count=2, path="/api/"), Fault(status=0, count=1, path="/api/"))

    conf = {"targets": f"csv:{path}", "sink": "sql", "atlas_poll_seconds": 0.2, "ztf_poll_seconds": 0.2}
    state, tasks, dr = run_dag("fphot_survey_monitor", conf, logical_date=pendulum.datetime(2024, 3, 1, tz="UTC"))
    assert state == "success", tasks
    summary = next(t for t in dr.get_task_instances() if t.task_id == "report").xcom_pull(task_ids="report")
    failed = {(f["service"], f["target"]) for f in summary["failures"]}
    assert failed == {("atlas", "R04")}  # the vanished job and nothing else
    assert "vanished" in summary["failures"][0]["error"]

    sink = SqlSink(root=data_dir)
    for target in targets:
        rows = sink.read(target["name"])
        assert rows.duplicated(subset=["service", "exposure_id"]).sum() == 0
        services = set(rows["service"])
        assert "ztf" in services and ("atlas" in services) == (target["name"] != "R04")
    raw = {p.parent.name for p in (data_dir / "raw" / "atlas").glob("*/*.txt")}
    assert raw == {t["name"] for t in targets} - {"R04"}  # every stored result kept raw
    assert not atlas_emulator.state.tasks  # every task whose result was stored is deleted
    statuses = [s for _, s in atlas_emulator.events()]
    assert statuses.count(429) == 2 and statuses.count(503) == 3 and statuses.count(0) == 2
