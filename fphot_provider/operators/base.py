"""What every forced-photometry operator shares: validated inputs, job keys, waits, products.

A "raw product" is what a fetch operator returns through XCom and the processor consumes:
JSON primitives naming the service, the data product type, the target, the query and the path
of the raw file kept on disk (None for a valid empty answer).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.standard.triggers.temporal import TimeDeltaTrigger
from airflow.sdk import BaseOperator

from fphot_provider.exceptions import JobTimeoutError, RemoteServiceError, TableParseError
from fphot_provider.storage import data_dir
from fphot_provider.targets import QueryWindow, Target

if TYPE_CHECKING:
    from pathlib import Path

    from airflow.sdk import Context


DOWNLOAD_ATTEMPTS = 3
# The ATLAS server refuses a comment over 300 characters; the job key travels as the comment.
MAX_JOB_KEY = 300


def download_checked(fetch: Callable[[], str], check: Callable[[str], Any], what: str) -> str:
    """Download a result and prove it parses before anyone stores it or frees the remote job.

    A file cut short in transit (or served half-written) is fetched again, up to
    :data:`DOWNLOAD_ATTEMPTS` times; then the job is left alone on the server and the task
    fails, so a retry can still fetch it.
    """
    for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
        text = fetch()
        try:
            check(text)
            return text
        except TableParseError as err:
            problem = err
    raise RemoteServiceError(f"{what} was unreadable {DOWNLOAD_ATTEMPTS} times (kept on the server): {problem}")


def bounded_key(key: str, limit: int = MAX_JOB_KEY) -> str:
    """``key`` itself when short enough, else its head and a hash of the whole (still unique, stable)."""
    if len(key) <= limit:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: limit - len(digest) - 3]} #{digest}"


class RemoteJobMixin:
    """Helpers of operators that submit remote jobs: job keys, re-attach state, polite waits."""

    deferrable: bool

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

    def wait_or_defer(self, seconds: float, reason: str, method_name: str = "execute") -> None:
        """Wait out a throttle or a full queue: deferred (the slot goes back), or blocking.

        Deferred, the task resumes in ``method_name`` (``execute`` by default: the submit is
        simply tried again).
        """
        if self.deferrable:
            self.log.info("%s; deferring %.0f s instead of sleeping in a worker", reason, seconds)
            self.defer(trigger=TimeDeltaTrigger(timedelta(seconds=seconds)), method_name=method_name)
        self.log.info("%s; waiting %.0f s", reason, seconds)
        time.sleep(seconds)



class ForcedPhotometryOperator(RemoteJobMixin, BaseOperator):
    """Base of the per-service fetch operators: one target, one query window.

    :param target_name: the target's name (used for file names and the ``target`` column).
    :param ra: right ascension, decimal degrees or sexagesimal hours.
    :param dec: declination, decimal degrees or sexagesimal.
    :param mjd_min: window start (MJD or ISO date); None: the service's full history.
    :param mjd_max: window end (MJD or ISO date); None: now.
    :param data_dir: root for raw files; default from :func:`fphot_provider.storage.data_dir`.
    :param deferrable: wait in the triggerer (default) instead of blocking a worker slot.
    :param poll_interval: first wait between status checks (seconds); it backs off from there.
    :param max_poll_interval: longest wait between status checks.
    :param job_timeout: give the remote job up after this long.
    """

    template_fields = ("target_name", "ra", "dec", "mjd_min", "mjd_max")
    service: str = ""
    data_product_type: str = ""

    def __init__(
        self,
        *,
        target_name: str,
        ra: float | str,
        dec: float | str,
        mjd_min: float | str | None = None,
        mjd_max: float | str | None = None,
        data_dir: str | None = None,
        deferrable: bool = True,
        poll_interval: float = 30.0,
        max_poll_interval: float = 600.0,
        job_timeout: timedelta = timedelta(hours=12),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.target_name = target_name
        self.ra = ra
        self.dec = dec
        self.mjd_min = mjd_min
        self.mjd_max = mjd_max
        self.data_dir = data_dir
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.job_timeout = job_timeout

    def query(self) -> tuple[Target, QueryWindow]:
        """Validate the (rendered) inputs; raises InvalidQueryError before anything is sent."""
        return Target.parse(self.target_name, self.ra, self.dec), QueryWindow.parse(self.mjd_min, self.mjd_max)

    @property
    def root(self) -> Path:
        return data_dir(self.data_dir)

    def product(self, target: Target, window: QueryWindow, raw_paths: list[Path], **extra: Any) -> dict[str, Any]:
        """The raw product returned through XCom to the processor (no paths: a valid empty answer)."""
        return raw_product(self.service, self.data_product_type, target, window, raw_paths, **extra)

    def poll_blocking(self, check: Callable[[], Any], what: str) -> Any:
        """The ``deferrable=False`` fallback: ``check()`` until it returns a result, with the
        trigger's backoff (x1.5 up to ``max_poll_interval``) and the job deadline, in this worker."""
        deadline = time.monotonic() + self.job_timeout.total_seconds()
        interval = self.poll_interval
        while True:
            if time.monotonic() + interval > deadline:
                raise JobTimeoutError(f"{what} not finished within {self.job_timeout}")
            time.sleep(interval)
            interval = min(self.max_poll_interval, interval * 1.5)
            result = check()
            if result is not None:
                return result


def raw_product(
    service: str, data_product_type: str, target: Target, window: QueryWindow, raw_paths: list[Path], **extra: Any
) -> dict[str, Any]:
    """The dict a fetch operator hands the processor through XCom."""
    return {
        "service": service,
        "data_product_type": data_product_type,
        "target": target.to_dict(),
        "window": window.to_dict(),
        "raw_paths": [str(path) for path in raw_paths],
        **extra,
    }
