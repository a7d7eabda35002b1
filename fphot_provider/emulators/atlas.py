"""An ATLAS forced photometry server on loopback (aiohttp), reproducing the real protocol.

Token auth, ``POST /queue/`` (single and ``radeclist``), task JSON shaped like the real
server's, queued -> running -> finished on configurable delays, ``429`` with the real message
and ``Retry-After`` past a submit rate, ``400`` past the queued-task cap, ``error_msg`` tasks,
results as static files, ``DELETE`` -> 204, 404 for unknown tasks, the paginated task list.
Recorded real result files can be registered for a position.
"""

from __future__ import annotations

import base64
import math
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from fphot_provider.emulators import atlas_data
from fphot_provider.emulators.common import base_app, json_error
from fphot_provider.emulators.sky import SkyAnchors, separation_arcsec

NO_DATA = "No data returned"
STATE_KEY = web.AppKey("atlas_state", "AtlasState")
BASE_PATH_KEY = web.AppKey("atlas_base_path", str)


@dataclass
class AtlasConfig:
    """Knobs of the emulated server.

    :param queue_seconds: how long a task waits before it starts.
    :param run_seconds: how long it runs.
    :param submits_per_minute: submit requests allowed per rolling window (0: unlimited).
    :param throttle_window_seconds: the rolling window (60 on the real server; tests shrink it).
    :param max_queued: unfinished tasks a user may have.
    """

    username: str = "demo"
    password: str = "demo-password"
    token: str = "demo-token"
    queue_seconds: float = 1.0
    run_seconds: float = 1.0
    submits_per_minute: int = 60
    throttle_window_seconds: float = 60.0
    max_queued: int = 500
    page_size: int = 100  # the most the real server sends per page


@dataclass
class AtlasState:
    config: AtlasConfig
    tasks: dict[int, dict[str, Any]] = field(default_factory=dict)
    results: dict[int, str] = field(default_factory=dict)
    submits: deque = field(default_factory=deque)
    next_id: int = 1
    recorded: list[tuple[float, float, str]] = field(default_factory=list)
    errors: list[tuple[float, float, str]] = field(default_factory=list)
    # Positions whose tasks someone deletes elsewhere (the web page) right after submission.
    deleted_elsewhere: list[tuple[float, float, bool]] = field(default_factory=list)
    sky: SkyAnchors = field(default_factory=SkyAnchors)
    clock: Any = time.time

    def lookup(self, table: list[tuple[float, float, str]], ra: float, dec: float) -> str | None:
        """The entry registered within 1 arcsec of (ra, dec), if any."""
        for r, d, value in table:
            if separation_arcsec(r, d, ra, dec) < 1:
                return value
        return None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat().replace("+00:00", "Z")


def _mjd_now(epoch: float) -> float:
    return epoch / 86400.0 + 40587.0


# --- auth and throttling -----------------------------------------------------------------------
def _authorized(request: web.Request, state: AtlasState) -> bool:
    header = request.headers.get("Authorization", "")
    if header.startswith("Token "):
        return header[6:] == state.config.token
    if header.startswith("Basic "):
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return (user, password) == (state.config.username, state.config.password)
    return False


def _unauthorized(request: web.Request) -> web.Response:
    if "Authorization" not in request.headers:
        return json_error(401, {"detail": "Authentication credentials were not provided."})
    return json_error(401, {"detail": "Invalid token."})


def _throttled(state: AtlasState) -> web.Response | None:
    """The real server's 429 once the submit rate is exceeded."""
    limit, window = state.config.submits_per_minute, state.config.throttle_window_seconds
    now = state.clock()
    while state.submits and now - state.submits[0] >= window:
        state.submits.popleft()
    if limit and len(state.submits) >= limit:
        wait = max(1, math.ceil(window - (now - state.submits[0])))
        unit = "second" if wait == 1 else "seconds"
        message = f"Request was throttled. Expected available in {wait} {unit}."
        return json_error(429, {"detail": message}, headers={"Retry-After": str(wait)})
    state.submits.append(now)
    return None


# --- task lifecycle ---------------------------------------------------------------------------
def _task_json(request: web.Request, state: AtlasState, task: dict[str, Any]) -> dict[str, Any]:
    """The task as the server shows it now (timestamps follow the configured delays)."""
    now = state.clock()
    started = task["submitted"] + state.config.queue_seconds
    finished = started + state.config.run_seconds
    base = _base(request)
    out = {k: v for k, v in task.items() if not k.startswith("_") and k != "submitted"}
    out["url"] = f"{base}/queue/{task['id']}/"
    out["starttimestamp"] = _iso(started) if now >= started else None
    out["finishtimestamp"] = _iso(finished) if now >= finished else None
    out["finished"] = now >= finished
    if now >= finished:
        _finish(state, task, out, base)
    else:
        out["queuepos"] = 0 if now >= started else _queue_position(state, task)
    return out


