"""ZtfHook against the running ZTF emulator."""

from __future__ import annotations

import asyncio

import pytest

from fphot_provider.exceptions import LoginError, QueueFullError, ServiceThrottledError
from fphot_provider.hooks.ztf import ZtfHook
from fphot_provider.parsers.ztf import parse_ztf
from fphot_provider.targets import QueryWindow, Target
from tests.conftest import ZtfEmulator
from tests.helpers import wait_until

TARGET = Target.parse("SN 2023ixf", 210.910674, 54.3117)
WINDOW = QueryWindow.parse(60070, 60200)


def test_submit_find_download(ztf_emulator: ZtfEmulator) -> None:
    hook = ZtfHook()
    echo = hook.submit(TARGET, WINDOW)
    assert echo == {"ra": 210.910674, "dec": 54.3117, "jdstart": 2460070.5, "jdend": 2460200.5}
    row = wait_until(lambda: next((r for r in hook.get_requests() if r.is_terminal), None))
    assert row.has_lightcurve and row.lightcurve.endswith(f"forcedphotometry_req{row.req_id:08d}_lc.txt")
    table = parse_ztf(hook.download_lightcurve(row.lightcurve), target="x")
    assert len(table) > 50 and set(table["filter"]) >= {"ZTF.g", "ZTF.r"}
    ok, message = hook.test_connection()
    assert ok and "1 recent requests" in message


def _all_done(rows: list) -> list | None:
    return rows if len(rows) == 4 and all(r.is_terminal for r in rows) else None


def test_batch_of_several_positions_in_one_request(ztf_emulator: ZtfEmulator) -> None:
    targets = [Target.parse(f"t{i}", 100 + i, 10 + i) for i in range(4)]
    ZtfHook().submit_batch(targets, WINDOW)
    assert ztf_emulator.stats()["POST batch_submit"] == 1
    rows = wait_until(lambda: _all_done(ZtfHook().get_requests(batch=True)))
    assert ZtfHook().get_requests() == []  # the single-request page never lists batch requests
    assert sorted(r.ra for r in rows) == [100.0, 101.0, 102.0, 103.0]
    assert all("batchfp_req" in r.lightcurve for r in rows)
    text = ZtfHook().download_lightcurve(rows[0].lightcurve)
    assert " sindex, field," in text and len(parse_ztf(text, target="x")) > 10


def test_no_requests_is_an_empty_table(ztf_emulator: ZtfEmulator) -> None:
    assert ZtfHook().get_requests() == []
    assert ztf_emulator.events() == [("GET status", 400)]


@pytest.mark.parametrize(
    ("conn", "message"),
    [
        ({"password": "wrong"}, "HTTP 403"),
        ({"login": None}, "needs login"),
        ({"extra": {"service_password": "nope"}}, "HTTP 401"),
    ],
)
def test_bad_credentials(ztf_emulator: ZtfEmulator, monkeypatch, conn, message) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_FPHOT_ZTF_DEFAULT", ztf_emulator.connection(**conn))
    with pytest.raises(LoginError, match=message):
        ZtfHook().get_requests()
    assert not ZtfHook().test_connection()[0]


def test_busy_database_and_pending_cap(ztf_emulator: ZtfEmulator) -> None:
    ztf_emulator.state.busy_answers = 1
    with pytest.raises(ServiceThrottledError) as err:
        ZtfHook().get_requests()
    assert err.value.wait_seconds == 60
    assert ZtfHook().get_requests() == []  # the next answer is normal
    ztf_emulator.state.config.max_pending = 1
    ztf_emulator.state.config.queue_seconds = 60
    ZtfHook().submit(TARGET, WINDOW)
    with pytest.raises(QueueFullError, match="maximum number of pending requests"):
        ZtfHook().submit(TARGET, WINDOW)


def test_async_status_matches_sync(ztf_emulator: ZtfEmulator) -> None:
    ZtfHook().submit(TARGET, WINDOW)
    assert asyncio.run(ZtfHook().a_get_requests()) == ZtfHook().get_requests()


def test_single_requests_are_not_on_the_batch_page(ztf_emulator: ZtfEmulator) -> None:
    ZtfHook().submit(TARGET, WINDOW)
    assert len(ZtfHook().get_requests()) == 1
    assert ZtfHook().get_requests(batch=True) == []
    assert ztf_emulator.stats()["GET batch_status"] == 1


def test_5xx_on_status_is_retried(ztf_emulator: ZtfEmulator) -> None:
    ztf_emulator.fault(502, count=2, path="/cgi-bin/getForcedPhotometryRequests.cgi")
    assert ZtfHook().get_requests() == []
    assert [s for _, s in ztf_emulator.events()] == [502, 502, 400]
