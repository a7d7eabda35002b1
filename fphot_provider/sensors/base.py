"""One base for sensors that wait on a remote job submitted elsewhere.

Deferrable by default, reusing the service's trigger (the polling loop is written once); the
event checks (timeout, error) live here; a subclass names its trigger and what "failed" means.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator

from fphot_provider.failures import fails_fast
from fphot_provider.exceptions import JobFailedError, JobTimeoutError

if TYPE_CHECKING:
    from airflow.sdk import Context

    from fphot_provider.triggers.base import PollingJobTrigger


class RemoteJobSensor(BaseSensorOperator):
    """Wait for a remote job; return its terminal state.

    :param deferrable: wait in the triggerer (default) instead of poking from a worker.
    :param max_poll_interval: the trigger's longest wait between polls.
    """

    def __init__(self, *, deferrable: bool = True, max_poll_interval: float = 600.0, **kwargs: Any) -> None:
        kwargs.setdefault("poke_interval", 30.0)
        kwargs.setdefault("timeout", timedelta(hours=12).total_seconds())
        super().__init__(**kwargs)
        self.deferrable = deferrable
        self.max_poll_interval = max_poll_interval

    def trigger(self) -> PollingJobTrigger:
        """The service's trigger for this job."""
        raise NotImplementedError

    def check(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Raise JobFailedError if the finished job failed; return what the sensor returns."""
        raise NotImplementedError

    def trigger_timing(self) -> dict[str, float]:
        """Polling kwargs every trigger takes, from the sensor's own settings."""
        return {"poll_interval": float(self.poke_interval), "max_poll_interval": self.max_poll_interval,
                "deadline": time.time() + float(self.timeout)}

    @fails_fast
    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        self.defer(trigger=self.trigger(), method_name="execute_complete")

    @fails_fast
    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        if event.get("status") == "timeout":
            raise JobTimeoutError(f"{self.task_id}: {event.get('message')}")
        if event.get("status") != "success":
            raise JobFailedError(f"{self.task_id}: waiting failed: {event.get('message')}")
        return self.check(event)
