"""The survey monitor over many targets on real Airflow (LocalExecutor, PostgreSQL metadata DB).

Run: .venv/bin/python benchmarks/monitor_scale.py [TARGETS] [SERVICES]   e.g. 500 atlas,panstarrs
Starts its own PostgreSQL (tests/servers.py) for the metadata DB.
Prints the wall time of the run and where it went (summed
task durations per task, and the share of the run that tasks spent queued or deferred).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repo root, for tests.*

from fphot_provider.emulators import atlas, panstarrs, ztf  # noqa: E402
from fphot_provider.emulators.common import STATS_KEY, EmulatorServer  # noqa: E402
from tests.helpers import (
    as_csv,  # noqa: E402
    wait_until,  # noqa: E402
)
from tests.integration.cluster import AirflowCluster  # noqa: E402
from tests.servers import start_postgres  # noqa: E402


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    services = (sys.argv[2] if len(sys.argv) > 2 else "atlas,ztf,panstarrs").split(",")
    targets = [{"name": f"S{i:04d}", "ra": (i * 0.7) % 360, "dec": -30 + (i % 120) * 0.5} for i in range(count)]
    with (
        EmulatorServer(atlas.create_app(atlas.AtlasConfig(queue_seconds=5, run_seconds=5, max_queued=10_000))) as a,
        EmulatorServer(ztf.create_app(ztf.ZtfConfig(queue_seconds=5, run_seconds=5, max_pending=10_000))) as z,
        EmulatorServer(panstarrs.create_app()) as p,
    ):
        env = {
            "AIRFLOW_CONN_FPHOT_ATLAS_DEFAULT": json.dumps(
                {"conn_type": "fphot_atlas", "host": a.url, "password": "demo-token"}
            ),
            "AIRFLOW_CONN_FPHOT_ZTF_DEFAULT": json.dumps(
                {"conn_type": "fphot_ztf", "host": z.url, "login": "demo@example.org", "password": "demo-userpass"}
            ),
            "AIRFLOW_CONN_FPHOT_PANSTARRS_DEFAULT": json.dumps(
                {"conn_type": "fphot_panstarrs", "host": f"{p.url}/api/v0.1/panstarrs"}
            ),
            "AIRFLOW__FPHOT__ZTF_MIN_POLL_SECONDS": "5",  # emulators on loopback, not the real page
        }
        postgres, pg_handle = start_postgres()
        cluster = AirflowCluster("LocalExecutor", env, postgres=postgres)
        try:
            cluster.start("scheduler", "dag-processor", "triggerer")
            for pool, slots in (("fphot_atlas", 4), ("fphot_ztf", 2), ("fphot_panstarrs", 2)):
                cluster.api("POST", "/pools", json={"name": pool, "slots": slots, "include_deferred": False})
            (cluster.home / "targets.csv").write_text(as_csv(targets))
            conf = {
                "targets": f"csv:{cluster.home / 'targets.csv'}",
                "sink": "sql",
                "services": services,
                "atlas_poll_seconds": 5,
                "ztf_poll_seconds": 5,
            }
            start = time.monotonic()
            run_id = cluster.trigger("fphot_survey_monitor", conf)
            wait_until(
                lambda: cluster.run_state("fphot_survey_monitor", run_id) in ("success", "failed"),
                timeout=7200,
                interval=5,
            )
            wall = time.monotonic() - start
            report(cluster, run_id, count, services, wall)
            print(
                f"  our CPU: {cpu_seconds(cluster):.0f} s in all Airflow processes, "
                f"{1000 * cpu_seconds(cluster) / (count * len(services)):.1f} ms per target and service"
            )
            for name, server in (("atlas", a), ("ztf", z), ("panstarrs", p)):
                print(f"  {name} requests: {dict(server.app[STATS_KEY])}")
        finally:
            cluster.stop()
            pg_handle.cleanup()


def cpu_seconds(cluster: AirflowCluster) -> float:
    """User + system CPU of the Airflow components and their reaped children (the task processes)."""
    import psutil

    total = 0.0
    for proc in cluster.procs:
        try:
            times = psutil.Process(proc.pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def report(cluster: AirflowCluster, run_id: str, count: int, services: list[str], wall: float) -> None:
    items = cluster.api("GET", f"/dags/fphot_survey_monitor/dagRuns/{run_id}/taskInstances?limit=10000")[
        "task_instances"
    ]
    busy: dict[str, float] = defaultdict(float)
    runs: dict[str, int] = defaultdict(int)
    for ti in items:
        busy[ti["task_id"]] += ti.get("duration") or 0.0
        runs[ti["task_id"]] += 1
    state = cluster.run_state("fphot_survey_monitor", run_id)
    print(f"{count} targets, services {services}: run {state} in {wall:.0f} s wall ({len(items)} task instances)")
    for task_id, seconds in sorted(busy.items(), key=lambda kv: -kv[1]):
        print(f"  {task_id:18s} {runs[task_id]:5d} instances, {seconds:8.1f} s start-to-end (deferral included)")
    print(f"  {len(items)} task instances in {wall:.0f} s: {wall / max(len(items), 1):.1f} s of wall per task instance")


if __name__ == "__main__":
    main()
