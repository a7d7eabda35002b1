"""AtlasJobTrigger: serialization, one event per run, backoff, outages, restart."""

from __future__ import annotations

import asyncio
import time

import pytest

from fphot_provider.hooks.atlas import AtlasHook
from fphot_provider.targets import QueryWindow, Target
from fphot_provider.triggers.atlas import AtlasJobTrigger
from tests.conftest import AtlasEmulator

TARGET = Target.parse("SN 2023ixf", 210.910674, 54.3117)
WINDOW = QueryWindow.parse(60070, 60200)


class RecordingTrigger(AtlasJobTrigger):
    """The real trigger; its waits are recorded, then taken for real but short."""

    waits: list[float]

    async def sleep(self, seconds: float) -> None:  # type: ignore[override]
        self.waits.append(seconds)
        await asyncio.sleep(0.02)


async def events_of(trigger: AtlasJobTrigger) -> list[dict]:
    return [event.payload async for event in trigger.run()]


def submit() -> str:
    return AtlasHook().submit(TARGET, WINDOW).url


def test_serialize_round_trip() -> None:
    trigger = AtlasJobTrigger(
        task_url="http://127.0.0.1:1/queue/7/", atlas_conn_id="c", poll_interval=5, max_poll_interval=60, deadline=1.5e9
    )
    path, kwargs = trigger.serialize()
    assert path == "fphot_provider.triggers.atlas.AtlasJobTrigger"
    assert AtlasJobTrigger(**kwargs).serialize() == (path, kwargs)
    assert all(isinstance(v, (str, int, float, type(None))) for v in kwargs.values())


def test_one_success_event_with_the_task(atlas_emulator: AtlasEmulator) -> None:
    url = submit()
    events = asyncio.run(events_of(AtlasJobTrigger(task_url=url, poll_interval=0.05)))
    assert len(events) == 1
    assert events[0]["status"] == "success"
    assert events[0]["task"]["url"] == url and events[0]["task"]["status"] == "finished"
    assert events[0]["task_url"] == url


def test_polling_backs_off_to_the_cap(atlas_emulator: AtlasEmulator) -> None:
    atlas_emulator.state.config.queue_seconds = 0.6
    url = submit()
    trigger = RecordingTrigger(task_url=url, poll_interval=1.0, max_poll_interval=3.0)
    trigger.waits = []
    asyncio.run(events_of(trigger))
    assert trigger.waits[:5] == [1.0, 1.5, 2.25, 3.0, 3.0][: len(trigger.waits[:5])]
    assert len(trigger.waits) >= 3


def test_any_exception_becomes_an_error_event(atlas_emulator: AtlasEmulator, monkeypatch) -> None:
    url = submit()
    monkeypatch.setenv("AIRFLOW_CONN_FPHOT_ATLAS_DEFAULT", atlas_emulator.connection(password="bad"))
    events = asyncio.run(events_of(AtlasJobTrigger(task_url=url, poll_interval=0.05)))
    assert [e["status"] for e in events] == ["error"]
    assert "Invalid token" in events[0]["message"]


def test_deadline_gives_a_timeout_event(atlas_emulator: AtlasEmulator) -> None:
    atlas_emulator.state.config.queue_seconds = 60
    url = submit()
    events = asyncio.run(events_of(AtlasJobTrigger(task_url=url, poll_interval=0.05, deadline=time.time() + 0.3)))
    assert [e["status"] for e in events] == ["timeout"]


def test_a_short_outage_does_not_fail_the_wait(atlas_emulator: AtlasEmulator, monkeypatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_FPHOT_ATLAS_DEFAULT",
        atlas_emulator.connection(extra={"max_attempts": 2, "backoff_seconds": 0.01}),
    )
    url = submit()
    atlas_emulator.fault(503, count=3, path="/queue/", method="GET")
    events = asyncio.run(events_of(AtlasJobTrigger(task_url=url, poll_interval=0.05)))
    assert events[0]["status"] == "success"


def test_a_long_outage_ends_in_an_error_event(atlas_emulator: AtlasEmulator, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_FPHOT_ATLAS_DEFAULT", atlas_emulator.connection(extra={"max_attempts": 1}))
    url = submit()
    atlas_emulator.fault(503, count=100, path="/queue/", method="GET")
    events = asyncio.run(events_of(AtlasJobTrigger(task_url=url, poll_interval=0.01)))
    assert events[0]["status"] == "error" and "503" in events[0]["message"]


def test_restart_resumes_from_serialized_state(atlas_emulator: AtlasEmulator) -> None:
    """A triggerer restart: the first run is cancelled mid-wait; a new one from kwargs finishes."""
    atlas_emulator.state.config.queue_seconds = 0.8
    url = submit()
    trigger = AtlasJobTrigger(task_url=url, poll_interval=0.05, deadline=time.time() + 30)

    async def interrupted() -> None:
        run = asyncio.ensure_future(events_of(trigger))
        while atlas_emulator.stats().get("GET status", 0) < 2:
            await asyncio.sleep(0.01)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run

    asyncio.run(interrupted())
    assert atlas_emulator.state.tasks  # still queued remotely: nothing was lost or resubmitted
    _, kwargs = trigger.serialize()
    events = asyncio.run(events_of(AtlasJobTrigger(**kwargs)))
    assert events[0]["status"] == "success" and events[0]["task"]["url"] == url
    assert atlas_emulator.stats()["POST submit"] == 1
