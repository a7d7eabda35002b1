"""ZTF request builders and page readers, on the recorded submission page and built tables."""

from __future__ import annotations

import json

import pytest

from fphot_provider.exceptions import (
    InvalidQueryError,
    LoginError,
    QueueFullError,
    RemoteServiceError,
    ServiceThrottledError,
)
from fphot_provider.targets import QueryWindow, Target
from fphot_provider.wire import ztf as wire
from fphot_provider.wire.http import HttpResponse
from tests.conftest import DATA

BASE = "https://ztfweb.ipac.caltech.edu"
CREDS = wire.ZtfCredentials(email="me@example.org", userpass="secret")
TARGET = Target.parse("SN 2020lao", 256.7275001234, 30.2715)
WINDOW = QueryWindow.parse(59000, 59100)
HEADER = "<tr><th>reqId</th><th>ra</th><th>dec</th><th>startJD</th><th>endJD</th><th>created</th><th>started</th><th>ended</th><th>machine</th><th>exitcode</th><th>lightcurve</th></tr>"  # noqa: E501 - a literal line of the format


def page(status: int, body: str) -> HttpResponse:
    return HttpResponse(status, {}, body.encode())


def status_page(*rows: list[str]) -> HttpResponse:
    cells = "".join("<tr>" + "".join(f"<td> {c} </td>" for c in row) + "</tr>" for row in rows)
    return page(200, f"<html><body><table border>{HEADER}{cells}</table></body></html>")


ROW = [
    "15274",
    "256.727500",
    "30.271500",
    "2459000.500000",
    "2459100.500000",
    "2026-11-24 10:00:00",
    "2026-11-24 10:01:00",
    "2026-11-24 10:05:00",
    "compute3",
    "0",
    "/ztf/ops/forcedphot/lc/74/forcedphotometry_req00015274_lc.txt",
]


def test_submit_request_rounds_to_six_decimals_and_authenticates_twice() -> None:
    request = wire.submit_request(BASE, CREDS, TARGET, WINDOW)
    assert request.url == f"{BASE}/cgi-bin/requestForcedPhotometry.cgi"
    assert request.params == {
        "ra": "256.727500",
        "dec": "30.271500",
        "jdstart": "2459000.500000",
        "jdend": "2459100.500000",
        "email": "me@example.org",
        "userpass": "secret",
    }
    assert request.basic_auth == ("ztffps", "dontgocrazy!")
    assert not request.idempotent and "secret" not in request.describe()


def test_batch_request_sends_stringified_lists() -> None:
    targets = [Target.parse("a", 10.1234567, -5), Target.parse("b", 11, 6.5)]
    request = wire.batch_submit_request(BASE, CREDS, targets, WINDOW)
    assert json.loads(request.data["ra"]) == [10.123457, 11.0]
    assert json.loads(request.data["dec"]) == [-5.0, 6.5]
    with pytest.raises(InvalidQueryError, match="1 to 1500"):
        wire.batch_submit_request(BASE, CREDS, [TARGET] * 1501, WINDOW)


def test_read_the_recorded_submission_page() -> None:
    html = (DATA / "ztf" / "request_submission_response_QFJQVSTT95.html").read_text()
    echo = wire.read_submission(page(200, html))
    assert echo == {"ra": 123.45, "dec": 67.89, "jdstart": 2460024.378186, "jdend": 2460084.378186}


def test_read_status_rows() -> None:
    pending = [
        "15275",
        "1.000000",
        "2.000000",
        "2459000.500000",
        "2459100.500000",
        "2026-11-24 10:00:00",
        "",
        "",
        "",
        "",
        "",
    ]
    rows = wire.read_status(status_page(ROW, pending))
    assert rows[0].req_id == 15274 and rows[0].exitcode == 0 and rows[0].has_lightcurve
    assert rows[1].exitcode is None and not rows[1].is_terminal and rows[1].lightcurve is None


# SkyPortal's ZTF_PHOTOMETRY_CODES and its rule: download for every code but 63, 64, 65, 255.
WITH_LIGHTCURVE = [0, 52, 56, 57, 58, 59, 60, 61, 62]


@pytest.mark.parametrize(
    ("code", "lightcurve", "empty", "failed", "partial", "warning"),
    [
        (0, True, False, False, False, None),
        (52, True, False, False, True, None),
        *[(code, True, False, False, False, str(code)) for code in range(56, 63)],
        (63, False, True, False, False, None),
        (64, False, False, True, False, None),
        (65, False, False, True, False, None),
        (255, False, False, True, False, None),
    ],
)
def test_exit_codes(code, lightcurve, empty, failed, partial, warning) -> None:
    row = wire.read_status(status_page([*ROW[:9], str(code), ROW[10] if code in WITH_LIGHTCURVE else ""]))[0]
    assert (row.is_terminal, row.has_lightcurve, row.is_empty, row.is_failed, row.is_partial) == (
        True,
        lightcurve,
        empty,
        failed,
        partial,
    )
    assert (row.warning is None) == (warning is None)
    if warning:
        assert row.warning.startswith(f"exit code {warning}: one or more epochs") or code == 62