def _finish(state: AtlasState, task: dict[str, Any], out: dict[str, Any], base: str) -> None:
    error = state.lookup(state.errors, task["ra"], task["dec"])
    if error is None and task["id"] not in state.results:
        state.results[task["id"]] = _result_text(state, task)
        if len(state.results[task["id"]].splitlines()) <= 1:
            error = NO_DATA
    out["queuepos"] = None
    out["error_msg"] = error
    if error is None:
        out["result_url"] = f"{base}/static/results/job{task['id']:06d}.txt"
    else:
        state.results.pop(task["id"], None)


def _result_text(state: AtlasState, task: dict[str, Any]) -> str:
    recorded = state.lookup(state.recorded, task["ra"], task["dec"])
    if recorded is not None:
        return _filter_rows(recorded, task["mjd_min"], task["mjd_max"])
    ra, dec = state.sky.anchor(task["ra"], task["dec"])
    return atlas_data.generate(ra, dec, task["mjd_min"], task["mjd_max"], use_reduced=task["use_reduced"])


def _filter_rows(text: str, mjd_min: float, mjd_max: float) -> str:
    """Keep the header and the rows of a recorded file inside the requested MJD range."""
    lines = text.splitlines(keepends=True)
    kept = [lines[0]]
    for line in lines[1:]:
        fields = line.split()
        if fields and mjd_min <= float(fields[0].split(",")[0]) <= mjd_max:
            kept.append(line)
    return "".join(kept)


def _queue_position(state: AtlasState, task: dict[str, Any]) -> int:
    return sum(1 for t in state.tasks.values() if t["id"] < task["id"] and not _done(state, t))


def _done(state: AtlasState, task: dict[str, Any]) -> bool:
    return state.clock() >= task["submitted"] + state.config.queue_seconds + state.config.run_seconds


def _base(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}{request.app[BASE_PATH_KEY]}"


# --- handlers -------------------------------------------------------------------------------
async def token_auth(request: web.Request) -> web.Response:
    state: AtlasState = request.app[STATE_KEY]
    form = await request.post()
    if (form.get("username"), form.get("password")) != (state.config.username, state.config.password):
        return json_error(400, {"non_field_errors": ["Unable to log in with provided credentials."]})
    return web.json_response({"token": state.config.token})


def _parse_positions(form: Any) -> list[tuple[float, float]] | web.Response:
    try:
        if form.get("radeclist"):
            pairs = [line.split() for line in str(form["radeclist"]).splitlines() if line.strip()]
            return [(float(r), float(d)) for r, d in pairs]
        return [(float(form["ra"]), float(form["dec"]))]
    except (KeyError, ValueError):
        return json_error(400, {"ra": ["A valid number is required."], "dec": ["A valid number is required."]})


def _bool(value: Any, default: bool) -> bool:
    if value is None:
        return default
    return str(value).lower() in ("1", "true", "yes", "on")


MAX_COMMENT = 300


def _refused(form: Any) -> web.Response | None:
    """The field refusals of the real server's serializer that a client can trigger."""
    mjd_min, mjd_max = form.get("mjd_min"), form.get("mjd_max")
    if mjd_min and mjd_max and float(mjd_max) <= float(mjd_min):
        return json_error(400, {"mjd_max": ["mjd_max must be greater than mjd_min"]})
    if len(form.get("comment") or "") > MAX_COMMENT:
        return json_error(400, {"comment": [f"Ensure this field has no more than {MAX_COMMENT} characters."]})
    return None


async def queue_post(request: web.Request) -> web.Response:
    state: AtlasState = request.app[STATE_KEY]
    if not _authorized(request, state):
        return _unauthorized(request)
    if (throttled := _throttled(state)) is not None:
        return throttled
    form = await request.post()
    positions = _parse_positions(form)
    if isinstance(positions, web.Response):
        return positions
    if (refused := _refused(form)) is not None:
        return refused
    queued = sum(1 for t in state.tasks.values() if not _done(state, t))
    if queued + len(positions) > state.config.max_queued:
        cap = state.config.max_queued
        message = f"ERROR: You have too many queued tasks ({queued} queued + {len(positions)} requested > {cap})."
        return json_error(400, {"non_field_errors": message})  # a plain string, as the real server sends
    tasks = [_new_task(request, state, form, ra, dec, queued + i) for i, (ra, dec) in enumerate(positions)]
    body = tasks if form.get("radeclist") else tasks[0]
    return web.json_response(body, status=201)


def _new_task(request: web.Request, state: AtlasState, form: Any, ra: float, dec: float, queued: int) -> dict:
    now = state.clock()
    task = {
        "id": state.next_id,
        "user_id": 1,
        "username": state.config.username,
        "timestamp": _iso(now),
        "mpc_name": None,
        "ra": ra,
        "dec": dec,
        "mjd_min": float(form.get("mjd_min") or _mjd_now(now) - 30.0),
        "mjd_max": float(form.get("mjd_max") or _mjd_now(now)),
        "radec_epoch_year": None,
        "propermotion_ra": None,
        "propermotion_dec": None,
        "use_reduced": _bool(form.get("use_reduced"), False),
        "result_url": None,
        "comment": form.get("comment") or None,
        "send_email": _bool(form.get("send_email"), True),
        "callback_url": None,
        "error_msg": None,
        "previewimage_url": None,
        "parent_task_id": None,
        "parent_task_url": None,
        "request_type": "FP",
        "pdfplot_url": None,
        "userqueuedtasks_on_submit": queued,
        "attempt_count": 0,
        "submitted": now,
    }
    state.next_id += 1
    state.tasks[task["id"]] = task
    answer = _task_json(request, state, task)
    if state.lookup(state.deleted_elsewhere, ra, dec):
        del state.tasks[task["id"]]
    return answer


