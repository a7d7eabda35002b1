"""What no retry can fix fails the Airflow task at once, without its retries (tasks have 3)."""

from __future__ import annotations

import time

import pytest
from airflow.sdk.exceptions import AirflowFailException, AirflowNotFoundException

from fphot_provider.exceptions import (
    ConfigurationError,
    InvalidQueryError,
    JobFailedError,
    LoginError,
    RemoteServiceError,
    ServiceThrottledError,
    ServiceUnavailableError,
    TableParseError,
)
from fphot_provider.failures import fail_fast, is_permanent

CONF = {"ra": 210.910674, "dec": 54.3117, "mjd_min": 60000.0, "mjd_max": 60060.0}


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (InvalidQueryError("ra", "out of range"), True),
        (LoginError("refused", status=401), True),
        (ConfigurationError("sink: unknown kind"), True),
        (TableParseError("not a table"), True),
        (AirflowNotFoundException("The conn_id `x` isn't defined"), True),
        (RemoteServiceError("bad request", status=400), True),
        (RemoteServiceError("gone", status=404), True),
        (ServiceThrottledError("slow down", wait_seconds=60), False),
        (ServiceUnavailableError("503", status=503), False),
        (RemoteServiceError("server error", status=500), False),
        (RemoteServiceError("cut short", status=None), False),
        (JobFailedError("remote job failed"), False),
        (ConnectionError("reset"), False),
    ],
)
def test_what_counts_as_permanent(error: Exception, permanent: bool) -> None:
    assert is_permanent(error) is permanent
    with pytest.raises(AirflowFailException if permanent else type(error)) as raised:
        with fail_fast():
            raise error
    if permanent:
        assert str(error) in str(raised.value) and raised.value.__cause__ is error


def outcome(dr) -> dict[str, tuple[str, int]]:  # noqa: ANN001 - a DagRun
    return {ti.task_id: (str(ti.state), ti.try_number) for ti in dr.get_task_instances()}


@pytest.mark.airflow
def test_refused_atlas_token_fails_at_once(run_dag, atlas_emulator, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_FPHOT_ATLAS_DEFAULT", atlas_emulator.connection(password="wrong-token"))
    started = time.monotonic()
    state, _, dr = run_dag("fphot_test_fail_fast_atlas", CONF)
    assert state == "failed" and outcome(dr)["fetch"] == ("failed", 1)  # not up_for_retry
    assert time.monotonic() - started < 60
    assert atlas_emulator.stats() == {"POST submit": 1}  # one refused request, never again


@pytest.mark.airflow
def test_refused_ztf_credentials_fail_at_once(run_dag, ztf_emulator, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_FPHOT_ZTF_DEFAULT", ztf_emulator.connection(password="wrong-userpass"))
    state, _, dr = run_dag("fphot_test_fail_fast_ztf", CONF)
    assert state == "failed" and outcome(dr)["fetch"] == ("failed", 1)
    assert "GET submit" not in ztf_emulator.stats()


@pytest.mark.airflow
@pytest.mark.parametrize("service", ["atlas", "ztf", "panstarrs"])
def test_missing_connection_fails_at_once(run_dag, service, monkeypatch) -> None:
    monkeypatch.delenv(f"AIRFLOW_CONN_FPHOT_{service.upper()}_DEFAULT", raising=False)
    state, _, dr = run_dag(f"fphot_test_fail_fast_{service}", CONF)
    assert state == "failed" and outcome(dr)["fetch"] == ("failed", 1)


@pytest.mark.airflow
@pytest.mark.parametrize(
    "conf",
    [
        {**CONF, "mjd_max": CONF["mjd_min"]},  # ATLAS demands mjd_max > mjd_min
        {**CONF, "dec": 95.0},
        {**CONF, "mjd_min": 2460000.0},
    ],
)
def test_invalid_query_fails_at_once_before_anything_is_sent(run_dag, atlas_emulator, conf) -> None:
    state, _, dr = run_dag("fphot_test_fail_fast_atlas", conf)
    assert state == "failed" and outcome(dr)["fetch"] == ("failed", 1)
    assert atlas_emulator.stats() == {}


@pytest.mark.airflow
def test_unknown_sink_fails_at_once(run_dag, panstarrs_emulator) -> None:
    state, _, dr = run_dag("fphot_test_fail_fast_panstarrs", {**CONF, "sink": "nosuchsink"})
    assert state == "failed" and outcome(dr)["process"] == ("failed", 1) and outcome(dr)["fetch"][0] == "success"


@pytest.mark.airflow
def test_fphot_target_refuses_bad_input_in_its_first_task(run_dag, atlas_emulator) -> None:
    conf = {"target_name": "x", "ra": 10.0, "dec": 20.0, "mjd_min": 60000.0, "mjd_max": 60000.0, "sink": "file"}
    state, tasks, dr = run_dag("fphot_target", conf)
    assert state == "failed" and tasks["validate"] == "failed"
    assert atlas_emulator.stats() == {}
