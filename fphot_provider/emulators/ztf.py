"""A ZTF Forced Photometry Service on loopback (aiohttp), reproducing the real protocol.

The published basic auth on every path, the user's ``email``/``userpass``, single
(``requestForcedPhotometry.cgi``) and batch (``batchfp.py/submit``) submissions answered with
HTML pages and no request id, two HTML status tables -- single requests listed ONLY on
``getForcedPhotometryRequests.cgi``, batch ones ONLY on ``getBatchForcedPhotometryRequests.cgi``
(with an optional listing delay, as the real page refreshes about hourly) --, "Zero records
returned", "database is busy", a pending-request cap, exit codes 0, 52, 56-61 (warnings taken
from the epochs' procstatus), 62 (start reset, the row then lists the reset start), 63, 65 and
forced failures, and light-curve files in the real format. Sources: docs/service-facts.md.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from fphot_provider.emulators import ztf_data
from fphot_provider.emulators.common import base_app
from fphot_provider.emulators.sky import SkyAnchors, separation_arcsec

STATE_KEY = web.AppKey("ztf_state", "ZtfState")
LC_DIR = "/ztf/ops/forcedphot/lc"
STATUS_COLUMNS = (
    "reqId",
    "ra",
    "dec",
    "startJD",
    "endJD",
    "created",
    "started",
    "ended",
    "machine",
    "exitcode",
    "lightcurve",
)
BUSY_MESSAGE = "Error: database is busy; try again a minute later."
FAILURES = frozenset({64, 65, 255})  # no light curve is written


@dataclass
class ZtfConfig:
    """Knobs of the emulated service.

    :param listing_delay_seconds: a new request shows in the status table only after this.
    :param epoch_limit: epochs one request may return before exit code 52 (10,000 for real).
    :param max_pending: unfinished requests a user may have.
    """

    email: str = "demo@example.org"
    userpass: str = "demo-userpass"
    http_user: str = "ztffps"
    http_password: str = "dontgocrazy!"
    queue_seconds: float = 1.0
    run_seconds: float = 1.0
    listing_delay_seconds: float = 0.0
    epoch_limit: int = 10000
    max_pending: int = 100
    first_req_id: int = 15274


@dataclass
class ZtfState:
    config: ZtfConfig
    requests: dict[int, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    outcomes: list[tuple[float, float, int]] = field(default_factory=list)
    recorded: list[tuple[float, float, str]] = field(default_factory=list)
    busy_answers: int = 0
    status_reads: list[float] = field(default_factory=list)  # when each status page was read (tests)
    sky: SkyAnchors = field(default_factory=SkyAnchors)
    clock: Any = time.time

    def lookup(self, table: list, ra: float, dec: float) -> Any:
        for r, d, value in table:
            if separation_arcsec(r, d, ra, dec) < 1:
                return value
        return None


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _page(body: str) -> str:
    return (
        '<!DOCTYPE html\n\tPUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
        '\t "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" lang="en-US" xml:lang="en-US">\n<head>\n'
        "<title>Forced-Photometry Service</title>\n"
        '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1" />\n</head>\n'
        f'<body bgcolor="#cc99ff">\n{body}\n</body>\n</html>'
    )


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=_page(body), status=status, content_type="text/html")


def _table(header: tuple[str, ...] | list[str], rows: list[list[str]]) -> str:
    head = " ".join(f"<th>{h} </th>" for h in header)
    body = "".join("<tr>" + " ".join(f"<td>{c} </td>" for c in row) + "</tr>" for row in rows)
    return f"<center><table border><caption><b></b></caption> <tr>{head}</tr> {body}</table><br /><br />"


# --- auth ---------------------------------------------------------------------------------------
def _basic_ok(request: web.Request, config: ZtfConfig) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    user, _, password = base64.b64decode(header[6:]).decode(errors="replace").partition(":")
    return (user, password) == (config.http_user, config.http_password)


def _denied(request: web.Request, params: Any | None) -> web.Response | None:
    config = request.app[STATE_KEY].config
    if not _basic_ok(request, config):
        return web.Response(status=401, text="Unauthorized", headers={"WWW-Authenticate": 'Basic realm="ZTF"'})
    if params is not None and (params.get("email"), params.get("userpass")) != (config.email, config.userpass):
        # Text and status are a guess (docs/service-facts.md): no recorded refusal exists.
        return _html("<p>ERROR: the email/userpass combination is not valid.</p>", status=403)
    return None


# --- lifecycle -----------------------------------------------------------------------------------
def _new_request(state: ZtfState, ra: float, dec: float, jd_start: float, jd_end: float, batch: bool) -> dict:
    req_id = state.config.first_req_id + len(state.requests)
    record = {
        "reqId": req_id,
        "ra": ra,
        "dec": dec,
        "startJD": jd_start,
        "endJD": jd_end,
        "created": state.clock(),
        "batch": batch,
    }
    state.requests[req_id] = record
    return record


def _finish(state: ZtfState, record: dict) -> tuple[int, str | None]:
    """Decide the exit code and write the light-curve file (once)."""
    if "exitcode" in record:
        return record["exitcode"], record.get("lightcurve")
    ra, dec, start, end = record["ra"], record["dec"], record["startJD"], record["endJD"]
    code, text = _outcome(state, ra, dec, start, end, record["batch"])
    path = None
    if text is not None:
        name = (
            f"batchfp_req{record['reqId']:010d}_lc.txt"
            if record["batch"]
            else f"forcedphotometry_req{record['reqId']:08d}_lc.txt"
        )
        path = f"{LC_DIR}/{record['reqId'] % 100:02d}/{name}"
        state.files[path] = text
    record["exitcode"], record["lightcurve"] = code, path
    return code, path


def _outcome(state: ZtfState, ra: float, dec: float, start: float, end: float, batch: bool) -> tuple[int, str | None]:
    forced = state.lookup(state.outcomes, ra, dec)
    if forced is not None and forced in FAILURES:
        return forced, None
    if end < ztf_data.SURVEY_START_JD:
        return 65, None
    recorded = state.lookup(state.recorded, ra, dec)
    if recorded is not None:
        return forced or 0, recorded
    cols = ztf_data.epochs(*state.sky.anchor(ra, dec), start, end)
    if cols["jd"].size == 0:
        return 63, None
    code = _exit_code(cols["procstatus"], start)
    if cols["jd"].size > state.config.epoch_limit:
        cols, code = ztf_data.take(cols, state.config.epoch_limit), 52
    return (code if forced is None else forced), ztf_data.render(cols, ra, dec, start, end, batch=batch)


def _exit_code(procstatus: Any, start: float) -> int:
    """62 for a reset start; else a warning code when some epochs carry one; else 0.

    Which code the service reports when several epoch codes occur is not documented: the
    lowest one is a guess (docs/service-facts.md).
    """
    if start < ztf_data.SURVEY_START_JD:
        return 62
    codes = {int(code) for cell in procstatus for code in str(cell).split(",") if code.strip() not in ("", "0")}
    return min(codes) if codes else 0


def _row(state: ZtfState, record: dict) -> list[str] | None:
    now = state.clock()
    created = record["created"]
    if now < created + state.config.listing_delay_seconds:
        return None
    started, ended = (
        created + state.config.queue_seconds,
        created + state.config.queue_seconds + state.config.run_seconds,
    )
    code, path = _finish(state, record) if now >= ended else (None, None)
    listed_start = ztf_data.SURVEY_START_JD if code == 62 else record["startJD"]  # the reset start
    return [
        str(record["reqId"]),
        f"{record['ra']:.6f}",
        f"{record['dec']:.6f}",
        f"{listed_start:.6f}",
        f"{record['endJD']:.6f}",
        _stamp(created),
        _stamp(started) if now >= started else "",
        _stamp(ended) if now >= ended else "",
        "emulator" if now >= started else "",
        "" if code is None else str(code),
        path or "",
    ]


def _pending(state: ZtfState) -> int:
    """Unfinished single requests. Batch positions do not count: the batch service exists to take
    up to 1,500 positions at once (Masci et al. 2023); its own limits are not published (a guess)."""
    now, config = state.clock(), state.config
    return sum(
        1
        for r in state.requests.values()
        if not r["batch"] and now < r["created"] + config.queue_seconds + config.run_seconds
    )


# --- handlers ------------------------------------------------------------------------------------
def _floats(values: Any, *names: str) -> list[float] | None:
    try:
        return [float(values[name]) for name in names]
    except (KeyError, ValueError):
        return None


async def submit_single(request: web.Request) -> web.Response:
    state: ZtfState = request.app[STATE_KEY]
    params = request.query
    if (denied := _denied(request, params)) is not None:
        return denied
    values = _floats(params, "ra", "dec", "jdstart", "jdend")
    if values is None:
        return _html("<p>ERROR: ra, dec, jdstart and jdend are required numbers.</p>", status=400)
    if _pending(state) >= state.config.max_pending:
        return _pending_cap(state)
    ra, dec, start, end = values
    _new_request(state, ra, dec, start, end, batch=False)
    echo = [f"{ra:15.6f}", f"{dec:15.6f}", f"{start:15.6f}", f"{end:15.6f}", f"{params['email']}"]
    return _html(_table(["             ra", "            dec", "        jdstart", "          jdend", "email"], [echo]))


def _pending_cap(state: ZtfState) -> web.Response:
    """The ~100-pending-requests cap (IRSA's example); its wording is a guess (docs/service-facts.md)."""
    return _html(f"<p>Error: you have reached the maximum number of pending requests ({state.config.max_pending}).</p>")


async def submit_batch(request: web.Request) -> web.Response:
    state: ZtfState = request.app[STATE_KEY]
    form = await request.post()
    if (denied := _denied(request, form)) is not None:
        return denied
    try:
        ras, decs = json.loads(form["ra"]), json.loads(form["dec"])
        start, end = float(form["jdstart"]), float(form["jdend"])
    except (KeyError, ValueError):
        return _html("<p>ERROR: ra and dec must be lists; jdstart and jdend numbers.</p>", status=400)
    if len(ras) != len(decs) or not 1 <= len(ras) <= 1500:
        return _html("<p>ERROR: ra and dec lists must have the same length, 1 to 1500.</p>", status=400)
    for ra, dec in zip(ras, decs, strict=True):
        _new_request(state, float(ra), float(dec), start, end, batch=True)
    return _html(f"<p>Your batch request of {len(ras)} positions has been submitted.</p>")


async def status_single(request: web.Request) -> web.Response:
    """Single-position requests only: batch requests are never listed here."""
    return await _status(request, batch=False)


async def status_batch(request: web.Request) -> web.Response:
    """Batch requests only, one row per position."""
    return await _status(request, batch=True)


async def _status(request: web.Request, *, batch: bool) -> web.Response:
    state: ZtfState = request.app[STATE_KEY]
    params = request.query
    if (denied := _denied(request, params)) is not None:
        return denied
    state.status_reads.append(time.monotonic())
    if state.busy_answers > 0:
        state.busy_answers -= 1
        return _html(f"<p>{BUSY_MESSAGE}</p>")
    records = [record for record in state.requests.values() if record["batch"] == batch]
    rows = [row for record in records if (row := _row(state, record)) is not None]
    if params.get("option") == "Pending jobs":
        rows = [row for row in rows if not row[9]]
    if not rows:
        return _html("<p>Zero records returned</p>", status=400)
    return _html(_table(STATUS_COLUMNS, rows))


async def lightcurve(request: web.Request) -> web.Response:
    state: ZtfState = request.app[STATE_KEY]
    if (denied := _denied(request, None)) is not None:
        return denied
    text = state.files.get(request.path)
    if text is None:
        return web.Response(status=404, text="Not Found")
    return web.Response(text=text, content_type="text/plain")


async def control(request: web.Request) -> web.Response:
    """Register an exit code or a recorded file for a position, or busy answers."""
    state: ZtfState = request.app[STATE_KEY]
    data = await request.json()
    if "busy" in data:
        state.busy_answers += int(data["busy"])
    elif "exitcode" in data:
        state.outcomes.append((float(data["ra"]), float(data["dec"]), int(data["exitcode"])))
    else:
        state.recorded.append((float(data["ra"]), float(data["dec"]), data["text"]))
    return web.json_response({"ok": True})


def create_app(config: ZtfConfig | None = None) -> web.Application:
    app = base_app()
    app[STATE_KEY] = ZtfState(config or ZtfConfig())
    app.router.add_get("/cgi-bin/requestForcedPhotometry.cgi", submit_single, name="submit")
    app.router.add_post("/cgi-bin/batchfp.py/submit", submit_batch, name="batch_submit")
    app.router.add_get("/cgi-bin/getForcedPhotometryRequests.cgi", status_single, name="status")
    app.router.add_get("/cgi-bin/getBatchForcedPhotometryRequests.cgi", status_batch, name="batch_status")
    app.router.add_get(LC_DIR + "/{tail:.+}", lightcurve, name="lightcurve")
    app.router.add_post("/_emulator/ztf/control", control)
    return app


def state_of(app: web.Application) -> ZtfState:
    return app[STATE_KEY]