def _task_or_404(request: web.Request) -> dict[str, Any] | web.Response:
    state: AtlasState = request.app[STATE_KEY]
    if not _authorized(request, state):
        return _unauthorized(request)
    task = state.tasks.get(int(request.match_info["task_id"]))
    return task if task is not None else json_error(404, {"detail": "Not found."})


async def task_get(request: web.Request) -> web.Response:
    task = _task_or_404(request)
    if isinstance(task, web.Response):
        return task
    return web.json_response(_task_json(request, request.app[STATE_KEY], task))


async def task_delete(request: web.Request) -> web.Response:
    task = _task_or_404(request)
    if isinstance(task, web.Response):
        return task
    state: AtlasState = request.app[STATE_KEY]
    del state.tasks[task["id"]]
    state.results.pop(task["id"], None)
    return web.Response(status=204)


async def queue_list(request: web.Request) -> web.Response:
    """The user's tasks, cursor-paginated like the real server (pagesize capped at 100).

    ``ordering=-id`` lists newest first, ``id`` oldest first (the view's ordering fields are
    ``timestamp`` and ``id``); without it, oldest first (a guess: docs/service-facts.md).
    """
    state: AtlasState = request.app[STATE_KEY]
    if not _authorized(request, state):
        return _unauthorized(request)
    size = min(int(request.query.get("pagesize", state.config.page_size)), state.config.page_size)
    ordering = request.query.get("ordering", "id")
    if ordering not in ("id", "-id", "timestamp", "-timestamp"):
        return json_error(400, {"detail": f"Invalid ordering {ordering!r}."})
    newest_first = ordering.startswith("-")
    ids = sorted(state.tasks, reverse=newest_first)
    if "cursor" in request.query:
        after = int(request.query["cursor"])
        ids = [i for i in ids if (i < after if newest_first else i > after)]
    page = ids[:size]
    more = len(ids) > size
    next_url = f"{_base(request)}/queue/?cursor={page[-1]}&pagesize={size}&ordering={ordering}" if more else None
    results = [_task_json(request, state, state.tasks[i]) for i in page]
    return web.json_response(
        {
            "next": next_url,
            "previous": None,
            "pagefirsttaskposition": 0,
            "taskcount": len(state.tasks),
            "results": results,
        }
    )


async def result_get(request: web.Request) -> web.Response:
    state: AtlasState = request.app[STATE_KEY]
    text = state.results.get(int(request.match_info["task_id"]))
    if text is None:
        return web.Response(status=404, text="Not Found")
    return web.Response(text=text, content_type="text/plain")


# --- control (tests, compose) -------------------------------------------------------------------
async def control_register(request: web.Request) -> web.Response:
    """Register a recorded result file, an error message, or deletion by someone else, for a position."""
    data = await request.json()
    state: AtlasState = request.app[STATE_KEY]
    if "error_msg" in data:
        state.errors.append((float(data["ra"]), float(data["dec"]), data["error_msg"]))
    elif data.get("deleted_elsewhere"):
        state.deleted_elsewhere.append((float(data["ra"]), float(data["dec"]), True))
    else:
        state.recorded.append((float(data["ra"]), float(data["dec"]), data["text"]))
    return web.json_response({"ok": True})


def create_app(config: AtlasConfig | None = None, *, base_path: str = "") -> web.Application:
    """Build the emulator app; ``base_path`` mimics the real ``/forcedphot`` prefix."""
    app = base_app()
    app[STATE_KEY] = AtlasState(config or AtlasConfig())
    prefix = app[BASE_PATH_KEY] = base_path.rstrip("/")
    app.router.add_post(f"{prefix}/api-token-auth/", token_auth, name="token")
    app.router.add_post(f"{prefix}/queue/", queue_post, name="submit")
    app.router.add_get(f"{prefix}/queue/", queue_list, name="list")
    app.router.add_get(f"{prefix}/queue/{{task_id:\\d+}}/", task_get, name="status")
    app.router.add_delete(f"{prefix}/queue/{{task_id:\\d+}}/", task_delete, name="delete")
    app.router.add_get(f"{prefix}/static/results/job{{task_id:\\d+}}.txt", result_get, name="result")
    app.router.add_post("/_emulator/atlas/register", control_register)
    return app


def state_of(app: web.Application) -> AtlasState:
    """The emulator's state, for in-process tests."""
    return app[STATE_KEY]
