"""ATLAS forced photometry server: request builders and response readers (no I/O).

Wire facts (DESIGN.md section 3): token auth at ``/api-token-auth/``; ``POST /queue/`` answers
``201`` with the task JSON (a list for ``radeclist`` batches); a task is queued while
``starttimestamp`` is null, running while ``finishtimestamp`` is null, done after; ``error_msg``
``"No data returned"`` is an empty, valid answer; ``429`` carries ``Retry-After`` and a message
"Expected available in N seconds|minutes".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fphot_provider.exceptions import (
    InvalidQueryError,
    LoginError,
    QueueFullError,
    RemoteServiceError,
)
from fphot_provider.targets import QueryWindow, Target
from fphot_provider.wire.http import HttpRequest, HttpResponse, retry_after_seconds

DEFAULT_BASE_URL = "https://fallingstar-data.com/forcedphot"
MAX_BATCH = 100
MAX_PAGE_SIZE = 100  # the task list's largest page (the server's pagination caps pagesize)
NO_DATA = "No data returned"
DEFAULT_THROTTLE_WAIT = 60.0
# The queue cap's text on the real server ("ERROR: You have too many queued tasks (497 queued
# + 5 requested > 500)."), a plain string under non_field_errors; other non_field_errors exist.
_QUEUE_CAP = re.compile(r"too many queued tasks", re.IGNORECASE)
_WAIT_MESSAGE = re.compile(r"available in (\d+(?:\.\d+)?) (second|minute|hour)", re.IGNORECASE)
_UNIT_SECONDS = {"second": 1.0, "minute": 60.0, "hour": 3600.0}


@dataclass(frozen=True)
class AtlasTask:
    """The state of one ATLAS task, read from its JSON."""

    url: str
    id: int
    status: str  # queued | running | finished
    error_msg: str | None
    result_url: str | None
    comment: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status == "finished"

    @property
    def is_empty(self) -> bool:
        """Finished with "No data returned": no observations, a valid empty light curve."""
        return self.is_terminal and self.error_msg == NO_DATA

    @property
    def is_failed(self) -> bool:
        """Finished with any other error, or with no result to fetch."""
        if not self.is_terminal or self.is_empty:
            return False
        return bool(self.error_msg) or not self.result_url


def read_task(data: Any) -> AtlasTask:
    """Read a task JSON object; raise RemoteServiceError when it is not one."""
    if not isinstance(data, dict) or "url" not in data or "id" not in data:
        raise RemoteServiceError(f"not an ATLAS task object: {str(data)[:200]!r}")
    if data.get("finishtimestamp"):
        status = "finished"
    elif data.get("starttimestamp"):
        status = "running"
    else:
        status = "queued"
    return AtlasTask(
        url=data["url"],
        id=int(data["id"]),
        status=status,
        error_msg=data.get("error_msg") or None,
        result_url=data.get("result_url") or None,
        comment=data.get("comment"),
    )


def base(url: str) -> str:
    """Normalize a base URL (no trailing slash)."""
    return url.rstrip("/")


def same_origin(url: str, base_url: str) -> bool:
    """True when ``url`` is on the Connection's host, so credentials may be sent to it."""
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def token_request(base_url: str, username: str, password: str) -> HttpRequest:
    """Build the request that exchanges login and password for an API token."""
    return HttpRequest(
        "POST",
        f"{base(base_url)}/api-token-auth/",
        data={"username": username, "password": password},
        headers={"Accept": "application/json"},
    )


def auth_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}", "Accept": "application/json"}


def _query_fields(window: QueryWindow, use_reduced: bool, comment: str | None) -> dict[str, str]:
    fields = {
        "mjd_min": repr(window.mjd_min),
        "mjd_max": repr(window.mjd_max),
        "use_reduced": "true" if use_reduced else "false",
        # The server defaults send_email to True: never let a pipeline mail the user per task.
        "send_email": "false",
    }
    if comment:
        fields["comment"] = comment
    return fields


def submit_request(
    base_url: str,
    token: str,
    target: Target,
    window: QueryWindow,
    *,
    use_reduced: bool = False,
    comment: str | None = None,
) -> HttpRequest:
    """Build ``POST /queue/`` for one position."""
    data = {"ra": repr(target.ra), "dec": repr(target.dec), **_query_fields(window, use_reduced, comment)}
    return HttpRequest("POST", f"{base(base_url)}/queue/", data=data, headers=auth_headers(token), idempotent=False)


def batch_submit_request(
    base_url: str,
    token: str,
    targets: Sequence[Target],
    window: QueryWindow,
    *,
    use_reduced: bool = False,
    comment: str | None = None,
) -> HttpRequest:
    """Build ``POST /queue/`` with ``radeclist`` for up to :data:`MAX_BATCH` positions."""
    if not 1 <= len(targets) <= MAX_BATCH:
        raise InvalidQueryError("targets", f"a batch holds 1 to {MAX_BATCH} positions, got {len(targets)}")
    radeclist = "\n".join(f"{t.ra!r} {t.dec!r}" for t in targets)
    data = {"radeclist": radeclist, **_query_fields(window, use_reduced, comment)}
    return HttpRequest("POST", f"{base(base_url)}/queue/", data=data, headers=auth_headers(token), idempotent=False)


