"""One polling loop for every service's job trigger.

A subclass names its fields and implements :meth:`PollingJobTrigger.poll`; the base owns the
loop: gentle polling that backs off, the deadline, throttling waits, and the one-event rule
(any exception becomes an ``error`` event: a trigger never dies silently).
"""

from __future__ import annotations

import asyncio
import time
from abc import abstractmethod
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from fphot_provider.exceptions import ServiceThrottledError, ServiceUnavailableError

BACKOFF_FACTOR = 1.5
# A service down for a while must not fail a job that waits hours; a dead URL must not wait forever.
MAX_CONSECUTIVE_OUTAGES = 5


class PollingJobTrigger(BaseTrigger):
    """Poll a remote job until it is terminal, the deadline passes, or an error occurs.

    :param poll_interval: first wait between polls (seconds).
    :param max_poll_interval: the wait grows by 1.5x per poll up to this.
    :param deadline: Unix time after which the job is given up (``timeout`` event); None: never.
    :param not_before: Unix time of the first poll (None: at once). A job just submitted to a
        slow status page (ZTF's refreshes about hourly) is not looked for in the same minute.
    """

    sleep = staticmethod(asyncio.sleep)  # tests record the waits instead

    def __init__(
        self,
        *,
        poll_interval: float = 30.0,
        max_poll_interval: float = 600.0,
        deadline: float | None = None,
        not_before: float | None = None,
    ) -> None:
        super().__init__()
        self.poll_interval = float(poll_interval)
        self.max_poll_interval = float(max(max_poll_interval, poll_interval))
        self.deadline = deadline
        self.not_before = not_before

    @abstractmethod
    def job_fields(self) -> dict[str, Any]:
        """The subclass's own JSON-primitive kwargs."""

    @abstractmethod
    async def poll(self) -> dict[str, Any] | None:
        """Check the job once: its terminal payload (JSON primitives), or None while it runs."""

    def serialize(self) -> tuple[str, dict[str, Any]]:
        fields = {
            **self.job_fields(),
            "poll_interval": self.poll_interval,
            "max_poll_interval": self.max_poll_interval,
            "deadline": self.deadline,
            "not_before": self.not_before,
        }
        return f"{self.__class__.__module__}.{self.__class__.__qualname__}", fields

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            event = await self._wait()
        except Exception as err:  # noqa: BLE001 - reported as an event, never swallowed
            event = {"status": "error", "message": f"{type(err).__name__}: {err}"}
        yield TriggerEvent({**self.job_fields(), **event})

    async def _wait(self) -> dict[str, Any]:
        interval = self.poll_interval
        outages = 0
        if self.not_before is not None and self.not_before > time.time():
            await self.sleep(self.not_before - time.time())
        while True:
            try:
                payload = await self.poll()
                outages = 0
            except ServiceThrottledError as err:
                payload, interval = None, max(interval, err.wait_seconds)
            except ServiceUnavailableError:
                outages += 1
                if outages >= MAX_CONSECUTIVE_OUTAGES:
                    raise
                payload = None
                self.log.warning("service unavailable (%d in a row); still waiting", outages)
            if payload is not None:
                return {"status": "success", **payload}
            if self.deadline is not None and time.time() + interval > self.deadline:
                return {"status": "timeout", "message": f"job not finished by the deadline ({self.deadline:.0f})"}
            self.log.info("job not finished; next check in %.0f s", interval)
            await self.sleep(interval)
            interval = min(self.max_poll_interval, interval * BACKOFF_FACTOR)
