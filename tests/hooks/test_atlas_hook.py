"""AtlasHook against the running ATLAS emulator: real HTTP on loopback."""

from __future__ import annotations

import asyncio
import json

import pytest
import requests

from fphot_provider.exceptions import (
    LoginError,
    QueueFullError,
    RemoteServiceError,
    ServiceThrottledError,
    ServiceUnavailableError,
)
from fphot_provider.hooks.atlas import AtlasHook
from fphot_provider.targets import QueryWindow, Target
from fphot_provider.wire.http import RetryPolicy
from tests.conftest import AtlasEmulator
from tests.helpers import wait_until

BASE = "https://fallingstar-data.com/forcedphot"

TARGET = Target.parse("SN 2023ixf", 210.910674, 54.3117)
WINDOW = QueryWindow.parse(60070, 60200)


class CountingHook(AtlasHook):
    """The real hook, with waits recorded instead of slept (the policy decides; we check it)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.waits: list[float] = []
        self.sleep = self.waits.append

        async def record(seconds: float) -> None:
            self.waits.append(seconds)

        self.async_sleep = record


def finished(hook: AtlasHook, url: str):
    return wait_until(lambda: (t := hook.get_task(url)).is_terminal and t, timeout=10)


def test_submit_status_download_delete(atlas_emulator: AtlasEmulator) -> None:
    hook = AtlasHook()
    task = hook.submit(TARGET, WINDOW, comment="key-1")
    assert task.status == "queued" and task.url.startswith(atlas_emulator.url)
    stored = atlas_emulator.state.tasks[task.id]
    assert stored["send_email"] is False and stored["mjd_min"] == 60070.0 and stored["comment"] == "key-1"
    done = finished(hook, task.url)
    text = hook.download_result(done.result_url)
    assert text.startswith("###MJD") and len(text.splitlines()) > 10
    assert hook.delete_task(task.url) is True
    assert hook.delete_task(task.url) is False  # already gone: not an error
    with pytest.raises(RemoteServiceError) as err:
        hook.get_task(task.url)
    assert err.value.status == 404


def test_login_password_exchanged_once_for_a_token(atlas_emulator: AtlasEmulator, monkeypatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_FPHOT_ATLAS_DEFAULT", atlas_emulator.connection(login="demo", password="demo-password")
    )
    hook = AtlasHook()
    hook.submit(TARGET, WINDOW)
    hook.submit(TARGET, WINDOW)
    assert atlas_emulator.stats()["POST token"] == 1
    assert hook.test_connection()[0]


@pytest.mark.parametrize(
    ("conn", "message"),
    [
        ({"password": "wrong"}, "Invalid token"),
        ({"login": "demo", "password": "nope"}, "Unable to log in"),
        ({"password": None}, "no password"),
    ],
)
def test_bad_credentials_fail_clearly(atlas_emulator: AtlasEmulator, monkeypatch, conn, message) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_FPHOT_ATLAS_DEFAULT", atlas_emulator.connection(**conn))
    with pytest.raises(LoginError, match=message):
        AtlasHook().submit(TARGET, WINDOW)
    ok, text = AtlasHook().test_connection()
    assert not ok and message in text


def test_5xx_then_success_is_retried_with_backoff(atlas_emulator: AtlasEmulator) -> None:
    hook = CountingHook(retry=RetryPolicy(max_attempts=4, backoff_seconds=0.5))
    task = hook.submit(TARGET, WINDOW)
    atlas_emulator.fault(503, count=2, path="/queue/", method="GET")
    assert hook.get_task(task.url).id == task.id
    assert hook.waits == [0.5, 1.0]
    assert [s for name, s in atlas_emulator.events() if name == "GET status"] == [503, 503, 200]


def test_persistent_5xx_gives_up_clearly(atlas_emulator: AtlasEmulator) -> None:
    hook = CountingHook(retry=RetryPolicy(max_attempts=3, backoff_seconds=0.1))
    task = hook.submit(TARGET, WINDOW)
    atlas_emulator.fault(502, count=5, path="/queue/", method="GET")
    with pytest.raises(ServiceUnavailableError, match="HTTP 502 after 3 attempts"):
        hook.get_task(task.url)


def test_dropped_connection_is_retried_for_reads_but_not_for_submits(atlas_emulator: AtlasEmulator) -> None:
    hook = CountingHook(retry=RetryPolicy(max_attempts=3, backoff_seconds=0.1))
    task = hook.submit(TARGET, WINDOW)
    atlas_emulator.fault(0, count=1, path="/queue/", method="GET")
    assert hook.get_task(task.url).id == task.id
    atlas_emulator.fault(0, count=1, path="/queue/", method="POST")
    with pytest.raises(requests.ConnectionError):
        hook.submit(TARGET, WINDOW)  # the outcome is unknown: the operator reconciles by key


def test_throttled_submit_waits_short_windows_and_raises_long_ones(atlas_emulator: AtlasEmulator) -> None:
    atlas_emulator.state.config.submits_per_minute = 1
    hook = CountingHook(retry=RetryPolicy(max_throttle_wait=120))
    hook.submit(TARGET, WINDOW)
    atlas_emulator.fault(429, count=1, path="/queue/", method="POST")  # no header, no message: default wait
    hook_short = CountingHook(retry=RetryPolicy(max_throttle_wait=0.5))
    with pytest.raises(ServiceThrottledError) as err:
        hook_short.submit(TARGET, WINDOW)
    assert err.value.wait_seconds == 60.0
    with pytest.raises(ServiceThrottledError, match="retry in") as err:
        hook_short.submit(TARGET, WINDOW)  # now the emulator's own 429 with Retry-After
    assert 50 <= err.value.wait_seconds <= 60
    assert atlas_emulator.stats()["POST submit"] == 3


def test_queue_cap_is_a_queue_full_error(atlas_emulator: AtlasEmulator) -> None:
    atlas_emulator.state.config.max_queued = 2
    atlas_emulator.state.config.queue_seconds = 60
    hook = AtlasHook()
    hook.submit_batch([TARGET, TARGET], WINDOW)
    with pytest.raises(QueueFullError, match=r"too many queued tasks \(2 queued \+ 1 requested > 2\)"):
        hook.submit(TARGET, WINDOW)


def test_emulator_refuses_what_the_real_serializer_refuses(atlas_emulator: AtlasEmulator) -> None:
    """Sent past our own validation on purpose: the emulator must answer as the real server does."""
    hook = AtlasHook()
    with pytest.raises(RemoteServiceError, match="mjd_max must be greater than mjd_min") as err:
        hook.submit(TARGET, QueryWindow(mjd_min=60000.0, mjd_max=60000.0))
    assert err.value.status == 400
    with pytest.raises(RemoteServiceError, match="no more than 300 characters"):
        hook.submit(TARGET, WINDOW, comment="x" * 301)
    assert hook.submit(TARGET, WINDOW, comment="x" * 300).comment == "x" * 300


def test_get_tasks_reads_the_list_newest_first(atlas_emulator: AtlasEmulator) -> None:
    hook = AtlasHook()
    old = [hook.submit(TARGET, WINDOW) for _ in range(3)]
    mine = hook.submit_batch([TARGET] * 4, WINDOW)
    hook.delete_task(mine[1].url)  # gone from the server: reported as None
    states = hook.get_tasks([t.url for t in mine])
    assert [s.id if s else None for s in states.values()] == [mine[0].id, None, mine[2].id, mine[3].id]
    assert atlas_emulator.stats()["GET list"] == 1 and "GET status" not in atlas_emulator.stats()
    assert hook.get_tasks([old[0].url])[old[0].url].id == old[0].id


def test_task_list_scan_works_in_either_order() -> None:
    """Whether or not the server honours ordering=-id, the scan finds the tasks or proves them gone."""
    from fphot_provider.wire.atlas import AtlasTask, TaskListScan

    def page(*ids: int) -> list[AtlasTask]:
        return [
            AtlasTask(url=f"{BASE}/queue/{i}/", id=i, status="queued", error_msg=None, result_url=None) for i in ids
        ]

    urls = [f"{BASE}/queue/{i}/" for i in (5, 6)]
    newest_first = TaskListScan(urls)
    assert not newest_first.add(page(9, 8, 7), has_next=True)
    assert newest_first.add(page(6, 4, 3), has_next=True)  # past 5 without seeing it: it is gone
    assert [bool(s) for s in newest_first.states().values()] == [False, True]
    oldest_first = TaskListScan(urls)
    assert not oldest_first.add(page(1, 2, 3), has_next=True)
    assert oldest_first.add(page(5, 6), has_next=True)
    assert all(oldest_first.states().values())


def test_batch_submit_returns_tasks_in_order(atlas_emulator: AtlasEmulator) -> None:
    targets = [Target.parse(f"t{i}", 10 + i, 20 + i) for i in range(5)]
    tasks = AtlasHook().submit_batch(targets, WINDOW, comment="batch")
    assert [(atlas_emulator.state.tasks[t.id]["ra"]) for t in tasks] == [10, 11, 12, 13, 14]
    assert atlas_emulator.stats()["POST submit"] == 1


def test_find_tasks_walks_every_page(atlas_emulator: AtlasEmulator) -> None:
    atlas_emulator.state.config.page_size = 2
    hook = AtlasHook()
    for i in range(5):
        hook.submit(TARGET, WINDOW, comment="mine" if i in (1, 4) else "other")
    found = hook.find_tasks("mine")
    assert [t.id for t in found] == [2, 5]
    assert atlas_emulator.stats()["GET list"] == 3


def test_async_status_matches_sync(atlas_emulator: AtlasEmulator) -> None:
    hook = AtlasHook()
    task = hook.submit(TARGET, WINDOW)
    atlas_emulator.fault(500, count=1, path="/queue/", method="GET")
    async_hook = CountingHook()
    state = asyncio.run(async_hook.a_get_task(task.url))
    assert state == hook.get_task(task.url)
    assert async_hook.waits == [0.05]


def test_credentials_never_go_to_another_host(atlas_emulator: AtlasEmulator) -> None:
    with pytest.raises(RemoteServiceError, match="refusing to send credentials"):
        AtlasHook().get_task("http://198.51.100.7/queue/1/")


def test_connection_form_is_declared_in_provider_info() -> None:
    from fphot_provider.get_provider_info import get_provider_info

    info = get_provider_info()
    types = {c["connection-type"]: c for c in info["connection-types"]}
    assert set(types) == {
        "fphot_atlas",
        "fphot_ztf",
        "fphot_panstarrs",
        "fphot_fink_lsst",
        "fphot_alerce_lsst",
        "fphot_alerce_ztf",
        "fphot_tom",
    }
    assert types["fphot_atlas"]["hook-class-name"] == "fphot_provider.hooks.atlas.AtlasHook"
    assert "timeout" in types["fphot_atlas"]["conn-fields"]
    json.dumps(info)  # the UI reads it as JSON


def test_form_prefixed_extras_are_read(atlas_emulator: AtlasEmulator, monkeypatch) -> None:
    """Extras saved by the Connection form may carry the legacy ``extra__<type>__`` prefix."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_FPHOT_ATLAS_DEFAULT",
        atlas_emulator.connection(
            extra={"extra__fphot_atlas__timeout": 7, "extra__fphot_atlas__max_attempts": 2, "backoff_seconds": ""}
        ),
    )
    hook = AtlasHook()
    assert hook.timeout == 7.0 and hook.retry.max_attempts == 2 and hook.retry.backoff_seconds == 1.0
