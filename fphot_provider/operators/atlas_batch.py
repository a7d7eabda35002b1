"""Many targets, one ATLAS request: ``radeclist`` batches of up to 100 positions.

Polite to the server's submit throttle (about 60 writes a minute per user): a survey of 500
targets is 5 submits, not 500. The batch waits in the triggerer (or, with ``deferrable=False``,
in the worker) for all its tasks, reading the task list about once per poll; each finished task
is stored and deleted like the single-target operator's; a failed or vanished task fails only
its target, reported in the result, never the others.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import cached_property
from typing import TYPE_CHECKING, Any

from fphot_provider.exceptions import JobFailedError, RemoteServiceError
from fphot_provider.hooks.atlas import AtlasHook
from fphot_provider.operators.atlas import QUEUE_FULL_WAIT, store_result
from fphot_provider.operators.base import raw_product
from fphot_provider.operators.job import BatchJobOperator
from fphot_provider.storage import data_dir
from fphot_provider.targets import QueryWindow, Target
from fphot_provider.triggers.atlas import AtlasBatchJobTrigger, batch_entry
from fphot_provider.wire.atlas import MAX_BATCH, AtlasTask

if TYPE_CHECKING:
    from airflow.sdk import Context

URLS_KEY = "atlas_batch_task_urls"
Query = tuple[list[Target], QueryWindow]


class AtlasBatchForcedPhotometryOperator(BatchJobOperator):
    """Submit up to 100 targets in one ``radeclist`` request; return one raw product per target.

    :param targets: ``[{"name", "ra", "dec"}, ...]`` (templated; validated like every target).
    :param mjd_min: window start for the whole batch.
    :param mjd_max: window end.
    :param atlas_conn_id: the ``fphot_atlas`` Connection.
    :param data_dir: root for raw files.
    """

    state_key = URLS_KEY
    queue_full_wait = QUEUE_FULL_WAIT
    what = "the ATLAS batch"
    max_targets = MAX_BATCH

    def __init__(self, *, atlas_conn_id: str = AtlasHook.default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.atlas_conn_id = atlas_conn_id

    @cached_property
    def hook(self) -> AtlasHook:
        return AtlasHook(self.atlas_conn_id)

    # --- the job's steps ------------------------------------------------------------------------
    def prepare(self, context: Context) -> Query:
        return self.batch_query()

    def submit(self, context: Context, query: Query) -> list[str]:
        targets, window = query
        urls = [task.url for task in self.hook.submit_batch(targets, window, comment=self.job_key(context))]
        self.log.info("queued %d ATLAS tasks in one radeclist request", len(urls))
        return urls

    def check(self, context: Context, job: list[str]) -> list[dict[str, Any]] | None:
        """Every task's state from the task list (about one read for 100); None while any runs."""
        states = self.hook.get_tasks(job)
        if not all(task is None or task.is_terminal for task in states.values()):
            return None
        return [batch_entry(url, states[url]) for url in job]

    def trigger(self, job: list[str]) -> AtlasBatchJobTrigger:
        return AtlasBatchJobTrigger(
            task_urls=job,
            atlas_conn_id=self.atlas_conn_id,
            poll_interval=self.poll_interval,
            max_poll_interval=self.max_poll_interval,
            deadline=self.deadline(),
        )

    def from_event(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        return event["tasks"]

    def finish(self, context: Context, job: list[str] | None, state: list[dict[str, Any]], query: Query) -> dict:
        """Store every finished task; a failed or vanished one is reported, the rest go on."""
        targets, window = query
        products, failures = [], []
        for entry, target in zip(state, targets, strict=True):
            if entry.get("vanished"):
                failures.append({"target": target.name, "error": "the ATLAS task vanished from the server"})
                continue
            task = AtlasTask(**entry)
            try:
                paths = store_result(self.hook, task, target, data_dir(self.data_dir), self.log)
            except (JobFailedError, RemoteServiceError) as err:
                failures.append({"target": target.name, "error": str(err)})
                continue
            products.append(raw_product("atlas", "atlas_photometry", target, window, paths, task=asdict(task)))
        return {"products": products, "failures": failures}
