"""One base for sensors that wait on a remote job submitted elsewhere.

Deferrable by default, reusing the service's trigger (the polling loop is written once); the
event checks (timeout, error) live here; a subclass names its trigger and what "failed" means.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue

from fphot_provider.failures import fails_fast
from fphot_provider.operators.job import check_event, default_deferrable

if TYPE_CHECKING:
    from airflow.sdk import Context

    from fphot_provider.triggers.base import PollingJobTrigger


class RemoteJobSensor(BaseSensorOperator):
    """Wait for a remote job; return its terminal state.

    Looks once before deferring (a finished job needs no trigger); ``poke`` returns a
    :class:`PokeReturnValue`, so the blocking mode pushes the same value.

    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``, else
        True) instead of poking from a worker.
    :param max_poll_interval: the trigger's longest wait between polls.
    """

    def __init__(self, *, deferrable: bool | None = None, max_poll_interval: float = 600.0, **kwargs: Any) -> None:
        kwargs.setdefault("poke_interval", 30.0)
        kwargs.setdefault("timeout", timedelta(hours=12).total_seconds())
        super().__init__(**kwargs)
        self.deferrable = default_deferrable() if deferrable is None else deferrable
        self.max_poll_interval = max_poll_interval

    @abstractmethod
    def trigger(self) -> PollingJobTrigger:
        """The service's trigger for this job."""

    @abstractmethod
    def state(self) -> dict[str, Any] | None:
        """Read the job once: the trigger's event payload when terminal, else None."""

    @abstractmethod
    def check(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Raise JobFailedError if the finished job failed; return what the sensor returns."""

    def trigger_timing(self) -> dict[str, float]:
        """Polling kwargs every trigger takes, from the sensor's own settings."""
        return {
            "poll_interval": float(self.poke_interval),
            "max_poll_interval": self.max_poll_interval,
            "deadline": time.time() + float(self.timeout),
        }

    @fails_fast
    def poke(self, context: Context) -> PokeReturnValue:
        payload = self.state()
        return PokeReturnValue(is_done=payload is not None, xcom_value=self.check(payload) if payload else None)

    @fails_fast
    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        payload = self.state()  # a job already finished needs no trigger
        if payload is not None:
            return self.check(payload)
        self.defer(trigger=self.trigger(), method_name="execute_complete")

    @fails_fast
    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        return self.check(check_event(event, self.task_id))
