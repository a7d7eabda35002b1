"""Many targets, one ZTF request: the batch service takes up to 1,500 positions at once.

The service caps a user at about 100 pending single requests; a survey goes through
``batchfp.py/submit`` instead, whose status page lists one row per position. Each position's
light curve is found by position and window, downloaded, stored and handed on like the single
operator's; a position whose exit code gives no photometry fails alone, reported in the result.
"""

from __future__ import annotations

import functools
import time
from dataclasses import asdict
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from fphot_provider.exceptions import RemoteServiceError, ServiceThrottledError
from fphot_provider.hooks.ztf import ZtfHook
from fphot_provider.operators.base import download_checked, raw_product
from fphot_provider.operators.job import BatchJobOperator
from fphot_provider.operators.ztf import ZtfPolitenessMixin, polite_defaults
from fphot_provider.parsers.ztf import parse_ztf
from fphot_provider.storage import data_dir, store_raw
from fphot_provider.targets import QueryWindow, Target
from fphot_provider.triggers.ztf import ZtfBatchJobTrigger
from fphot_provider.wire import ztf as wire

if TYPE_CHECKING:
    from airflow.sdk import Context

JOB_KEY = "ztf_batch_job"
Query = tuple[list[Target], QueryWindow]


class ZtfBatchForcedPhotometryOperator(ZtfPolitenessMixin, BatchJobOperator):
    """Submit up to 1,500 targets in one ZTF batch request; return one raw product per target.

    Waits like the single operator (no status read right after the submit, never more often
    than ``[fphot] ztf_min_poll_seconds``); a retry re-attaches to the submitted batch (task-state
    store) instead of submitting again.

    :param targets: ``[{"name", "ra", "dec"}, ...]`` (templated; validated like every target).
    :param mjd_min: window start for the whole batch.
    :param mjd_max: window end.
    :param ztf_conn_id: the ``fphot_ztf`` Connection.
    :param data_dir: root for raw files.
    """

    state_key = JOB_KEY
    queue_full_wait = 600.0
    what = "the ZTF batch request"
    max_targets = wire.MAX_BATCH

    def __init__(self, *, ztf_conn_id: str = ZtfHook.default_conn_name, **kwargs: Any) -> None:
        super().__init__(**polite_defaults(kwargs))
        self.ztf_conn_id = ztf_conn_id

    # --- the job's steps ------------------------------------------------------------------------
    def prepare(self, context: Context) -> Query:
        self.be_polite()
        return self.batch_query()

    def submit(self, context: Context, query: Query) -> dict[str, Any]:
        targets, window = query
        job = {
            "positions": [[wire.round6(t.ra), wire.round6(t.dec)] for t in targets],
            "jd_start": wire.round6(window.jd_min),
            "jd_end": wire.round6(window.jd_max),
        }
        job["after_id"] = max((r.req_id for r in self.hook.get_requests(batch=True)), default=0)
        self.hook.submit_batch(targets, window)
        job["submitted_at"] = time.time()
        self.log.info("ZTF batch of %d positions submitted", len(targets))
        return job

    @staticmethod
    def _match(rows: list[wire.ZtfRequest], job: dict[str, Any]) -> list[wire.ZtfRequest | None]:
        return wire.match_batch(rows, job["positions"], job["jd_start"], job["jd_end"], after_id=job.get("after_id", 0))

    def check(self, context: Context, job: dict[str, Any]) -> list[dict[str, Any]] | None:
        try:
            found = self._match(self.hook.get_requests(batch=True), job)
        except ServiceThrottledError as err:
            self.log.info("%s; looking again later", err)
            return None
        if not all(row is not None and row.is_terminal for row in found):
            return None
        return [asdict(row) for row in found]

    def trigger(self, job: dict[str, Any]) -> ZtfBatchJobTrigger:
        submitted = job.get("submitted_at")
        return ZtfBatchJobTrigger(
            positions=job["positions"],
            jd_start=job["jd_start"],
            jd_end=job["jd_end"],
            after_id=job.get("after_id", 0),
            ztf_conn_id=self.ztf_conn_id,
            poll_interval=self.poll_interval,
            max_poll_interval=self.max_poll_interval,
            deadline=self.deadline(),
            not_before=(submitted + self.poll_interval) if submitted else None,
        )

    def from_event(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        return event["requests"]

    def finish(self, context: Context, job: dict[str, Any], state: list[dict[str, Any]], query: Query) -> dict:
        """One product per position that gave photometry (or none); the others are reported."""
        targets, window = query
        products, failures = [], []
        for target, fields in zip(targets, state, strict=True):
            row = wire.ZtfRequest(**fields)
            try:
                products.append(self._product(target, window, row))
            except RemoteServiceError as err:
                failures.append({"target": target.name, "error": str(err)})
        return {"products": products, "failures": failures}

    def _product(self, target: Target, window: QueryWindow, row: wire.ZtfRequest) -> dict[str, Any]:
        if row.is_failed:
            raise RemoteServiceError(f"ZTF batch position {row.req_id} gave no photometry ({row.describe_exit()})")
        warnings = [f"request {row.req_id}: {row.warning}"] if row.warning else []
        if row.is_partial:  # the 10,000-epoch limit: what came is kept, the gap is said
            warnings.append(f"request {row.req_id}: {row.describe_exit()}; the rest of the window was not fetched")
        paths = []
        if row.has_lightcurve:
            check = functools.partial(parse_ztf, target=target.name)
            text = download_checked(lambda: self.hook.download_lightcurve(row.lightcurve), check, row.lightcurve)
            name = PurePosixPath(row.lightcurve).name
            paths.append(store_raw(data_dir(self.data_dir), "ztf", target.safe_name, name, text))
        return raw_product("ztf", "ztf_photometry", target, window, paths, requests=[asdict(row)], warnings=warnings)
