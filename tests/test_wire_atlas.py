"""ATLAS request builders and response readers, on the recorded real answers."""

from __future__ import annotations

import json

import pytest

from fphot_provider.exceptions import InvalidQueryError, LoginError, QueueFullError, RemoteServiceError
from fphot_provider.targets import QueryWindow, Target
from fphot_provider.wire import atlas as wire
from fphot_provider.wire.http import HttpResponse, RetryPolicy, retry_after_seconds
from tests.conftest import DATA

BASE = "https://fallingstar-data.com/forcedphot"
TARGET = Target.parse("SN 2023ixf", 210.910674, 54.3117)
WINDOW = QueryWindow.parse(60070, 60200)


def recorded(name: str) -> dict:
    return json.loads((DATA / "atlas" / name).read_text())


def response(status: int, body: object = b"", headers: dict | None = None) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status, headers or {}, raw)


def test_submit_request_never_emails_and_sends_the_window() -> None:
    request = wire.submit_request(BASE, "tok", TARGET, WINDOW, comment="k")
    assert (request.method, request.url) == ("POST", f"{BASE}/queue/")
    assert request.data == {
        "ra": "210.910674",
        "dec": "54.3117",
        "mjd_min": "60070.0",
        "mjd_max": "60200.0",
        "use_reduced": "false",
        "send_email": "false",
        "comment": "k",
    }
    assert request.headers == {"Authorization": "Token tok", "Accept": "application/json"}
    assert not request.idempotent
    assert "tok" not in request.describe()


def test_batch_request_lists_positions_and_caps_at_100() -> None:
    targets = [Target.parse(f"t{i}", i, -i / 2) for i in range(3)]
    request = wire.batch_submit_request(BASE, "tok", targets, WINDOW, use_reduced=True)
    assert request.data["radeclist"] == "0.0 0.0\n1.0 -0.5\n2.0 -1.0"
    assert request.data["use_reduced"] == "true"
    with pytest.raises(InvalidQueryError, match="1 to 100"):
        wire.batch_submit_request(BASE, "tok", [TARGET] * 101, WINDOW)


@pytest.mark.parametrize(
    ("name", "status", "empty", "failed"),
    [
        ("queue_201_response.json", "queued", False, False),
        ("task_queued_response.json", "queued", False, False),
        ("task_running_response.json", "running", False, False),
        ("task_finished_with_error_msg_response.json", "finished", True, False),
    ],
)
def test_read_task_states_of_recorded_answers(name: str, status: str, empty: bool, failed: bool) -> None:
    task = wire.read_task(recorded(name))
    assert (task.status, task.is_empty, task.is_failed) == (status, empty, failed)
    assert task.is_terminal == (status == "finished")


def test_finished_with_other_error_or_without_result_is_failed() -> None:
    data = recorded("task_finished_with_error_msg_response.json")
    assert wire.read_task({**data, "error_msg": "Internal server error"}).is_failed
    assert wire.read_task({**data, "error_msg": None, "result_url": None}).is_failed
    ok = wire.read_task({**data, "error_msg": None, "result_url": "https://x/static/results/job1.txt"})
    assert ok.is_terminal and not ok.is_failed and not ok.is_empty


def test_read_submit_single_and_batch() -> None:
    assert wire.read_submit(response(201, recorded("queue_201_response.json")))[0].id == 152047
    tasks = wire.read_submit(response(201, recorded("queue_radeclist_201_response.json")))
    assert [t.id for t in tasks] == [61, 62]


@pytest.mark.parametrize(
    ("headers", "body", "seconds"),
    [
        ({"retry-after": "48"}, recorded("queue_429_throttled_response.json"), 48.0),
        ({}, recorded("queue_429_throttled_response.json"), 48.0),
        ({}, {"detail": "Request was throttled. Expected available in 1 second."}, 1.0),
        ({}, {"detail": "Request was throttled. Expected available in 3 minutes."}, 180.0),
        ({"retry-after": "7"}, {"detail": "Request was throttled. Expected available in 3 minutes."}, 7.0),
        ({"retry-after": "garbage"}, {"detail": "nothing useful"}, wire.DEFAULT_THROTTLE_WAIT),
        ({}, b"<html>Too Many Requests</html>", wire.DEFAULT_THROTTLE_WAIT),
    ],
)
def test_throttle_wait_prefers_header_then_message_then_default(headers, body, seconds) -> None:
    assert wire.throttle_wait(response(429, body, headers)) == seconds


def test_retry_after_http_date() -> None:
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:30 GMT"}, now=1445412480.0) == 30.0


@pytest.mark.parametrize(
    ("status", "body", "what", "error", "text"),
    [
        (401, recorded("queue_401_invalid_token_response.json"), "submit", LoginError, "Invalid token."),
        (400, recorded("api_token_auth_400_bad_credentials_response.json"), "token", LoginError, "Unable to log in"),
        # The real server's queue-cap text: a plain string (atlasserver, DESIGN section 3).
        (
            400,
            {"non_field_errors": "ERROR: You have too many queued tasks (497 queued + 5 requested > 500)."},
            "submit",
            QueueFullError,
            "497 queued",
        ),
        # Another non_field_errors refusal is an invalid request, not a full queue.
        (
            400,
            {"non_field_errors": ["Either mpc_name or ra and dec must be given."]},
            "submit",
            RemoteServiceError,
            "mpc_name",
        ),
        (400, {"mjd_max": ["mjd_max must be greater than mjd_min"]}, "submit", RemoteServiceError, "greater than"),
        (400, {"ra": ["A valid number is required."]}, "submit", RemoteServiceError, "ra: A valid number"),
        (404, {"detail": "Not found."}, "status", RemoteServiceError, "Not found."),
    ],
)
def test_check_response_maps_errors(status, body, what, error, text) -> None:
    read = {"submit": wire.read_submit, "token": wire.read_token}.get(what, lambda r: wire.check_response(r, what))
    with pytest.raises(error, match=text) as err:
        read(response(status, body))
    assert err.value.status == status
    assert type(err.value) is error  # a refusal that is not the cap must not wait as if the queue were full


def test_only_the_connection_origin_gets_credentials() -> None:
    assert wire.same_origin(f"{BASE}/queue/1/", BASE)
    assert not wire.same_origin("https://evil.example/queue/1/", BASE)
    assert not wire.same_origin("http://fallingstar-data.com/forcedphot/queue/1/", BASE)


def test_retry_policy_backoff_and_limits() -> None:
    policy = RetryPolicy(max_attempts=3, backoff_seconds=1, max_backoff_seconds=3, max_throttle_wait=10)
    request = wire.task_request(f"{BASE}/queue/1/", "tok")
    assert [policy.wait_after_status(request, 503, n, 0) for n in (1, 2)] == [1, 2]
    assert policy.backoff(5) == 3
    assert policy.wait_after_status(request, 429, 1, 5.0) == 5.0
    with pytest.raises(Exception, match="throttled; retry in 60 s") as err:
        policy.wait_after_status(request, 429, 1, 60.0)
    assert err.value.wait_seconds == 60.0
    with pytest.raises(Exception, match="HTTP 503 after 3 attempts"):
        policy.wait_after_status(request, 503, 3, 0)
