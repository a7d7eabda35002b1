"""ZtfJobTrigger: serialization without secrets, finding a request that has no id yet."""

from __future__ import annotations

import asyncio
import json
import time

from fphot_provider.hooks.ztf import ZtfHook
from fphot_provider.targets import QueryWindow, Target
from fphot_provider.triggers.ztf import ZtfJobTrigger
from tests.conftest import ZtfEmulator

TARGET = Target.parse("SN 2023ixf", 210.910674, 54.3117)
WINDOW = QueryWindow.parse(60070, 60200)
WHERE = {"ra": 210.910674, "dec": 54.3117, "jd_start": 2460070.5, "jd_end": 2460200.5}


async def events_of(trigger: ZtfJobTrigger) -> list[dict]:
    return [event.payload async for event in trigger.run()]


def test_serialize_round_trip_holds_no_secret(ztf_emulator: ZtfEmulator) -> None:
    trigger = ZtfJobTrigger(**WHERE, exclude=[3, 4], req_id=None, poll_interval=1, deadline=2e9)
    path, kwargs = trigger.serialize()
    assert path == "fphot_provider.triggers.ztf.ZtfJobTrigger"
    assert ZtfJobTrigger(**kwargs).serialize() == (path, kwargs)
    assert "demo-userpass" not in json.dumps(kwargs) and "dontgocrazy" not in json.dumps(kwargs)


def test_request_found_by_position_after_the_listing_delay(ztf_emulator: ZtfEmulator) -> None:
    ztf_emulator.state.config.listing_delay_seconds = 0.5
    ZtfHook().submit(TARGET, WINDOW)
    events = asyncio.run(events_of(ZtfJobTrigger(**WHERE, poll_interval=0.1, max_poll_interval=0.2)))
    assert [e["status"] for e in events] == ["success"]
    assert events[0]["request"]["lightcurve"] and events[0]["request"]["req_id"] == 15274
    polls = [s for name, s in ztf_emulator.events() if name == "GET status"]
    assert polls[0] == 400  # not listed yet at first: the trigger kept waiting


def test_excluded_older_request_is_ignored(ztf_emulator: ZtfEmulator) -> None:
    ztf_emulator.state.outcomes.append((210.910674, 54.3117, 255))
    ZtfHook().submit(TARGET, WINDOW)
    ztf_emulator.state.outcomes.clear()
    ZtfHook().submit(TARGET, WINDOW)
    events = asyncio.run(events_of(ZtfJobTrigger(**WHERE, exclude=[15274], poll_interval=0.1)))
    assert events[0]["request"]["req_id"] == 15275 and events[0]["request"]["exitcode"] != 255


def test_busy_answers_are_waited_out(ztf_emulator: ZtfEmulator, monkeypatch) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(ZtfJobTrigger, "sleep", staticmethod(record))
    ZtfHook().submit(TARGET, WINDOW)
    ztf_emulator.state.busy_answers = 2
    ztf_emulator.state.config.queue_seconds = ztf_emulator.state.config.run_seconds = 0
    events = asyncio.run(events_of(ZtfJobTrigger(**WHERE, poll_interval=0.1)))
    assert events[0]["status"] == "success"
    assert waits[:2] == [60.0, 90.0]  # the busy page's minute, then the usual backoff


def test_first_look_waits_for_not_before(ztf_emulator: ZtfEmulator, monkeypatch) -> None:
    """Just after a submit the slow status page is not read: the first poll waits until not_before."""
    waits: list[tuple[float, int]] = []

    async def record(seconds: float) -> None:
        waits.append((seconds, ztf_emulator.stats().get("GET status", 0)))

    monkeypatch.setattr(ZtfJobTrigger, "sleep", staticmethod(record))
    ZtfHook().submit(TARGET, WINDOW)
    ztf_emulator.state.config.queue_seconds = ztf_emulator.state.config.run_seconds = 0
    trigger = ZtfJobTrigger(**WHERE, poll_interval=120, not_before=time.time() + 120)
    assert ZtfJobTrigger(**trigger.serialize()[1]).not_before == trigger.not_before
    events = asyncio.run(events_of(trigger))
    assert events[0]["status"] == "success"
    assert waits[0][1] == 0 and 119 < waits[0][0] <= 120  # waited before reading the page at all


def test_batch_requests_are_looked_for_on_the_batch_page(ztf_emulator: ZtfEmulator) -> None:
    ZtfHook().submit_batch([TARGET], WINDOW)
    events = asyncio.run(events_of(ZtfJobTrigger(**WHERE, batch=True, poll_interval=0.1)))
    assert events[0]["status"] == "success" and "batchfp_req" in events[0]["request"]["lightcurve"]
    assert "GET status" not in ztf_emulator.stats()
