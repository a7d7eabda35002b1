"""Many targets, one ATLAS request: ``radeclist`` batches of up to 100 positions.

Polite to the server's submit throttle (about 60 writes a minute per user): a survey of 500
targets is 5 submits, not 500. The batch waits in the triggerer for all its tasks; each
finished task is stored and deleted like the single-target operator's; a failed task fails
only its target, reported in the result, never the others.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from fphot_provider.failures import fails_fast
from fphot_provider.exceptions import (
    JobFailedError,
    JobTimeoutError,
    QueueFullError,
    RemoteServiceError,
    ServiceThrottledError,
    ServiceUnavailableError,
)
from fphot_provider.hooks.atlas import AtlasHook
from fphot_provider.operators.atlas import QUEUE_FULL_WAIT, store_result
from fphot_provider.operators.base import RemoteJobMixin, raw_product
from fphot_provider.storage import data_dir
from fphot_provider.targets import QueryWindow, Target
from fphot_provider.triggers.atlas import AtlasBatchJobTrigger
from fphot_provider.wire.atlas import MAX_BATCH, AtlasTask

if TYPE_CHECKING:
    from airflow.sdk import Context

URLS_KEY = "atlas_batch_task_urls"


class AtlasBatchForcedPhotometryOperator(RemoteJobMixin, BaseOperator):
    """Submit up to 100 targets in one ``radeclist`` request; return one raw product per target.

    :param targets: ``[{"name", "ra", "dec"}, ...]`` (templated; validated like every target).
    :param mjd_min: window start for the whole batch.
    :param mjd_max: window end.
    """

    template_fields = ("targets", "mjd_min", "mjd_max")

    def __init__(
        self,
        *,
        targets: list[dict[str, Any]],
        mjd_min: float | str | None = None,
        mjd_max: float | str | None = None,
        atlas_conn_id: str = AtlasHook.default_conn_name,
        data_dir: str | None = None,
        deferrable: bool = True,
        poll_interval: float = 30.0,
        max_poll_interval: float = 600.0,
        job_timeout: timedelta = timedelta(hours=12),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.targets, self.mjd_min, self.mjd_max = targets, mjd_min, mjd_max
        self.atlas_conn_id, self.data_dir, self.deferrable = atlas_conn_id, data_dir, deferrable
        self.poll_interval, self.max_poll_interval, self.job_timeout = poll_interval, max_poll_interval, job_timeout

    def _query(self) -> tuple[list[Target], QueryWindow]:
        targets = [Target.parse(t.get("name"), t.get("ra"), t.get("dec")) for t in self.targets]
        if not 1 <= len(targets) <= MAX_BATCH:
            raise JobFailedError(f"a batch holds 1 to {MAX_BATCH} targets, got {len(targets)}")
        return targets, QueryWindow.parse(self.mjd_min, self.mjd_max)

    @fails_fast
    def execute(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        targets, window = self._query()
        hook = AtlasHook(self.atlas_conn_id)
        urls = self.recall(context, URLS_KEY) or self._submit(hook, context, targets, window)
        try:
            states = hook.get_tasks(urls)  # one read of the task list, not one per task
            tasks = [states[url] for url in urls]
        except ServiceUnavailableError as err:  # the check is only a shortcut: let the trigger wait out the outage
            self.log.warning("status check failed (%s); waiting in the triggerer", err)
            tasks = None
        if tasks is not None and all(task is None or task.is_terminal for task in tasks):
            return self._complete(hook, tasks, targets, window)
        if not self.deferrable:
            raise JobFailedError("the batch operator waits in the triggerer only (deferrable=True)")
        trigger = AtlasBatchJobTrigger(
            task_urls=urls, atlas_conn_id=self.atlas_conn_id, poll_interval=self.poll_interval,
            max_poll_interval=self.max_poll_interval, deadline=time.time() + self.job_timeout.total_seconds(),
        )
        self.defer(trigger=trigger, method_name="execute_complete")

    def _submit(self, hook: AtlasHook, context: Context, targets: list[Target], window: QueryWindow) -> list[str]:
        try:
            tasks = hook.submit_batch(targets, window, comment=self.job_key(context))
        except ServiceThrottledError as err:
            self.wait_or_defer(err.wait_seconds, str(err))
            return self._submit(hook, context, targets, window)
        except QueueFullError as err:
            self.wait_or_defer(QUEUE_FULL_WAIT, str(err))
            return self._submit(hook, context, targets, window)
        urls = [task.url for task in tasks]
        self.remember(context, URLS_KEY, urls)
        self.log.info("queued %d ATLAS tasks in one radeclist request", len(urls))
        return urls

    @fails_fast
    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        if event.get("status") == "timeout":
            raise JobTimeoutError(f"ATLAS batch: {event.get('message')}")
        if event.get("status") != "success":
            raise JobFailedError(f"waiting for the ATLAS batch failed: {event.get('message')}")
        targets, window = self._query()
        tasks = [None if task.get("vanished") else AtlasTask(**task) for task in event["tasks"]]
        return self._complete(AtlasHook(self.atlas_conn_id), tasks, targets, window)

    def _complete(
        self, hook: AtlasHook, tasks: list[AtlasTask | None], targets: list[Target], window: QueryWindow
    ) -> dict[str, Any]:
        """Store every finished task; a failed or vanished one (None) is reported, the rest go on."""
        products, failures = [], []
        for task, target in zip(tasks, targets):
            if task is None:
                failures.append({"target": target.name, "error": "the ATLAS task vanished from the server (404)"})
                continue
            try:
                paths = store_result(hook, task, target, data_dir(self.data_dir), self.log)
            except (JobFailedError, RemoteServiceError) as err:
                failures.append({"target": target.name, "error": str(err)})
                continue
            products.append(raw_product("atlas", "atlas_photometry", target, window, paths, task=asdict(task)))
        return {"products": products, "failures": failures}

