"""ZTF Forced Photometry Service (IRSA/IPAC): request builders and page readers (no I/O).

Wire facts (DESIGN.md section 3): every request carries the service's published HTTP basic
auth pair plus the user's ``email`` and ``userpass``; a submission returns an HTML page that
echoes the request but no request id, so a request is found later in the status table by
position (echoed to 6 decimals) and JD window; the status table is an HTML table refreshed
about hourly; "Zero records returned" means no jobs; "database is busy" means retry later.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

from fphot_provider.exceptions import (
    InvalidQueryError,
    LoginError,
    QueueFullError,
    RemoteServiceError,
    ServiceThrottledError,
)
from fphot_provider.targets import QueryWindow, Target
from fphot_provider.wire.http import HttpRequest, HttpResponse

DEFAULT_BASE_URL = "https://ztfweb.ipac.caltech.edu"
# Published in the service guide for every user; the user's own secret is ``userpass``.
SERVICE_AUTH = ("ztffps", "dontgocrazy!")
MAX_BATCH = 1500
SUBMIT_PATH = "/cgi-bin/requestForcedPhotometry.cgi"
BATCH_SUBMIT_PATH = "/cgi-bin/batchfp.py/submit"
# Each kind of request is listed on its own page only (IRSA's example client and SkyPortal read
# the single page for single requests; public batch clients read the batch page).
STATUS_PATH = "/cgi-bin/getForcedPhotometryRequests.cgi"
BATCH_STATUS_PATH = "/cgi-bin/getBatchForcedPhotometryRequests.cgi"
BUSY_WAIT = 60.0
# The tolerance IRSA's example client matches its status row with; the page echoes 6 decimals.
MATCH_TOLERANCE = 1e-5
SURVEY_START_JD = 2458194.5  # 2018-03-17T00:00:00 UT: a start JD before it is reset to it (code 62)

# Request exit codes (SkyPortal's ZTF_PHOTOMETRY_CODES, from IPAC's pipeline).
EXIT_OK = 0
EXIT_PARTIAL = 52  # the 10,000-epoch limit was reached: ask again from the last epoch on
EXIT_START_RESET = 62  # start JD before the survey start, reset: a warning only
EXIT_NO_EPOCHS = 63  # an empty, valid answer
WARNING_CODES = frozenset(range(56, 63))  # some epochs are suspect; the light curve exists
NO_PHOTOMETRY_CODES = frozenset({63, 64, 65, 255})  # SkyPortal downloads for every other code
EXIT_MEANINGS = {
    0: "successful execution",
    52: "the 10,000-epoch limit was reached (partial light curve; the rest is asked for again)",
    56: "one or more epochs may be impacted by bad (including NaN) pixels",
    57: "one or more epochs had no reference-catalog source within 5 arcsec",
    58: "one or more epochs had no reference PSF catalog in the archive",
    59: "one or more epochs may have suspect uncertainties (early difference image)",
    60: "one or more epochs had upsampled PSF dimensions that were not odd integers",
    61: "one or more epochs had cutouts off the image or too close to an edge",
    62: "start JD was before the survey start (2018-03-17) and was reset to it",
    63: "no epochs returned by the database query",
    64: "catastrophic error",
    65: "end JD is before the survey start (2018-03-17)",
    255: "database connection or query error",
}
_BUSY = re.compile(r"database is busy", re.IGNORECASE)
_NO_RECORDS = re.compile(r"zero records returned", re.IGNORECASE)
# A guess (docs/service-facts.md): no recorded refusal of the ~100-pending-requests cap exists.
_PENDING_CAP = re.compile(r"(maximum|too many)[^<]*(pending|requests)", re.IGNORECASE)


@dataclass(frozen=True)
class ZtfCredentials:
    """The user's ZFPS credentials (from the Connection) and the service's basic-auth pair."""

    email: str
    userpass: str
    http_user: str = SERVICE_AUTH[0]
    http_password: str = SERVICE_AUTH[1]

    @property
    def basic_auth(self) -> tuple[str, str]:
        return self.http_user, self.http_password

    def params(self) -> dict[str, str]:
        return {"email": self.email, "userpass": self.userpass}


@dataclass(frozen=True)
class ZtfRequest:
    """One row of the status table."""

    req_id: int
    ra: float
    dec: float
    jd_start: float
    jd_end: float
    created: str | None
    started: str | None
    ended: str | None
    exitcode: int | None
    lightcurve: str | None

    @property
    def is_terminal(self) -> bool:
        """Done once ``ended`` is set (IRSA's example) or an exit code is shown."""
        return self.ended is not None or self.exitcode is not None

    @property
    def is_partial(self) -> bool:
        return self.exitcode == EXIT_PARTIAL

    @property
    def is_empty(self) -> bool:
        return self.exitcode == EXIT_NO_EPOCHS

    @property
    def has_lightcurve(self) -> bool:
        """A light curve to download: every code but 63/64/65/255, as SkyPortal does."""
        return self.exitcode is not None and self.exitcode not in NO_PHOTOMETRY_CODES and bool(self.lightcurve)

    @property
    def is_failed(self) -> bool:
        return self.is_terminal and not (self.has_lightcurve or self.is_empty)

    @property
    def warning(self) -> str | None:
        """The warning a 56-62 exit code carries (epochs stay marked by their procstatus)."""
        return self.describe_exit() if self.exitcode in WARNING_CODES else None

    def describe_exit(self) -> str:
        if self.exitcode is None:
            return "ended without an exit code"
        return f"exit code {self.exitcode}: {EXIT_MEANINGS.get(self.exitcode, 'not a documented code')}"


def round6(value: float) -> float:
    """Round as the service echoes coordinates, so our request can be recognised."""
    return round(float(value), 6)


def submit_request(base_url: str, creds: ZtfCredentials, target: Target, window: QueryWindow) -> HttpRequest:
    """Build the single-position request (an HTTP GET that creates a job: never replayed)."""
    params = {
        "ra": f"{round6(target.ra):.6f}",
        "dec": f"{round6(target.dec):.6f}",
        "jdstart": f"{round6(window.jd_min):.6f}",
        "jdend": f"{round6(window.jd_max):.6f}",
        **creds.params(),
    }
    return HttpRequest(
        "GET", f"{base_url.rstrip('/')}{SUBMIT_PATH}", params=params, basic_auth=creds.basic_auth, idempotent=False
    )


def batch_submit_request(
    base_url: str, creds: ZtfCredentials, targets: Sequence[Target], window: QueryWindow
) -> HttpRequest:
    """Build the batch submission: ``ra`` and ``dec`` as stringified lists, up to 1500 positions."""
    if not 1 <= len(targets) <= MAX_BATCH:
        raise InvalidQueryError("targets", f"a ZTF batch holds 1 to {MAX_BATCH} positions, got {len(targets)}")
    data = {
        "ra": json.dumps([round6(t.ra) for t in targets]),
        "dec": json.dumps([round6(t.dec) for t in targets]),
        "jdstart": f"{round6(window.jd_min):.6f}",
        "jdend": f"{round6(window.jd_max):.6f}",
        **creds.params(),
    }
    return HttpRequest(
        "POST", f"{base_url.rstrip('/')}{BATCH_SUBMIT_PATH}", data=data, basic_auth=creds.basic_auth, idempotent=False
    )


def status_request(
    base_url: str, creds: ZtfCredentials, *, batch: bool = False, pending_only: bool = False
) -> HttpRequest:
    """Build the status-page read: single requests and batch requests are listed on different pages."""
    path = BATCH_STATUS_PATH if batch else STATUS_PATH
    params = {
        **creds.params(),
        "option": "Pending jobs" if pending_only else "All recent jobs",
        "action": "Query Database",
    }
    return HttpRequest("GET", f"{base_url.rstrip('/')}{path}", params=params, basic_auth=creds.basic_auth)


def lightcurve_request(base_url: str, creds: ZtfCredentials, path: str) -> HttpRequest:
    """Download a light curve: the status table gives a server path under the base URL."""
    if "://" in path or ".." in path:
        raise RemoteServiceError(f"unexpected light-curve path {path!r}")
    return HttpRequest("GET", f"{base_url.rstrip('/')}/{path.lstrip('/')}", basic_auth=creds.basic_auth)


# --- reading answers -----------------------------------------------------------------------------
class _TableReader(HTMLParser):
    """Collect the cells of every table row (th or td), as text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:  # noqa: ARG002 - HTMLParser API
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_rows(html: str) -> list[list[str]]:
    reader = _TableReader()
    reader.feed(html)
    return [row for row in reader.rows if row]


def check_page(response: HttpResponse, what: str) -> str:
    """Return the page text, or raise the exception that fits the answer.

    ``what`` only names the request in messages; answers special to one page are read by that
    page's reader (:func:`check_submission`, :func:`read_status`).
    """
    text = response.text
    if response.status in (401, 403):
        raise LoginError(
            f"ZTF service refused the credentials ({what}): HTTP {response.status}", status=response.status
        )
    if _BUSY.search(text):
        raise ServiceThrottledError(f"ZTF {what}: database is busy", wait_seconds=BUSY_WAIT, status=response.status)
    if not response.ok:
        raise RemoteServiceError(
            f"ZTF {what} failed with HTTP {response.status}: {_snippet(text)}", status=response.status
        )
    return text


def check_submission(response: HttpResponse) -> str:
    """A submission's page; the pending-request cap is a QueueFullError (wait, then ask again)."""
    if _PENDING_CAP.search(response.text):
        raise QueueFullError(f"ZTF will not take more requests now: {_snippet(response.text)}", status=response.status)
    return check_page(response, "submit")


def _snippet(text: str) -> str:
    return re.sub(r"<[^>]+>|\s+", " ", text).strip()[:200]


def read_submission(response: HttpResponse) -> dict[str, float]:
    """Read the echo page of a single submission: the ra/dec/jdstart/jdend the service took."""
    rows = html_rows(check_submission(response))
    if len(rows) < 2 or "ra" not in rows[0]:
        raise RemoteServiceError(f"ZTF submission answer has no echo table: {_snippet(response.text)}")
    echo = dict(zip(rows[0], rows[1], strict=False))  # a short echo row is refused below
    try:
        return {key: float(echo[key]) for key in ("ra", "dec", "jdstart", "jdend")}
    except (KeyError, ValueError):
        raise RemoteServiceError(f"ZTF submission echo is incomplete: {echo}") from None


def read_status(response: HttpResponse) -> list[ZtfRequest]:
    """Read the status table into typed rows (empty when the service has none, even with a 400)."""
    if _NO_RECORDS.search(response.text) and response.status < 500:
        return []
    text = check_page(response, "status")
    rows = html_rows(text)
    if not rows or "reqId" not in rows[0]:
        raise RemoteServiceError(f"ZTF status page has no request table: {_snippet(text)}")
    header = rows[0]
    return [_request_row(dict(zip(header, cells, strict=True))) for cells in rows[1:] if len(cells) == len(header)]


def _opt(value: str | None) -> str | None:
    return value if value and value.strip() and value.strip().lower() not in ("null", "none", "-") else None


def _request_row(cells: dict[str, str]) -> ZtfRequest:
    try:
        exitcode = _opt(cells.get("exitcode"))
        return ZtfRequest(
            req_id=int(cells["reqId"]),
            ra=float(cells["ra"]),
            dec=float(cells["dec"]),
            jd_start=float(cells["startJD"]),
            jd_end=float(cells["endJD"]),
            created=_opt(cells.get("created")),
            started=_opt(cells.get("started")),
            ended=_opt(cells.get("ended")),
            exitcode=int(exitcode) if exitcode is not None else None,
            lightcurve=_opt(cells.get("lightcurve")),
        )
    except (KeyError, ValueError) as err:
        raise RemoteServiceError(f"ZTF status row cannot be read ({err}): {cells}") from None


def match_request(
    rows: Sequence[ZtfRequest],
    ra: float,
    dec: float,
    jd_start: float,
    jd_end: float,
    *,
    req_id: int | None = None,
    exclude: Sequence[int] = (),
) -> ZtfRequest | None:
    """Find our request: by id when known, else by position and JD window (newest wins).

    ``exclude`` lists ids of identical requests that existed before ours (e.g. failed ones).
    """
    if req_id is not None:
        return next((row for row in rows if row.req_id == req_id), None)
    found = [row for row in rows if row.req_id not in exclude and same_query(row, ra, dec, jd_start, jd_end)]
    return max(found, key=lambda row: row.req_id) if found else None


def same_query(row: ZtfRequest, ra: float, dec: float, jd_start: float, jd_end: float) -> bool:
    """True when the row asked for this position and JD window (within IRSA's 1e-5).

    A start before the survey start may be listed as reset (exit code 62): any listed start
    from ours up to the survey start matches then.
    """
    return (
        abs(row.ra - ra) <= MATCH_TOLERANCE
        and abs(row.dec - dec) <= MATCH_TOLERANCE
        and abs(row.jd_end - jd_end) <= MATCH_TOLERANCE
        and _same_start(row.jd_start, jd_start)
    )


def _same_start(listed: float, asked: float) -> bool:
    if abs(listed - asked) <= MATCH_TOLERANCE:
        return True
    return asked < SURVEY_START_JD and asked - MATCH_TOLERANCE <= listed <= SURVEY_START_JD + MATCH_TOLERANCE


def match_batch(
    rows: Sequence[ZtfRequest],
    positions: Sequence[Sequence[float]],
    jd_start: float,
    jd_end: float,
    *,
    after_id: int = 0,
) -> list[ZtfRequest | None]:
    """For each position of a batch (as submitted, 6 decimals), the newest row of this window.

    Only rows newer than ``after_id`` (the newest request id listed before the submission) can be
    ours: request ids grow with time (a guess, see docs/service-facts.md). The batch page lists
    one row per position; rows are indexed by position, so 1,500 positions against thousands of
    rows cost a few dictionary look-ups each.
    """
    index: dict[tuple[int, int], list[ZtfRequest]] = {}
    for row in rows:
        if row.req_id > after_id:
            index.setdefault(_cell(row.ra, row.dec), []).append(row)
    found = []
    for ra, dec in positions:
        key = _cell(ra, dec)
        near = [r for dr in (-1, 0, 1) for dd in (-1, 0, 1) for r in index.get((key[0] + dr, key[1] + dd), ())]
        same = [r for r in near if same_query(r, ra, dec, jd_start, jd_end)]
        found.append(max(same, key=lambda r: r.req_id) if same else None)
    return found


def _cell(ra: float, dec: float) -> tuple[int, int]:
    """Index cell of 1e-4 degrees: the 1e-5 matching tolerance never crosses more than one cell."""
    return round(ra * 1e4), round(dec * 1e4)
