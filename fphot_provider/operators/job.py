"""One skeleton for every operator that waits on a remote job: submit -> defer -> one event -> finish.

The flow is written once here; a service operator names its job's steps (:meth:`start`,
:meth:`check`, :meth:`trigger`, :meth:`from_event`, :meth:`finish`). The same flow serves
``deferrable=True`` (the wait happens in the triggerer, no worker slot held) and
``deferrable=False`` (the same checks, blocking, with the trigger's backoff).
"""

from __future__ import annotations

import hashlib
import time
from abc import abstractmethod
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.configuration import conf
from airflow.providers.standard.triggers.temporal import TimeDeltaTrigger
from airflow.sdk import BaseOperator

from fphot_provider.exceptions import (
    InvalidQueryError,
    JobFailedError,
    JobTimeoutError,
    QueueFullError,
    ServiceThrottledError,
    ServiceUnavailableError,
)
from fphot_provider.failures import fails_fast
from fphot_provider.targets import QueryWindow, Target

if TYPE_CHECKING:
    from airflow.sdk import Context

    from fphot_provider.triggers.base import PollingJobTrigger

# The ATLAS server refuses a comment over 300 characters; the job key travels as the comment.
MAX_JOB_KEY = 300
BACKOFF_FACTOR = 1.5  # the same growth as the triggers' (PollingJobTrigger)


def bounded_key(key: str, limit: int = MAX_JOB_KEY) -> str:
    """``key`` itself when short enough, else its head and a hash of the whole (still unique, stable)."""
    if len(key) <= limit:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: limit - len(digest) - 3]} #{digest}"


def check_event(event: dict[str, Any], what: str) -> dict[str, Any]:
    """The one check of a trigger's event: its payload on success, else the error that fits."""
    status = event.get("status")
    if status == "timeout":
        raise JobTimeoutError(f"{what}: {event.get('message')}")
    if status != "success":
        raise JobFailedError(f"waiting for {what} failed: {event.get('message')}")
    return event


def default_deferrable() -> bool:
    """``[operators] default_deferrable``, as Airflow's own operators read it (fallback: True)."""
    return conf.getboolean("operators", "default_deferrable", fallback=True)


