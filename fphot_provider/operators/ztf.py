"""Fetch a ZTF forced-photometry light curve: submit (or reuse), wait deferred, store, continue."""

from __future__ import annotations

import functools
import time
from dataclasses import asdict
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from fphot_provider.failures import fails_fast
from fphot_provider.exceptions import (
    JobFailedError,
    JobTimeoutError,
    QueueFullError,
    ServiceThrottledError,
    ServiceUnavailableError,
)
from fphot_provider.hooks.ztf import ZtfHook, polite_poll_interval
from fphot_provider.operators.base import ForcedPhotometryOperator, download_checked
from fphot_provider.parsers.ztf import parse_ztf
from fphot_provider.storage import store_raw
from fphot_provider.targets import JD_MINUS_MJD, QueryWindow
from fphot_provider.triggers.ztf import ZtfJobTrigger
from fphot_provider.wire import ztf as wire

if TYPE_CHECKING:
    from airflow.sdk import Context

    from fphot_provider.targets import Target

JOB_KEY = "ztf_job"
QUEUE_FULL_WAIT = 600.0
# Ask again from just after the last epoch received (~1 s), so no epoch comes twice.
CONTINUE_AFTER_DAYS = 1e-5


class ZtfForcedPhotometryOperator(ForcedPhotometryOperator):
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

    def __init__(self, *, ztf_conn_id: str = ZtfHook.default_conn_name, **kwargs: Any) -> None:
        kwargs.setdefault("poll_interval", 0.0)  # as often as polite: the configured floor (120 s)
        kwargs.setdefault("max_poll_interval", 1800.0)
        super().__init__(**kwargs)
        self.ztf_conn_id = ztf_conn_id

    @property
    def hook(self) -> ZtfHook:
        return ZtfHook(self.ztf_conn_id)

    @fails_fast
    def execute(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        target, window = self.query()
        if window.jd_max < wire.SURVEY_START_JD:
            self.log.info("window ends before the ZTF survey started: nothing to ask")
            return self.product(target, window, [])
        self._be_polite()
        hook = self.hook
        job = self.recall(context, JOB_KEY)
        if job is None:
            job = self._start(hook, context, target, window, pieces=[])
        return self._follow(context, hook, job, target, window)

    def _be_polite(self) -> None:
        """Raise the poll intervals to the service's floor (read at run time, from config)."""
        self.poll_interval = polite_poll_interval(self.poll_interval)
        self.max_poll_interval = max(self.max_poll_interval, self.poll_interval)

    # --- submit or reuse ---------------------------------------------------------------------
    def _start(self, hook: ZtfHook, context: Context, target: Target, window: QueryWindow, pieces: list[str]) -> dict:
        job = {
            "ra": wire.round6(target.ra), "dec": wire.round6(target.dec),
            "jd_start": wire.round6(window.jd_min), "jd_end": wire.round6(window.jd_max),
            "req_id": None, "exclude": [], "pieces": pieces, "warnings": [], "submitted_at": None,
        }
        query = (job["ra"], job["dec"], job["jd_start"], job["jd_end"])
        same = [r for r in self._requests(hook) if wire.same_query(r, *query)]
        reusable = [r for r in same if not r.is_failed]
        if reusable:
            job["req_id"] = max(r.req_id for r in reusable)
            self.log.info("reusing identical ZTF request %s instead of asking again", job["req_id"])
        else:
            job["exclude"] = [r.req_id for r in same]
            self._submit(hook, target, window)
            job["submitted_at"] = time.time()
        self.remember(context, JOB_KEY, job)
        return job

    def _requests(self, hook: ZtfHook) -> list[wire.ZtfRequest]:
        try:
            return hook.get_requests()
        except ServiceThrottledError as err:
            self.wait_or_defer(err.wait_seconds, str(err))
            return self._requests(hook)

    def _submit(self, hook: ZtfHook, target: Target, window: QueryWindow) -> None:
        try:
            echo = hook.submit(target, window)
        except ServiceThrottledError as err:
            self.wait_or_defer(err.wait_seconds, str(err))
            return self._submit(hook, target, window)
        except QueueFullError as err:
            self.wait_or_defer(QUEUE_FULL_WAIT, str(err))
            return self._submit(hook, target, window)
        self.log.info("ZTF request submitted for %s: %s", target.name, echo)
        return None

    # --- wait ---------------------------------------------------------------------------------
    def _follow(self, context: Context, hook: ZtfHook, job: dict, target: Target, window: QueryWindow) -> dict:
        """Check once (not right after a submit: the page is slow); finish if done, else wait."""
        row = None if self._just_submitted(job) else self._check_once(hook, job)
        if row is not None and row.is_terminal:
            return self._complete(context, hook, job, row, target, window)
        if self.deferrable:
            self.defer(trigger=self._trigger(job), method_name="execute_complete")
        row = self.poll_blocking(lambda: _terminal(self._find(self._requests(hook), job)), f"ZTF request {job}")
        return self._complete(context, hook, job, row, target, window)

    def _just_submitted(self, job: dict) -> bool:
        return job.get("submitted_at") is not None and time.time() < job["submitted_at"] + self.poll_interval

    def _check_once(self, hook: ZtfHook, job: dict) -> wire.ZtfRequest | None:
        try:
            return self._find(self._requests(hook), job)
        except ServiceUnavailableError as err:  # only a shortcut: the trigger waits out outages
            self.log.warning("status check failed (%s); waiting for the request instead", err)
            return None

    @staticmethod
    def _find(rows: list[wire.ZtfRequest], job: dict) -> wire.ZtfRequest | None:
        return wire.match_request(
            rows, job["ra"], job["dec"], job["jd_start"], job["jd_end"], req_id=job["req_id"], exclude=job["exclude"]
        )

    def _trigger(self, job: dict) -> ZtfJobTrigger:
        return ZtfJobTrigger(
            ra=job["ra"], dec=job["dec"], jd_start=job["jd_start"], jd_end=job["jd_end"], req_id=job["req_id"],
            exclude=job["exclude"], ztf_conn_id=self.ztf_conn_id, poll_interval=self.poll_interval,
            max_poll_interval=self.max_poll_interval, deadline=time.time() + self.job_timeout.total_seconds(),
            not_before=(job["submitted_at"] + self.poll_interval) if job.get("submitted_at") else None,
        )

    @fails_fast
    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Resume after the trigger fired.

        The job (with the pieces already stored) comes from the task-state store, not from
        ``defer(kwargs=...)``: ``airflow dags test`` replaces those kwargs with the event.
        """
        job = self.recall(context, JOB_KEY) or {**_job_fields(event), "pieces": []}
        if event.get("status") == "timeout":
            raise JobTimeoutError(f"ZTF request {job}: {event.get('message')}")
        if event.get("status") != "success":
            raise JobFailedError(f"waiting for the ZTF request failed: {event.get('message')}")
        target, window = self.query()
        self._be_polite()
        row = wire.ZtfRequest(**event["request"])
        return self._complete(context, self.hook, job, row, target, window)

    # --- finish -------------------------------------------------------------------------------
    def _complete(
        self, context: Context, hook: ZtfHook, job: dict, row: wire.ZtfRequest, target: Target, window: QueryWindow
    ) -> dict[str, Any]:
        if row.is_failed:
            raise JobFailedError(f"ZTF request {row.req_id} for {target.name} gave no photometry ({row.describe_exit()})")
        pieces, warnings = list(job["pieces"]), list(job.get("warnings") or [])
        if row.warning:
            self.log.warning("ZTF request %s for %s: %s (epochs stay marked by procstatus)", row.req_id, target.name, row.warning)
            warnings.append(f"request {row.req_id}: {row.warning}")
        if row.has_lightcurve:
            check = functools.partial(parse_ztf, target=target.name)
            text = download_checked(lambda: hook.download_lightcurve(row.lightcurve), check, f"ZTF light curve {row.lightcurve}")
            name = PurePosixPath(row.lightcurve).name
            pieces.append(str(store_raw(self.root, self.service, target.safe_name, name, text)))
            self.log.info("stored ZTF request %s (%s, %d bytes) at %s", row.req_id, row.describe_exit(), len(text), pieces[-1])
            if row.is_partial:
                return self._continue(context, hook, {**job, "warnings": warnings}, text, pieces, target, window)
        else:
            self.log.info("ZTF request %s: %s", row.req_id, row.describe_exit())
        return self.product(target, window, pieces, requests=[asdict(row)], warnings=warnings)

    def _continue(
        self, context: Context, hook: ZtfHook, job: dict, text: str, pieces: list[str], target: Target, window: QueryWindow
    ) -> dict[str, Any]:
        """Exit code 52: ask for the rest, from just after the last epoch received."""
        last_mjd = float(parse_ztf(text, target=target.name)["mjd"].max())
        if last_mjd + JD_MINUS_MJD <= job["jd_start"]:
            raise JobFailedError(f"ZTF request {job} hit the epoch limit without advancing")
        rest = QueryWindow.parse(last_mjd + CONTINUE_AFTER_DAYS, window.mjd_max)
        self.log.info("epoch limit reached at MJD %.5f; asking for the rest of the window", last_mjd)
        job = {**self._start(hook, context, target, rest, pieces=pieces), "warnings": job["warnings"]}
        self.remember(context, JOB_KEY, job)
        return self._follow(context, hook, job, target, window)


def _job_fields(event: dict[str, Any]) -> dict[str, Any]:
    """The request description a ZtfJobTrigger puts in its event."""
    return {key: event.get(key) for key in ("ra", "dec", "jd_start", "jd_end", "req_id", "exclude")} | {"warnings": []}


def _terminal(row: wire.ZtfRequest | None) -> wire.ZtfRequest | None:
    return row if row is not None and row.is_terminal else None
