"""Real Airflow components as processes: api-server, scheduler, dag-processor, triggerer (and a
Celery worker), on a fresh PostgreSQL metadata database (on the tests' own PostgreSQL server,
tests/servers.py), stopped by PID at the end.

No Docker engine here: this runs the same processes docker-compose.yaml would, locally.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from tests.conftest import REPO
from tests.helpers import free_port, wait_until

if TYPE_CHECKING:
    from tests.servers import Postgres


class AirflowCluster:
    """Start and stop a small Airflow deployment; talk to it through its REST API."""

    def __init__(self, executor: str, extra_env: dict[str, str], *, postgres: Postgres) -> None:
        self.executor = executor
        self.postgres = postgres
        self.home = Path(tempfile.mkdtemp(prefix="fphot-cluster-"))
        self.database = f"fphot_it_{uuid.uuid4().hex[:8]}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        self._log_files: list[Any] = []
        self._args: list[tuple[str, ...]] = []
        self.headers: dict[str, str] = {}  # a bearer token once login() ran (clusters with real users)
        self.env = self._env(extra_env)

    def _env(self, extra: dict[str, str]) -> dict[str, str]:
        (self.home / "dags").mkdir()
        for source in (REPO / "dags").glob("*.*"):
            shutil.copy(source, self.home / "dags" / source.name)
        db = self.postgres.sqlalchemy_url(self.database)
        return {
            **os.environ,
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": self.executor,
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
            "AIRFLOW__API__SECRET_KEY": uuid.uuid4().hex,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "2",
            "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "10",  # a dead triggerer's work moves on soon
            "FPHOT_DATA_DIR": str(self.home / "fphot"),
            **extra,
        }

    def start(self, *components: str) -> AirflowCluster:
        self.postgres.admin(f"CREATE DATABASE {self.database}")
        self._airflow("db", "migrate")
        self._spawn("api-server", "--port", str(self.port))
        wait_until(self._api_up, timeout=120, interval=0.5)
        for component in components:
            self._spawn(*component.split())
        return self

    def _airflow(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "airflow", *args], env=self.env, check=True, capture_output=True, timeout=300
        )

    def _spawn(self, *args: str) -> None:
        log = open(self.home / f"{args[0]}-{len(self.procs)}.log", "wb")  # noqa: SIM115 - closed in stop()
        self._log_files.append(log)
        self._args.append(args)
        self.procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "airflow", *args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def _api_up(self) -> bool:
        try:
            return requests.get(f"{self.url}/api/v2/version", timeout=2).ok
        except requests.ConnectionError:
            return False

    def kill(self, component: str) -> None:
        """SIGKILL a component (as a crash would), leaving its state in the DB."""
        for proc, args in zip(self.procs, self._args, strict=True):
            if args[0] == component and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)

    def restart(self, component: str) -> None:
        self._spawn(component)

    def login(self, username: str, password: str) -> str:
        """Get a token as that user (Airflow's own ``POST /auth/token``); later API calls send it."""
        answer = requests.post(f"{self.url}/auth/token", json={"username": username, "password": password}, timeout=30)
        assert answer.status_code in (200, 201), f"login: {answer.status_code} {answer.text[:300]}"
        token = answer.json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}
        return token

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        kwargs["headers"] = {**self.headers, **kwargs.get("headers", {})}
        answer = requests.request(method, f"{self.url}/api/v2{path}", timeout=30, **kwargs)
        assert answer.ok, f"{method} {path}: {answer.status_code} {answer.text[:300]}"
        return answer.json()

    def trigger(self, dag_id: str, conf: dict[str, Any]) -> str:
        wait_until(lambda: self._dag_known(dag_id), timeout=120, interval=1)
        self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
        return self.api("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf})["dag_run_id"]

    def _dag_known(self, dag_id: str) -> bool:
        return requests.get(f"{self.url}/api/v2/dags/{dag_id}", headers=self.headers, timeout=5).ok

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        items = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]
        return {ti["task_id"]: ti["state"] for ti in items}

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]

    def logs(self) -> str:
        return "\n".join(f"== {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.home.glob("*.log"))

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        for log in self._log_files:
            log.close()
        self.postgres.admin(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")
