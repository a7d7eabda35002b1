"""Live tests talk to the real services: off by default and in CI (``make test-live`` runs them).

They lift the loopback guard of the main conftest, and skip with a clear reason when a
credential or the network is missing. One request at a time, bounded waits, polite intervals.
"""

from __future__ import annotations

import json
import os
import socket
from urllib.parse import urlsplit

import pytest

ATLAS_URL = "https://fallingstar-data.com/forcedphot"
ZTF_URL = "https://ztfweb.ipac.caltech.edu"
PS1_URL = "https://catalogs.mast.stsci.edu/api/v0.1/panstarrs"


@pytest.fixture(autouse=True)
def loopback_only() -> None:
    """Overrides the main conftest's guard: these tests are meant to leave the machine."""


def reachable(url: str) -> bool:
    host = urlsplit(url).hostname
    try:
        with socket.create_connection((host, 443), timeout=5):
            return True
    except OSError:
        return False


def need(url: str, *variables: str) -> dict[str, str]:
    """The named environment variables, or a skip saying which one (or the network) is missing."""
    missing = [name for name in variables if not os.environ.get(name)]
    if missing:
        pytest.skip(f"set {', '.join(missing)} to run this live test")
    if not reachable(url):
        pytest.skip(f"{urlsplit(url).hostname}:443 is not reachable from here (no network)")
    return {name: os.environ[name] for name in variables}


@pytest.fixture
def live_connection(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """Point a default Connection at a real service: ``live_connection("atlas", {...})``."""

    def point(service: str, fields: dict) -> None:
        monkeypatch.setenv(
            f"AIRFLOW_CONN_FPHOT_{service.upper()}_DEFAULT", json.dumps({"conn_type": f"fphot_{service}", **fields})
        )

    return point
