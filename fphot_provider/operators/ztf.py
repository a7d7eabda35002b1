"""Fetch a ZTF forced-photometry light curve: submit (or reuse), wait deferred, store, continue."""

from __future__ import annotations

import functools
import time
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from fphot_provider.exceptions import JobFailedError, ServiceThrottledError
from fphot_provider.failures import fails_fast
from fphot_provider.hooks.ztf import ZtfHook, polite_poll_interval
from fphot_provider.operators.base import ForcedPhotometryOperator, download_checked
from fphot_provider.operators.job import RemoteJobOperator
from fphot_provider.parsers.ztf import parse_ztf
from fphot_provider.storage import store_raw
from fphot_provider.targets import JD_MINUS_MJD, QueryWindow
from fphot_provider.triggers.ztf import ZtfJobTrigger
from fphot_provider.wire import ztf as wire

if TYPE_CHECKING:
    from airflow.sdk import Context

    from fphot_provider.targets import Target

JOB_KEY = "ztf_job"
PROGRESS_KEY = "ztf_progress"  # raw files stored so far and the warnings met (a window in pieces)
QUEUE_FULL_WAIT = 600.0
# Ask again from just after the last epoch received (~1 s), so no epoch comes twice.
CONTINUE_AFTER_DAYS = 1e-5
Query = tuple["Target", QueryWindow]


@dataclass
class ZtfJob:
    """One ZTF request as we follow it (kept in the task-state store as a dict).

    The service gives no id on submission: ``req_id`` is learnt from the status table;
    ``exclude`` lists identical older requests (failed ones); ``submitted_at`` is set when we
    asked (not when an identical request was reused).
    """

    ra: float
    dec: float
    jd_start: float
    jd_end: float
    req_id: int | None = None
    exclude: list[int] = field(default_factory=list)
    submitted_at: float | None = None

    @classmethod
    def of(cls, target: Target, window: QueryWindow, **fields: Any) -> ZtfJob:
        """The job for a query, coordinates and JDs rounded as the service echoes them."""
        return cls(
            ra=wire.round6(target.ra),
            dec=wire.round6(target.dec),
            jd_start=wire.round6(window.jd_min),
            jd_end=wire.round6(window.jd_max),
            **fields,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ZtfJob:
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})

    def find(self, rows: list[wire.ZtfRequest]) -> wire.ZtfRequest | None:
        return wire.match_request(
            rows, self.ra, self.dec, self.jd_start, self.jd_end, req_id=self.req_id, exclude=self.exclude
        )


class ZtfPolitenessMixin:
    """What every ZTF job operator shares: its Connection, and polite waits for the slow status page.

    Poll intervals default to the configured floor (``[fphot] ztf_min_poll_seconds``, 120 s) and are
    raised to it at run time; nothing reads the page right after a submit. (No ``__init__`` here:
    Airflow wraps each operator's own ``__init__``; they call :func:`polite_defaults`.)
    """

    poll_interval: float
    max_poll_interval: float
    ztf_conn_id: str

    @cached_property
    def hook(self) -> ZtfHook:
        return ZtfHook(self.ztf_conn_id)

    def be_polite(self) -> None:
        """Raise the poll intervals to the service's floor (read at run time, from config)."""
        self.poll_interval = polite_poll_interval(self.poll_interval)
        self.max_poll_interval = max(self.max_poll_interval, self.poll_interval)

    def first_check_now(self, job: dict[str, Any]) -> bool:
        """Not right after a submit: the status page will not list the request yet."""
        submitted = job.get("submitted_at")
        return submitted is None or time.time() >= submitted + self.poll_interval


