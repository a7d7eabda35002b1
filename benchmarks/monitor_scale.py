"""The survey monitor over many targets on real Airflow (LocalExecutor, PostgreSQL metadata DB).

Run: .venv/bin/python benchmarks/monitor_scale.py [TARGETS] [SERVICES]   e.g. 500 atlas,panstarrs
(services: atlas, ztf, panstarrs, fink_lsst, alerce_lsst, alerce_ztf; default the first three)
Starts its own PostgreSQL (tests/servers.py) for the metadata DB; the sink is the embedded SQLite file.
Prints the wall time of the run and where it went (summed task durations per task), the CPU
of every Airflow process and task during the run per target and service, the peak memory
and the requests each emulator answered. The emulators run in this process: their CPU is
not counted.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repo root, for tests.*

from fphot_provider.emulators import alerce, atlas, fink, panstarrs, ztf  # noqa: E402
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
        EmulatorServer(atlas.create_app(atlas.AtlasConfig(queue_seconds=5, run_seconds=5))) as a,
        EmulatorServer(ztf.create_app(ztf.ZtfConfig(queue_seconds=5, run_seconds=5, max_pending=10_000))) as z,
        EmulatorServer(panstarrs.create_app()) as p,
        EmulatorServer(fink.create_app()) as fk,
        EmulatorServer(alerce.create_lsst_app()) as al,
        EmulatorServer(alerce.create_ztf_app()) as az,
    ):
        servers = {"atlas": a, "ztf": z, "panstarrs": p, "fink_lsst": fk, "alerce_lsst": al, "alerce_ztf": az}
        brokers = {
            f"AIRFLOW_CONN_FPHOT_{name.upper()}_DEFAULT": json.dumps({"conn_type": f"fphot_{name}", "host": server.url})
            for name, server in servers.items()
            if name in ("fink_lsst", "alerce_lsst", "alerce_ztf")
        }
        env = {
            **brokers,
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
        dag_file = cluster.home / "dags" / "fphot_survey_monitor.py"  # only the measured run: no @daily run
        dag_file.write_text(dag_file.read_text().replace('schedule="@daily"', "schedule=None"))
        plugins = cluster.home / "plugins"
        plugins.mkdir()
        shutil.copy(Path(__file__).with_name("cpu_listener.py"), plugins)
        cpu_file = cluster.home / "task_cpu.jsonl"
        cluster.env |= {"AIRFLOW__CORE__PLUGINS_FOLDER": str(plugins), "FPHOT_BENCH_CPU_FILE": str(cpu_file)}
        try:
            cluster.start("scheduler", "dag-processor", "triggerer")
            # ATLAS: 5 batches of 100 deferred at once = the server's 500 queued tasks (README, sizing)
            for pool, slots, deferred in (
                ("fphot_atlas", 5, True),
                ("fphot_ztf", 2, False),
                ("fphot_panstarrs", 2, False),
                ("fphot_fink", 2, False),
                ("fphot_alerce", 2, False),
            ):
                cluster.api("POST", "/pools", json={"name": pool, "slots": slots, "include_deferred": deferred})
            (cluster.home / "targets.csv").write_text(as_csv(targets))
            conf = {
                "targets": f"csv:{cluster.home / 'targets.csv'}",
                "sink": "sql",
                "services": services,
                "atlas_poll_seconds": 5,
                "ztf_poll_seconds": 5,
            }
            idle = cpu_by_component(cluster)
            start = time.monotonic()
            run_id = cluster.trigger("fphot_survey_monitor", conf)
            peak = [0]

            def finished() -> bool:
                peak[0] = max(peak[0], rss_bytes(cluster))
                return cluster.run_state("fphot_survey_monitor", run_id) in ("success", "failed")

            wait_until(finished, timeout=7200, interval=5)
            wall = time.monotonic() - start
            report(cluster, run_id, count, services, wall)
            used = {name: cpu - idle.get(name, 0.0) for name, cpu in cpu_by_component(cluster).items()}
            print_cpu("our CPU during the run, in all Airflow processes and their tasks", used, count * len(services))
            print_cpu(
                "CPU inside the tasks' work (after Airflow's start-up)", task_cpu(cpu_file), count * len(services)
            )
            print(f"  peak memory (RSS of every Airflow process, sampled every 5 s): {peak[0] / 2**20:.0f} MiB")
            for name in services:
                print(f"  {name} requests: {dict(servers[name].app[STATS_KEY])}")
        finally:
            cluster.stop()
            pg_handle.cleanup()


def _members(cluster: AirflowCluster) -> Iterator[tuple[str, Any]]:
    """(component, process) for every live process of every Airflow component, children included."""
    import psutil

    for proc, args in zip(cluster.procs, cluster._args, strict=True):
        try:
            root = psutil.Process(proc.pid)
            members = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        yield from ((args[0], member) for member in members)


def cpu_by_component(cluster: AirflowCluster) -> dict[str, float]:
    """User + system CPU per Airflow component, its live descendants (the LocalExecutor's
    workers, the triggerer's and dag processor's children) and every process they reaped
    (the task processes): nothing counted twice, nothing that ran missed."""
    import psutil

    totals: dict[str, float] = defaultdict(float)
    for name, member in _members(cluster):
        try:
            t = member.cpu_times()
        except psutil.NoSuchProcess:
            continue
        totals[name] += t.user + t.system + t.children_user + t.children_system
    return dict(totals)


def rss_bytes(cluster: AirflowCluster) -> int:
    import psutil

    total = 0
    for _, member in _members(cluster):
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def task_cpu(cpu_file: Path) -> dict[str, float]:
    """The operators' own work per task (cpu_listener.py): ours, apart from Airflow's start-up."""
    per_task: dict[str, float] = defaultdict(float)
    for line in cpu_file.read_text().splitlines() if cpu_file.exists() else []:
        entry = json.loads(line)
        per_task[entry["task_id"]] += entry["cpu"]
    return dict(per_task)


def print_cpu(what: str, seconds: dict[str, float], units: int) -> None:
    """A CPU total, per target and service, and its parts, largest first."""
    total = sum(seconds.values())
    print(f"  {what}: {total:.0f} s, {1000 * total / units:.1f} ms per target and service")
    for name, cpu in sorted(seconds.items(), key=lambda kv: -kv[1]):
        print(f"    {name:18s} {cpu:8.1f} s")


def task_instances(cluster: AirflowCluster, run_id: str) -> list[dict[str, Any]]:
    """Every task instance of the run: the API answers 100 at most per page."""
    items: list[dict[str, Any]] = []
    while True:
        page = cluster.api(
            "GET", f"/dags/fphot_survey_monitor/dagRuns/{run_id}/taskInstances?limit=100&offset={len(items)}"
        )
        items += page["task_instances"]
        if not page["task_instances"] or len(items) >= page["total_entries"]:
            return items


def report(cluster: AirflowCluster, run_id: str, count: int, services: list[str], wall: float) -> None:
    items = task_instances(cluster, run_id)
    busy: dict[str, float] = defaultdict(float)
    runs: dict[str, int] = defaultdict(int)
    for ti in items:
        busy[ti["task_id"]] += ti.get("duration") or 0.0
        runs[ti["task_id"]] += 1
    state = cluster.run_state("fphot_survey_monitor", run_id)
    states = Counter(str(ti["state"]) for ti in items)
    summary = cluster.api(
        "GET",
        f"/dags/fphot_survey_monitor/dagRuns/{run_id}/taskInstances/report/xcomEntries/return_value?deserialize=true&stringify=false",
    )["value"]
    summary = json.loads(summary) if isinstance(summary, str) else summary
    print(f"task instance states: {dict(states)}; the night's summary: {summary['counts']}")
    print(f"{count} targets, services {services}: run {state} in {wall:.0f} s wall ({len(items)} task instances)")
    for task_id, seconds in sorted(busy.items(), key=lambda kv: -kv[1]):
        print(f"  {task_id:18s} {runs[task_id]:5d} instances, {seconds:8.1f} s start-to-end (deferral included)")
    print(f"  {len(items)} task instances in {wall:.0f} s: {wall / max(len(items), 1):.1f} s of wall per task instance")


if __name__ == "__main__":
    main()
