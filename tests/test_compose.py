"""docker-compose.yaml: the services the deployment needs, Connections that parse, emulators wired."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import REPO

COMPOSE = REPO / "docker-compose.yaml"


SECRETS = {"AIRFLOW_FERNET_KEY": "k" * 44, "AIRFLOW_JWT_SECRET": "j" * 43, "AIRFLOW_API_SECRET_KEY": "s" * 43}


def resolved(value: str) -> str:
    """Apply ``${VAR:-default}`` defaults, as compose does with no .env file."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_secure_by_default() -> None:
    """No published secret, no secret-less start, nothing listening beyond loopback, emulators only for demos."""
    text = COMPOSE.read_text()
    spec = yaml.safe_load(text)
    assert "change-me" not in text
    env = spec["x-airflow-common"]["environment"]
    for name, variable in (
        ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW_FERNET_KEY"),
        ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW_JWT_SECRET"),
        ("AIRFLOW__API__SECRET_KEY", "AIRFLOW_API_SECRET_KEY"),
    ):
        assert env[name].startswith(f"${{{variable}:?")  # required: compose refuses to start without it
    published = [port for service in spec["services"].values() for port in service.get("ports", [])]
    assert published and all(port.startswith("${FPHOT_BIND:-127.0.0.1}:") for port in published)
    emulators = [name for name in spec["services"] if name.endswith("-emulator")]
    assert len(emulators) == 6 and all(spec["services"][name]["profiles"] == ["demo"] for name in emulators)


def test_compose_env_makes_the_secrets_once(tmp_path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "compose-env.sh", tmp_path / "scripts")
    subprocess.run(["bash", str(tmp_path / "scripts" / "compose-env.sh")], check=True, capture_output=True)
    first = (tmp_path / ".env").read_text()
    subprocess.run(["bash", str(tmp_path / "scripts" / "compose-env.sh")], check=True, capture_output=True)
    assert (tmp_path / ".env").read_text() == first  # kept: a new Fernet key could not read old Connections
    values = dict(line.split("=", 1) for line in first.splitlines())
    assert set(values) == set(SECRETS) and len(set(values.values())) == 3
    assert len(base64.urlsafe_b64decode(values["AIRFLOW_FERNET_KEY"])) == 32
    assert (tmp_path / ".env").stat().st_mode & 0o077 == 0


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
    emulators = [name for name in spec["services"] if name.endswith("-emulator")]
    ports = {name: spec["services"][name]["command"][-1] for name in emulators}
    assert ports == {
        "atlas-emulator": "8001",
        "ztf-emulator": "8002",
        "panstarrs-emulator": "8003",
        "fink-lsst-emulator": "8004",
        "alerce-lsst-emulator": "8005",
        "alerce-ztf-emulator": "8006",
    }
    for service, name in (("FINK_LSST", "fink-lsst"), ("ALERCE_LSST", "alerce-lsst"), ("ALERCE_ZTF", "alerce-ztf")):
        assert (
            conns[f"AIRFLOW_CONN_FPHOT_{service}_DEFAULT"]["host"]
            == f"http://{name}-emulator:{ports[f'{name}-emulator']}"
        )
    assert "airflow pools set fphot_atlas" in spec["services"]["airflow-init"]["command"][-1]


def compose(*args: str, secrets: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in SECRETS} | (SECRETS if secrets else {})
    return subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), *args], capture_output=True, text=True, env=env, cwd="/"
    )  # no .env next to the command


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed (.ci/run installs it)")
def test_docker_compose_config_accepts_it_with_secrets_and_refuses_without() -> None:
    done = compose("config", "-q")
    assert done.returncode == 0, done.stderr
    refused = compose("config", "-q", secrets=False)
    assert refused.returncode != 0 and "compose-env.sh" in refused.stderr
    rendered = yaml.safe_load(compose("--profile", "demo", "config").stdout)["services"]
    for name in ("atlas-emulator", "ztf-emulator", "panstarrs-emulator"):
        assert rendered[name]["profiles"] == ["demo"]
    ports = [p for service in rendered.values() for p in service.get("ports", [])]
    assert ports and all(str(p.get("host_ip", p) if isinstance(p, dict) else p).startswith("127.0.0.1") for p in ports)
    api = rendered["airflow-apiserver"]
    assert api["environment"]["AIRFLOW__CORE__FERNET_KEY"] == SECRETS["AIRFLOW_FERNET_KEY"]
    # The Light curves pages: the api-server reads the sink the workers write (the shared volume).
    assert api["environment"]["AIRFLOW__FPHOT__UI_SINK"] == "file"
    worker, api_server = (
        {str(v).split(":")[1] for v in rendered[name]["volumes"]} for name in ("airflow-worker", "airflow-apiserver")
    )
    assert "/opt/airflow/fphot" in worker & api_server
