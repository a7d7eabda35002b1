"""docker-compose.yaml: the services the deployment needs, Connections that parse, emulators wired."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import REPO

COMPOSE = REPO / "docker-compose.yaml"


def resolved(value: str) -> str:
    """Apply ``${VAR:-default}`` defaults, as compose does with no .env file."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_services_and_connections() -> None:
    spec = yaml.safe_load(COMPOSE.read_text())
    services = set(spec["services"])
    assert {
        "postgres",
        "redis",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-worker",
        "airflow-triggerer",
        "airflow-init",
        "atlas-emulator",
        "ztf-emulator",
        "panstarrs-emulator",
    } <= services
    env = spec["services"]["airflow-worker"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    conns = {k: json.loads(resolved(v)) for k, v in env.items() if k.startswith("AIRFLOW_CONN_")}
    assert conns["AIRFLOW_CONN_FPHOT_ATLAS_DEFAULT"]["host"] == "http://atlas-emulator:8001"
    assert conns["AIRFLOW_CONN_FPHOT_ZTF_DEFAULT"]["conn_type"] == "fphot_ztf"
    assert conns["AIRFLOW_CONN_FPHOT_PANSTARRS_DEFAULT"]["host"].endswith("/api/v0.1/panstarrs")
    ports = {
        name: spec["services"][name]["command"][-1] for name in ("atlas-emulator", "ztf-emulator", "panstarrs-emulator")
    }
    assert ports == {"atlas-emulator": "8001", "ztf-emulator": "8002", "panstarrs-emulator": "8003"}
    assert "airflow pools set fphot_atlas" in spec["services"]["airflow-init"]["command"][-1]


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed (.ci/run installs it)")
def test_docker_compose_config_accepts_it() -> None:
    done = subprocess.run(["docker-compose", "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
