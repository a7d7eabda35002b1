"""Wait on an ATLAS task submitted elsewhere (a script, another DAG), reusing the trigger."""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator

from fphot_provider.exceptions import JobFailedError, JobTimeoutError
from fphot_provider.hooks.atlas import AtlasHook
from fphot_provider.triggers.atlas import AtlasJobTrigger
from fphot_provider.wire.atlas import AtlasTask

if TYPE_CHECKING:
    from airflow.sdk import Context


class AtlasJobSensor(BaseSensorOperator):
    """Succeed when the ATLAS task at ``task_url`` has finished; return its state.

    Deferrable by default (the same :class:`AtlasJobTrigger` the operator uses, so the polling
    loop is written once). ``error_msg`` other than "No data returned" fails the sensor.

    :param task_url: the task URL (templated).
    :param atlas_conn_id: the ``fphot_atlas`` Connection.
    :param deferrable: wait in the triggerer instead of poking from a worker.
    """

    template_fields = ("task_url",)

    def __init__(
        self,
        *,
        task_url: str,
        atlas_conn_id: str = AtlasHook.default_conn_name,
        deferrable: bool = True,
        max_poll_interval: float = 600.0,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("poke_interval", 30.0)
        kwargs.setdefault("timeout", timedelta(hours=12).total_seconds())
        super().__init__(**kwargs)
        self.task_url = task_url
        self.atlas_conn_id = atlas_conn_id
        self.deferrable = deferrable
        self.max_poll_interval = max_poll_interval

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        trigger = AtlasJobTrigger(
            task_url=self.task_url,
            atlas_conn_id=self.atlas_conn_id,
            poll_interval=self.poke_interval,
            max_poll_interval=self.max_poll_interval,
            deadline=time.time() + float(self.timeout),
        )
        self.defer(trigger=trigger, method_name="execute_complete")

    def poke(self, context: Context) -> bool:
        task = AtlasHook(self.atlas_conn_id).get_task(self.task_url)
        if task.is_failed:
            raise JobFailedError(f"ATLAS task {task.url} failed: {task.error_msg}")
        if task.is_terminal:
            context["ti"].xcom_push(key="return_value", value=asdict(task))
        return task.is_terminal

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        if event.get("status") == "timeout":
            raise JobTimeoutError(f"ATLAS task {self.task_url}: {event.get('message')}")
        if event.get("status") != "success":
            raise JobFailedError(f"waiting for ATLAS task {self.task_url} failed: {event.get('message')}")
        task = AtlasTask(**event["task"])
        if task.is_failed:
            raise JobFailedError(f"ATLAS task {self.task_url} failed: {task.error_msg}")
        return event["task"]