class RemoteJobOperator(BaseOperator):
    """Submit a remote job (or pick up the one an earlier try submitted), wait for it, finish.

    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``, else
        True) instead of blocking a worker slot.
    :param poll_interval: first wait between status checks (seconds); it backs off from there.
    :param max_poll_interval: longest wait between status checks.
    :param job_timeout: give the remote job up after this long.
    """

    state_key: str = "remote_job"  # where the job reference lives in the task-state store
    queue_full_wait: float = 300.0  # how long to wait when the service's queue is full
    what: str = "the remote job"

    def __init__(
        self,
        *,
        deferrable: bool | None = None,
        poll_interval: float = 30.0,
        max_poll_interval: float = 600.0,
        job_timeout: timedelta = timedelta(hours=12),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.deferrable = default_deferrable() if deferrable is None else deferrable
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.job_timeout = job_timeout

    # --- what a service names ---------------------------------------------------------------
    def prepare(self, context: Context) -> Any:
        """Validate the inputs (before anything is sent); the query every later step receives."""
        return None

    @abstractmethod
    def submit(self, context: Context, query: Any) -> Any:
        """Send the job; return its reference (JSON primitives, kept in the task-state store)."""

    @abstractmethod
    def check(self, context: Context, job: Any) -> Any:
        """Read the job's state once; return it when terminal, else None."""

    @abstractmethod
    def trigger(self, job: Any) -> PollingJobTrigger:
        """The trigger that waits for the job in the triggerer."""

    @abstractmethod
    def from_event(self, event: dict[str, Any]) -> Any:
        """The terminal state carried by a successful trigger event."""

    @abstractmethod
    def finish(self, context: Context, job: Any, state: Any, query: Any) -> Any:
        """Store the result (then free the remote job); return the task's XCom value."""

    def job_from_event(self, event: dict[str, Any]) -> Any:
        """The job reference when the task-state store has none (the event echoes the trigger's fields)."""
        return None

    def start(self, context: Context, query: Any) -> Any:
        """The job to wait for: the one an earlier try submitted, or a new one."""
        job = self.recall(context, self.state_key)
        return job if job is not None else self.submit_politely(context, query)

    def first_check_now(self, job: Any) -> bool:
        """Whether to look at the job before deferring (a slow status page says no)."""
        return True

    # --- the flow, written once ------------------------------------------------------------
    @fails_fast
    def execute(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Start (or pick up) the job and wait for it. Also the resume point after a throttle wait."""
        query = self.prepare(context)
        return self.wait(context, self.start(context, query), query)

    @fails_fast
    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        """Resume after the trigger fired: one event check, then finish like the fast path.

        The job reference comes from the task-state store (``airflow dags test`` replaces the
        ``defer`` kwargs with the event).
        """
        check_event(event, self.what)
        query = self.prepare(context)
        job = self.recall(context, self.state_key)
        if job is None:
            job = self.job_from_event(event)
        return self.finish(context, job, self.from_event(event), query)

    def wait(self, context: Context, job: Any, query: Any) -> Any:
        """Check once (the fast path), then wait deferred or blocking, then finish."""
        state = self.check_once(context, job) if self.first_check_now(job) else None
        if state is None:
            if self.deferrable:
                self.defer(trigger=self.trigger(job), method_name="execute_complete")
            state = self.poll_blocking(lambda: self.check(context, job))
        return self.finish(context, job, state, query)

    def check_once(self, context: Context, job: Any) -> Any:
        """The fast path; an outage here only means: wait (the trigger rides outages out)."""
        try:
            return self.check(context, job)
        except ServiceUnavailableError as err:
            self.log.warning("status check failed (%s); waiting for %s instead", err, self.what)
            return None

    def submit_politely(self, context: Context, query: Any) -> Any:
        """Submit; a throttle or a full queue is waited out (deferred, or blocking) and tried again."""
        while True:
            try:
                job = self.submit(context, query)
            except ServiceThrottledError as err:
                self.wait_or_defer(err.wait_seconds, str(err))
                continue
            except QueueFullError as err:
                self.wait_or_defer(self.queue_full_wait, str(err))
                continue
            self.remember(context, self.state_key, job)
            return job

    def poll_blocking(self, check: Callable[[], Any]) -> Any:
        """The ``deferrable=False`` wait: ``check()`` until it returns a state, with the trigger's
        backoff (x1.5 up to ``max_poll_interval``) and the job deadline, in this worker."""
        deadline = time.monotonic() + self.job_timeout.total_seconds()
        interval = self.poll_interval
        while True:
            if time.monotonic() + interval > deadline:
                raise JobTimeoutError(f"{self.what} not finished within {self.job_timeout}")
            time.sleep(interval)
            interval = min(self.max_poll_interval, interval * BACKOFF_FACTOR)
            state = check()
            if state is not None:
                return state

    def wait_or_defer(self, seconds: float, reason: str) -> None:
        """Wait out a throttle or a full queue: deferred (the slot goes back), or blocking.

        Deferred, the task resumes in ``execute``: the submit is simply tried again.
        """
        if self.deferrable:
            self.log.info("%s; deferring %.0f s instead of sleeping in a worker", reason, seconds)
            self.defer(trigger=TimeDeltaTrigger(timedelta(seconds=seconds)), method_name="execute")
        self.log.info("%s; waiting %.0f s", reason, seconds)
        time.sleep(seconds)

    def deadline(self) -> float:
        """Unix time after which a trigger gives the job up."""
        return time.time() + self.job_timeout.total_seconds()

    # --- job keys and the task-state store ---------------------------------------------------
    def job_key(self, context: Context) -> str:
        """A key naming this task instance's remote job, stable across retries and resumes."""
        ti = context["ti"]
        map_index = getattr(ti, "map_index", -1)
        suffix = f"[{map_index}]" if map_index is not None and map_index >= 0 else ""
        return bounded_key(f"fphot {ti.dag_id}.{ti.task_id} {ti.run_id}{suffix}")

    @staticmethod
    def remember(context: Context, key: str, value: Any) -> None:
        """Persist ``value`` for later tries of this task instance (re-attach, not resubmit)."""
        store = context.get("task_state_store")
        if store is not None:
            store.set(key, value)

    @staticmethod
    def recall(context: Context, key: str) -> Any:
        store = context.get("task_state_store")
        return store.get(key) if store is not None else None


class BatchJobOperator(RemoteJobOperator):
    """A remote job for many targets at once, one window for all (ATLAS radeclist, ZTF batch).

    :param targets: ``[{"name", "ra", "dec"}, ...]`` (templated; validated like every target).
    :param mjd_min: window start for the whole batch.
    :param mjd_max: window end.
    :param data_dir: root for raw files.
    """

    template_fields = ("targets", "mjd_min", "mjd_max")
    max_targets: int = 100  # the service's batch size

    def __init__(
        self,
        *,
        targets: list[dict[str, Any]],
        mjd_min: float | str | None = None,
        mjd_max: float | str | None = None,
        data_dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.targets, self.mjd_min, self.mjd_max, self.data_dir = targets, mjd_min, mjd_max, data_dir

    def batch_query(self) -> tuple[list[Target], QueryWindow]:
        """The validated targets (1 to ``max_targets``) and the window, before anything is sent."""
        targets = [Target.parse(t.get("name"), t.get("ra"), t.get("dec")) for t in self.targets]
        if not 1 <= len(targets) <= self.max_targets:
            raise InvalidQueryError("targets", f"a batch holds 1 to {self.max_targets} targets, got {len(targets)}")
        return targets, QueryWindow.parse(self.mjd_min, self.mjd_max)