def polite_defaults(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Operator kwargs with ZTF's poll defaults: as often as polite (the configured floor), up to 30 min."""
    return {"poll_interval": 0.0, "max_poll_interval": 1800.0, **kwargs}


class ZtfForcedPhotometryOperator(ZtfPolitenessMixin, ForcedPhotometryOperator, RemoteJobOperator):
    """Get a target's ZTF forced-photometry light curve into raw files.

    Looks in the status table first: an identical request from the last 30 days that is
    pending or finished is reused instead of asking again. Otherwise submits (coordinates and
    JDs rounded to 6 decimals, as the service echoes them), remembers the request in the
    task-state store, and defers to :class:`ZtfJobTrigger`, whose first look at the (hourly
    refreshed) status page comes one poll interval later; intervals are never below
    ``[fphot] ztf_min_poll_seconds`` (120 s). Codes 56-62 are warnings: the light curve is
    downloaded and the warning recorded on the product. 63 is an empty valid answer; 52 (the
    epoch limit) is continued automatically from the last epoch received, the pieces joined later
    with no epoch twice; 64, 65 and 255 fail with their meaning.

    :param ztf_conn_id: the ``fphot_ztf`` Connection.
    """

    service = "ztf"
    data_product_type = "ztf_photometry"
    state_key = JOB_KEY
    queue_full_wait = QUEUE_FULL_WAIT
    what = "the ZTF request"

    def __init__(self, *, ztf_conn_id: str = ZtfHook.default_conn_name, **kwargs: Any) -> None:
        super().__init__(**polite_defaults(kwargs))
        self.ztf_conn_id = ztf_conn_id

    @fails_fast
    def execute(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        target, window = self.query()
        if window.jd_max < wire.SURVEY_START_JD:
            self.log.info("window ends before the ZTF survey started: nothing to ask")
            return self.product(target, window, [])
        return super().execute(context, event)

    # --- the job's steps ------------------------------------------------------------------------
    def prepare(self, context: Context) -> Query:
        """The query, with poll intervals raised to the service's floor (read at run time)."""
        self.be_polite()
        return self.query()

    def submit(self, context: Context, query: Query) -> dict[str, Any]:
        """Reuse an identical pending or finished request, else ask for one."""
        target, window = query
        job = ZtfJob.of(target, window)
        same = [r for r in self.hook.get_requests() if wire.same_query(r, job.ra, job.dec, job.jd_start, job.jd_end)]
        reusable = [r for r in same if not r.is_failed]
        if reusable:
            job.req_id = max(r.req_id for r in reusable)
            self.log.info("reusing identical ZTF request %s instead of asking again", job.req_id)
        else:
            job.exclude = [r.req_id for r in same]
            echo = self.hook.submit(target, window)
            job.submitted_at = time.time()
            self.log.info("ZTF request submitted for %s: %s", target.name, echo)
        return asdict(job)

    def check(self, context: Context, job: dict[str, Any]) -> wire.ZtfRequest | None:
        try:
            row = ZtfJob.from_dict(job).find(self.hook.get_requests())
        except ServiceThrottledError as err:  # "database is busy": look again at the next poll
            self.log.info("%s; looking again later", err)
            return None
        return row if row is not None and row.is_terminal else None

    def trigger(self, job: dict[str, Any]) -> ZtfJobTrigger:
        follow = ZtfJob.from_dict(job)
        return ZtfJobTrigger(
            ra=follow.ra,
            dec=follow.dec,
            jd_start=follow.jd_start,
            jd_end=follow.jd_end,
            req_id=follow.req_id,
            exclude=follow.exclude,
            ztf_conn_id=self.ztf_conn_id,
            poll_interval=self.poll_interval,
            max_poll_interval=self.max_poll_interval,
            deadline=self.deadline(),
            not_before=(follow.submitted_at + self.poll_interval) if follow.submitted_at else None,
        )

    def from_event(self, event: dict[str, Any]) -> wire.ZtfRequest:
        return wire.ZtfRequest(**event["request"])

    def job_from_event(self, event: dict[str, Any]) -> dict[str, Any]:
        return asdict(ZtfJob.from_dict(event))

    def finish(self, context: Context, job: dict[str, Any], row: wire.ZtfRequest, query: Query) -> dict[str, Any]:
        target, window = query
        if row.is_failed:
            raise JobFailedError(
                f"ZTF request {row.req_id} for {target.name} gave no photometry ({row.describe_exit()})"
            )
        progress = self.recall(context, PROGRESS_KEY) or {"pieces": [], "warnings": []}
        if row.warning:
            self.log.warning(
                "ZTF request %s for %s: %s (epochs stay marked by procstatus)", row.req_id, target.name, row.warning
            )
            _add(progress["warnings"], f"request {row.req_id}: {row.warning}")
        if row.has_lightcurve:
            text = self._download(row, target)
            path = store_raw(self.root, self.service, target.safe_name, PurePosixPath(row.lightcurve).name, text)
            _add(progress["pieces"], str(path))
            self.log.info(
                "stored ZTF request %s (%s, %d bytes) at %s", row.req_id, row.describe_exit(), len(text), path
            )
        else:
            self.log.info("ZTF request %s: %s", row.req_id, row.describe_exit())
        self.remember(context, PROGRESS_KEY, progress)  # before asking for more: nothing stored is forgotten
        if row.is_partial and row.has_lightcurve:
            return self._continue(context, ZtfJob.from_dict(job), text, query)
        return self.product(target, window, progress["pieces"], requests=[asdict(row)], warnings=progress["warnings"])

    def _download(self, row: wire.ZtfRequest, target: Target) -> str:
        check = functools.partial(parse_ztf, target=target.name)
        return download_checked(
            lambda: self.hook.download_lightcurve(row.lightcurve), check, f"ZTF light curve {row.lightcurve}"
        )

    def _continue(self, context: Context, done: ZtfJob, text: str, query: Query) -> dict[str, Any]:
        """Exit code 52: ask for the rest, from just after the last epoch received."""
        target, window = query
        last_mjd = float(parse_ztf(text, target=target.name)["mjd"].max())
        if last_mjd + JD_MINUS_MJD <= done.jd_start:
            raise JobFailedError(f"ZTF request {done} hit the epoch limit without advancing")
        rest = (target, QueryWindow.parse(last_mjd + CONTINUE_AFTER_DAYS, window.mjd_max))
        self.log.info("epoch limit reached at MJD %.5f; asking for the rest of the window", last_mjd)
        return self.wait(context, self.submit_politely(context, rest), query)


def _add(items: list[str], item: str) -> None:
    """Append once: a finish repeated after a crash must not list a piece twice."""
    if item not in items:
        items.append(item)
