"""Following docs/adding-a-service.md: a fourth service works end to end without package changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fphot_provider.emulators.common import EmulatorServer
from fphot_provider.sinks.file import FileSink
from tests.fourth_service import emulator
from tests.fourth_service.service import ExampleHook


@pytest.fixture
def example_service(monkeypatch: pytest.MonkeyPatch):
    with EmulatorServer(emulator.create_app()) as server:
        monkeypatch.setenv(
            "AIRFLOW_CONN_EXAMPLE_DEFAULT",
            json.dumps({"conn_type": "http", "host": server.url, "password": emulator.KEY}),
        )
        # step 4: registered by configuration, the package untouched
        monkeypatch.setenv(
            "AIRFLOW__FPHOT__PROCESSORS",
            json.dumps({"example_photometry": "tests.fourth_service.service:parse_example"}),
        )
        yield server


def test_hook_and_connection_check(example_service) -> None:
    assert ExampleHook().test_connection() == (True, "ok")


@pytest.mark.airflow
def test_fourth_service_end_to_end(run_dag, example_service, data_dir: Path) -> None:
    state, tasks, _ = run_dag("fphot_test_example_service", {})
    assert state == "success", tasks
    table = FileSink(data_dir).read("example target")
    assert len(table) == 11 and set(table["filter"]) == {"EX.g", "EX.r"} and table["detected"].all()
    state, _, _ = run_dag("fphot_test_example_service", {})
    assert len(FileSink(data_dir).read("example target")) == 11  # idempotent like the built-in services


def test_unregistered_type_fails_with_a_hint() -> None:
    from fphot_provider.exceptions import ConfigurationError
    from fphot_provider.parsers.registry import get_parser

    with pytest.raises(ConfigurationError, match=r"\[fphot\] processors"):
        get_parser("example_photometry")
