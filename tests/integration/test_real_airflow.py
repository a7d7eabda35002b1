"""fphot_target on real Airflow processes: deferred in the triggerer, no worker slot held.

LocalExecutor first, then the CeleryExecutor with a real ``airflow celery worker`` on the local
Redis; the metadata DB is a fresh database on the local PostgreSQL.
"""

from __future__ import annotations

import json

import pytest

from fphot_provider.emulators import atlas
from fphot_provider.emulators.common import EVENTS_KEY, EmulatorServer
from fphot_provider.sinks.file import FileSink
from tests.helpers import wait_until
from tests.integration.cluster import AirflowCluster

pytestmark = pytest.mark.integration


def emulator_events(server: EmulatorServer) -> list[tuple[str, int]]:
    return list(server.app[EVENTS_KEY])


CONF = {
    "target_name": "SN 2023ixf",
    "ra": 210.910674,
    "dec": 54.3117,
    "mjd_min": 60070,
    "mjd_max": 60200,
    "services": ["atlas"],
}


@pytest.mark.parametrize(
    ("executor", "components"),
    [
        ("LocalExecutor", ["scheduler", "dag-processor", "triggerer"]),
        ("CeleryExecutor", ["scheduler", "dag-processor", "triggerer", "celery worker --concurrency 2"]),
    ],
    ids=["local", "celery"],
)
def test_deferred_run_on_real_components(executor: str, components: list[str], postgres, request) -> None:
    config = atlas.AtlasConfig(queue_seconds=20, run_seconds=2)
    extra = {}
    if executor == "CeleryExecutor":  # a Redis broker of the tests' own, only when Celery needs one
        extra["AIRFLOW__CELERY__BROKER_URL"] = request.getfixturevalue("redis_server").url(7)
    with EmulatorServer(atlas.create_app(config)) as emulator:
        conn = json.dumps({"conn_type": "fphot_atlas", "host": emulator.url, "password": "demo-token"})
        cluster = AirflowCluster(executor, {"AIRFLOW_CONN_FPHOT_ATLAS_DEFAULT": conn, **extra}, postgres=postgres)
        if executor == "CeleryExecutor":
            cluster.env["AIRFLOW__CELERY__RESULT_BACKEND"] = "db+" + cluster.env[
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
            ].replace("+psycopg2", "")
        try:
            cluster.start(*components)
            run_id = cluster.trigger("fphot_target", CONF)
            wait_until(
                lambda: cluster.task_states("fphot_target", run_id).get("atlas.fetch") == "deferred",
                timeout=180,
                interval=1,
            )
            assert atlas.state_of(emulator.app).tasks  # the job is queued at the (emulated) server
            pool = cluster.api("GET", "/pools/default_pool")
            assert pool["running_slots"] == 0 and pool["deferred_slots"] >= 1  # no worker slot held
            if executor == "LocalExecutor":  # a triggerer crash mid-wait: a new one resumes from the DB
                cluster.kill("triggerer")
                cluster.restart("triggerer")
            wait_until(
                lambda: cluster.run_state("fphot_target", run_id) in ("success", "failed"), timeout=300, interval=2
            )
            assert cluster.run_state("fphot_target", run_id) == "success", cluster.logs()
            stored = FileSink(cluster.home / "fphot").read("SN 2023ixf")
            assert len(stored) > 100
            assert not atlas.state_of(emulator.app).tasks  # deleted after storing
            submits = [s for name, s in emulator_events(emulator) if name == "POST submit"]
            assert submits == [201]  # resumed, never resubmitted
        except AssertionError as err:
            raise AssertionError(f"{err}\n{cluster.logs()}") from None
        finally:
            cluster.stop()
