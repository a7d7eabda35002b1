"""Fetch an ATLAS forced-photometry light curve: submit, wait (deferred), store, delete."""

from __future__ import annotations

import functools
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import requests

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
from fphot_provider.operators.base import ForcedPhotometryOperator, download_checked
from fphot_provider.parsers.atlas import parse_atlas
from fphot_provider.storage import store_raw
from fphot_provider.triggers.atlas import AtlasJobTrigger
from fphot_provider.wire.atlas import AtlasTask

if TYPE_CHECKING:
    from pathlib import Path

    from airflow.sdk import Context

    from fphot_provider.targets import QueryWindow, Target

TASK_URL_KEY = "atlas_task_url"
QUEUE_FULL_WAIT = 300.0


class AtlasForcedPhotometryOperator(ForcedPhotometryOperator):
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
    service = "atlas"
    data_product_type = "atlas_photometry"

    def __init__(self, *, use_reduced: bool = False, atlas_conn_id: str = AtlasHook.default_conn_name, **kwargs: Any):
        super().__init__(**kwargs)
        self.use_reduced = use_reduced
        self.atlas_conn_id = atlas_conn_id

    @property
    def hook(self) -> AtlasHook:
        return AtlasHook(self.atlas_conn_id)

    # --- submit ------------------------------------------------------------------------------
    @fails_fast
    def execute(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Submit (or re-attach to) the task, then wait for it. Also the resume point after a throttle."""
        target, window = self.query()
        hook = self.hook
        task = self._reattach(hook, context) or self._submit(hook, context, target, window)
        context["ti"].xcom_push(key=TASK_URL_KEY, value=task.url)
        self._task_url = task.url
        if not task.is_terminal:
            task = self._check_once(hook, task)
        if task.is_terminal:
            return self._complete(hook, task, target, window)
        if self.deferrable:
            self.defer(trigger=self._trigger(task.url), method_name="execute_complete")
        finished = self.poll_blocking(lambda: _if_terminal(hook.get_task(task.url)), f"ATLAS task {task.url}")
        return self._complete(hook, finished, target, window)

    def _check_once(self, hook: AtlasHook, task: AtlasTask) -> AtlasTask:
        """The fast path (small queries finish quickly); an outage here just means: wait."""
        try:
            return hook.get_task(task.url)
        except ServiceUnavailableError as err:
            self.log.warning("status check failed (%s); waiting for the task instead", err)
            return task

    def _submit(self, hook: AtlasHook, context: Context, target: Target, window: QueryWindow) -> AtlasTask:
        key = self.job_key(context)
        try:
            task = hook.submit(target, window, use_reduced=bool(self.use_reduced), comment=key)
        except ServiceThrottledError as err:
            self.wait_or_defer(err.wait_seconds, str(err))
            return self._submit(hook, context, target, window)
        except QueueFullError as err:
            self.wait_or_defer(QUEUE_FULL_WAIT, str(err))
            return self._submit(hook, context, target, window)
        except (requests.ConnectionError, requests.Timeout):
            # The submit may have reached the server: find it by its key rather than queue twice.
            task = self._find_by_key(hook, key)
            if task is None:
                raise
        self.remember(context, TASK_URL_KEY, task.url)
        self.log.info("ATLAS task %s queued for %s", task.url, target.name)
        return task

    def _reattach(self, hook: AtlasHook, context: Context) -> AtlasTask | None:
        """On a retry, pick up the task an earlier try submitted, if the server still has it."""
        url = self.recall(context, TASK_URL_KEY)
        if url:
            try:
                task = hook.get_task(url)
            except RemoteServiceError as err:
                if err.status != 404:
                    raise
                return None
            self.log.info("re-attached to ATLAS task %s", url)
            return task
        if context["ti"].try_number > 1:
            return self._find_by_key(hook, self.job_key(context))
        return None

    def _find_by_key(self, hook: AtlasHook, key: str) -> AtlasTask | None:
        tasks = hook.find_tasks(key)
        return max(tasks, key=lambda t: t.id) if tasks else None

    # --- wait ---------------------------------------------------------------------------------
    def _trigger(self, task_url: str) -> AtlasJobTrigger:
        return AtlasJobTrigger(
            task_url=task_url,
            atlas_conn_id=self.atlas_conn_id,
            poll_interval=self.poll_interval,
            max_poll_interval=self.max_poll_interval,
            deadline=time.time() + self.job_timeout.total_seconds(),
        )

    @fails_fast
    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Resume after the trigger fired: check the event, then finish like the fast path."""
        status = event.get("status")
        if status == "timeout":
            raise JobTimeoutError(f"ATLAS task {event.get('task_url')}: {event.get('message')}")
        if status != "success":
            raise JobFailedError(f"waiting for ATLAS task {event.get('task_url')} failed: {event.get('message')}")
        target, window = self.query()
        return self._complete(self.hook, AtlasTask(**event["task"]), target, window)

    # --- finish -------------------------------------------------------------------------------
    def _complete(self, hook: AtlasHook, task: AtlasTask, target: Target, window: QueryWindow) -> dict[str, Any]:
        paths = store_result(hook, task, target, self.root, self.log)
        options = {"reduced": True} if self.use_reduced else {}
        return self.product(target, window, paths, task=asdict(task), parser_options=options)

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