def task_request(task_url: str, token: str, method: str = "GET") -> HttpRequest:
    """Build a GET (status) or DELETE (free the server) of one task."""
    return HttpRequest(method, task_url, headers=auth_headers(token))


def list_request(base_url: str, token: str, page_url: str | None = None, *, newest_first: bool = False) -> HttpRequest:
    """Build ``GET /queue/`` (the user's tasks, cursor-paginated, at most 100 a page).

    ``newest_first`` asks ``ordering=-id`` (the task view's ordering fields are ``timestamp`` and
    ``id``), so a batch just submitted is on the first page.
    """
    url = page_url or f"{base(base_url)}/queue/"
    params: dict[str, str] = {}
    if not page_url:
        params = {"pagesize": str(MAX_PAGE_SIZE), **({"ordering": "-id"} if newest_first else {})}
    return HttpRequest("GET", url, params=params, headers=auth_headers(token))


def read_task_page(response: HttpResponse) -> tuple[list[AtlasTask], str | None]:
    """Read one page of the task list: its tasks and the next page's URL (None on the last)."""
    check_response(response, "list")
    body = response.json()
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise RemoteServiceError(f"ATLAS task list is not a page of tasks: {str(body)[:200]!r}")
    return [read_task(item) for item in body["results"]], body.get("next") or None


def task_id_of(task_url: str) -> int:
    """The id at the end of a task URL (``.../queue/123/``)."""
    try:
        return int(task_url.rstrip("/").rsplit("/", 1)[1])
    except (IndexError, ValueError):
        raise RemoteServiceError(f"not an ATLAS task URL: {task_url!r}") from None


class TaskListScan:
    """Find many tasks by reading the task list page by page (one read for up to 100 tasks).

    Feed pages with :meth:`add` until it returns True. A task the scan has gone past without
    seeing is gone from the server (deleted or archived): :meth:`states` gives None for it.
    Works whether or not the server honours ``ordering=-id``.
    """

    def __init__(self, task_urls: Sequence[str]) -> None:
        self.ids = {task_id_of(url): url for url in task_urls}
        self.found: dict[int, AtlasTask] = {}
        self._past_all = False

    def add(self, page: list[AtlasTask], has_next: bool) -> bool:
        """Take one page; True when every task is found or the list cannot hold the rest."""
        self.found.update({task.id: task for task in page if task.id in self.ids})
        descending = len(page) > 1 and page[0].id > page[-1].id
        self._past_all = not has_next or (descending and page[-1].id < min(self.ids))
        return len(self.found) == len(self.ids) or self._past_all

    def states(self) -> dict[str, AtlasTask | None]:
        """Task URL -> its state, or None when the list no longer has it."""
        return {url: self.found.get(task_id) for task_id, url in self.ids.items()}


def result_request(result_url: str, token: str) -> HttpRequest:
    return HttpRequest("GET", result_url, headers={"Authorization": f"Token {token}"})


def throttle_wait(response: HttpResponse) -> float:
    """Seconds to wait after a 429: the header, else the message, else a default."""
    header = retry_after_seconds(response.headers)
    if header is not None:
        return header
    match = _WAIT_MESSAGE.search(response.text)
    if match:
        return float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    return DEFAULT_THROTTLE_WAIT


def _detail(response: HttpResponse) -> str:
    try:
        body = response.json()
    except RemoteServiceError:
        return response.text[:200]
    if isinstance(body, dict):
        if "detail" in body:
            return str(body["detail"])
        return "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in body.items())
    return str(body)[:200]


def check_response(response: HttpResponse, what: str) -> None:
    """Raise the exception that fits a non-2xx ATLAS answer (5xx/429 are retried earlier).

    ``what`` only names the request in the message; answers that mean something special for one
    kind of request are read by that request's reader (:func:`read_submit`, :func:`read_token`).
    """
    if response.ok:
        return
    detail = _detail(response)
    if response.status in (401, 403):
        raise LoginError(f"ATLAS refused the credentials ({what}): {detail}", status=response.status)
    raise RemoteServiceError(f"ATLAS {what} failed with HTTP {response.status}: {detail}", status=response.status)


def read_submit(response: HttpResponse) -> list[AtlasTask]:
    """Read a 201 answer (one task object, or a list of them for radeclist); the queue cap is a QueueFullError."""
    if response.status == 400 and _QUEUE_CAP.search(_detail(response)):
        raise QueueFullError(f"ATLAS will not queue more tasks now: {_detail(response)}", status=400)
    check_response(response, "submit")
    body = response.json()
    items = body if isinstance(body, list) else [body]
    return [read_task(item) for item in items]


def read_token(response: HttpResponse) -> str:
    """The token of a ``/api-token-auth/`` answer; a 400 there means refused credentials."""
    if response.status == 400:
        raise LoginError(f"ATLAS refused the login/password: {_detail(response)}", status=400)
    check_response(response, "token")
    token = response.json().get("token") if isinstance(response.json(), dict) else None
    if not token:
        raise LoginError("ATLAS token endpoint answered without a token")
    return str(token)
