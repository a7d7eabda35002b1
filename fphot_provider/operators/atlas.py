"""Fetch an ATLAS forced-photometry light curve: submit, wait (deferred), store, delete."""

from __future__ import annotations

import functools
from dataclasses import asdict
from functools import cached_property
from typing import TYPE_CHECKING, Any

import requests
from airflow.sdk import BaseOperatorLink
from airflow.sdk.execution_time.xcom import XCom

from fphot_provider.exceptions import JobFailedError, RemoteServiceError
from fphot_provider.hooks.atlas import AtlasHook
from fphot_provider.operators.base import ForcedPhotometryOperator, download_checked
from fphot_provider.operators.job import RemoteJobOperator
from fphot_provider.parsers.atlas import parse_atlas
from fphot_provider.storage import store_raw
from fphot_provider.triggers.atlas import AtlasJobTrigger
from fphot_provider.wire.atlas import AtlasTask

if TYPE_CHECKING:
    from pathlib import Path

    from airflow.sdk import BaseOperator, Context
    from airflow.sdk.types import TaskInstanceKey

    from fphot_provider.targets import QueryWindow, Target

TASK_URL_KEY = "atlas_task_url"
QUEUE_FULL_WAIT = 300.0


class AtlasTaskLink(BaseOperatorLink):
    """ "ATLAS task": the remote task this try submitted (its page on the server, while it exists)."""

    name = "ATLAS task"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        return XCom.get_value(ti_key=ti_key, key=TASK_URL_KEY) or ""


class AtlasForcedPhotometryOperator(ForcedPhotometryOperator, RemoteJobOperator):
    """Get a target's ATLAS light curve into a raw file, then free the server.

    Submits one task (``send_email`` off), pushes its URL to XCom and to the task-state store
    at once, checks once, then defers to :class:`AtlasJobTrigger` (or polls, with
    ``deferrable=False``). A throttled or full queue defers until the window passes. On
    completion it downloads the result, stores the raw file, and only then deletes the remote
    task. A retry of the Airflow task re-attaches to the submitted task instead of queueing a
    second one. ``error_msg`` "No data returned" is an empty, valid result; any other fails.

    :param use_reduced: photometry on reduced instead of difference images.
    :param atlas_conn_id: the ``fphot_atlas`` Connection.
    """

    template_fields = (*ForcedPhotometryOperator.template_fields, "use_reduced")
    operator_extra_links = (AtlasTaskLink(),)
    service = "atlas"
    data_product_type = "atlas_photometry"
    state_key = TASK_URL_KEY
    queue_full_wait = QUEUE_FULL_WAIT
    what = "the ATLAS task"

    def __init__(self, *, use_reduced: bool = False, atlas_conn_id: str = AtlasHook.default_conn_name, **kwargs: Any):
        super().__init__(**kwargs)
        self.use_reduced = use_reduced
        self.atlas_conn_id = atlas_conn_id

    @cached_property
    def hook(self) -> AtlasHook:
        """One hook per task try: the token is exchanged once."""
        return AtlasHook(self.atlas_conn_id)

    # --- the job's steps ------------------------------------------------------------------------
    def prepare(self, context: Context) -> tuple[Target, QueryWindow]:
        return self.query()

    def start(self, context: Context, query: tuple[Target, QueryWindow]) -> str:
        """Re-attach to the task an earlier try submitted, or submit one; its URL goes to XCom."""
        url = self._reattach(context) or self.submit_politely(context, query)
        context["ti"].xcom_push(key=TASK_URL_KEY, value=url)
        self._task_url = url
        return url

    def submit(self, context: Context, query: tuple[Target, QueryWindow]) -> str:
        target, window = query
        key = self.job_key(context)
        try:
            task = self.hook.submit(target, window, use_reduced=bool(self.use_reduced), comment=key)
        except (requests.ConnectionError, requests.Timeout):
            # The submit may have reached the server: find it by its key rather than queue twice.
            task = self._find_by_key(key)
            if task is None:
                raise
        self.log.info("ATLAS task %s queued for %s", task.url, target.name)
        return task.url

    def check(self, context: Context, job: str) -> AtlasTask | None:
        return _if_terminal(self.hook.get_task(job))

    def trigger(self, job: str) -> AtlasJobTrigger:
        return AtlasJobTrigger(
            task_url=job,
            atlas_conn_id=self.atlas_conn_id,
            poll_interval=self.poll_interval,
            max_poll_interval=self.max_poll_interval,
            deadline=self.deadline(),
        )

    def from_event(self, event: dict[str, Any]) -> AtlasTask:
        return AtlasTask(**event["task"])

    def finish(self, context: Context, job: str | None, state: AtlasTask, query: tuple[Target, QueryWindow]) -> dict:
        target, window = query
        paths = store_result(self.hook, state, target, self.root, self.log)
        options = {"reduced": True} if self.use_reduced else {}
        return self.product(target, window, paths, task=asdict(state), parser_options=options)

    # --- re-attaching -----------------------------------------------------------------------------
    def _reattach(self, context: Context) -> str | None:
        """On a retry, pick up the task an earlier try submitted, if the server still has it."""
        url = self.recall(context, TASK_URL_KEY)
        if url:
            try:
                self.hook.get_task(url)
            except RemoteServiceError as err:
                if err.status != 404:
                    raise
                return None
            self.log.info("re-attached to ATLAS task %s", url)
            return url
        if context["ti"].try_number > 1:
            task = self._find_by_key(self.job_key(context))
            return task.url if task else None
        return None

    def _find_by_key(self, key: str) -> AtlasTask | None:
        tasks = self.hook.find_tasks(key)
        return max(tasks, key=lambda t: t.id) if tasks else None

    def on_kill(self) -> None:
        """Delete the remote task, best effort, so the server does not work for nobody."""
        url = getattr(self, "_task_url", None)
        if url:
            try:
                self.hook.delete_task(url)
            except Exception:  # noqa: BLE001 - best effort while being killed
                self.log.warning("could not delete ATLAS task %s", url)


def _if_terminal(task: AtlasTask) -> AtlasTask | None:
    return task if task.is_terminal else None


def store_result(hook: AtlasHook, task: AtlasTask, target: Target, root: Path, log: Any) -> list[Path]:
    """Store a finished task's result, then (only then) delete the remote task.

    Returns the stored raw file (none for "No data returned"); raises JobFailedError for any
    other ``error_msg`` (after deleting the task: there is nothing to keep).
    """
    if task.is_failed:
        hook.delete_task(task.url)
        raise JobFailedError(f"ATLAS task {task.url} failed: {task.error_msg or 'no result file'}")
    paths = []
    if not task.is_empty:
        check = functools.partial(parse_atlas, target=target.name)
        text = download_checked(lambda: hook.download_result(task.result_url), check, f"ATLAS result {task.result_url}")
        paths.append(store_raw(root, "atlas", target.safe_name, f"job{task.id}.txt", text))
        log.info("stored ATLAS result (%d bytes) at %s", len(text), paths[0])
    else:
        log.info("ATLAS task %s: no data in this position/time range", task.url)
    hook.delete_task(task.url)
    return paths