def test_failure_codes_say_what_they_mean() -> None:
    meanings = {64: "catastrophic", 65: "end JD is before the survey start", 255: "database"}
    for code, text in meanings.items():
        row = wire.read_status(status_page([*ROW[:9], str(code), ""]))[0]
        assert text in row.describe_exit()


def test_ended_without_exit_code_is_terminal_and_failed() -> None:
    """IRSA's example: a job is done once ``ended`` is set."""
    row = wire.read_status(status_page([*ROW[:9], "", ""]))[0]
    assert row.is_terminal and row.is_failed and "without an exit code" in row.describe_exit()


def test_single_and_batch_requests_have_their_own_status_pages() -> None:
    single = wire.status_request(BASE, CREDS)
    batch = wire.status_request(BASE, CREDS, batch=True)
    assert single.url == f"{BASE}/cgi-bin/getForcedPhotometryRequests.cgi"
    assert batch.url == f"{BASE}/cgi-bin/getBatchForcedPhotometryRequests.cgi"
    assert single.params["option"] == "All recent jobs" and single.params["action"] == "Query Database"


def test_no_records_even_with_http_400_is_an_empty_list() -> None:
    assert wire.read_status(page(400, "<html><p>Zero records returned</p></html>")) == []


@pytest.mark.parametrize(
    ("status", "body", "what", "error"),
    [
        (200, "Error: database is busy; try again a minute later.", "status", ServiceThrottledError),
        (401, "Unauthorized", "status", LoginError),
        (403, "ERROR: the email/userpass combination is not valid.", "submit", LoginError),
        (200, "Error: you have reached the maximum number of pending requests (100).", "submit", QueueFullError),
        (500, "Internal Server Error", "status", RemoteServiceError),
        (200, "<html>no table here</html>", "status", RemoteServiceError),
    ],
)
def test_error_pages(status, body, what, error) -> None:
    with pytest.raises(error):
        wire.read_status(page(status, body)) if what == "status" else wire.read_submission(page(status, body))


def test_match_by_position_and_window_within_the_echo_rounding() -> None:
    rows = wire.read_status(status_page(ROW, [*ROW[:1], *ROW[1:]]))
    older = wire.read_status(status_page(["15000", *ROW[1:]]))[0]
    rows = [older, *rows[:1]]
    found = wire.match_request(rows, 256.7275004, 30.2714996, 2459000.5, 2459100.5)
    assert found.req_id == 15274  # the newest of two identical requests
    assert wire.match_request(rows, 256.7275004, 30.2714996, 2459000.5, 2459100.5, exclude=[15274]).req_id == 15000
    assert wire.match_request(rows, 256.7276, 30.2715, 2459000.5, 2459100.5) is None
    assert wire.match_request(rows, 256.7275, 30.2715, 2459000.5, 2459101.5) is None
    assert wire.match_request(rows, 0, 0, 0, 0, req_id=15000) is older
    # IRSA's example client matches within 1e-5: so do we (2e-5 away is another request).
    assert wire.match_request(rows, 256.727509, 30.271509, 2459000.500009, 2459100.499991).req_id == 15274
    assert wire.match_request(rows, 256.72752, 30.2715, 2459000.5, 2459100.5) is None


def test_a_reset_start_still_matches() -> None:
    """Exit code 62: the row may list the survey start instead of the start we asked for."""
    reset = ["15300", "256.727500", "30.271500", "2458194.500000", "2459100.500000", *ROW[5:9], "62", ROW[10]]
    rows = wire.read_status(status_page(reset))
    assert wire.match_request(rows, 256.7275, 30.2715, 2455000.5, 2459100.5).req_id == 15300
    assert wire.match_request(rows, 256.7275, 30.2715, 2458300.5, 2459100.5) is None  # a start after it does not


def test_lightcurve_path_cannot_leave_the_service() -> None:
    assert wire.lightcurve_request(BASE, CREDS, ROW[10]).url == BASE + ROW[10]
    for path in ("https://evil.example/x.txt", "/ztf/../../etc/passwd"):
        with pytest.raises(RemoteServiceError):
            wire.lightcurve_request(BASE, CREDS, path)
