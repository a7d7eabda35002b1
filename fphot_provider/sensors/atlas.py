"""Wait on an ATLAS task submitted elsewhere (a script, another DAG), reusing the trigger."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fphot_provider.exceptions import JobFailedError
from fphot_provider.hooks.atlas import AtlasHook
from fphot_provider.sensors.base import RemoteJobSensor
from fphot_provider.triggers.atlas import AtlasJobTrigger
from fphot_provider.wire.atlas import AtlasTask


class AtlasJobSensor(RemoteJobSensor):
    """Succeed when the ATLAS task at ``task_url`` has finished; return its state.

    ``error_msg`` other than "No data returned" fails the sensor.

    :param task_url: the task URL (templated).
    :param atlas_conn_id: the ``fphot_atlas`` Connection.
    """

    template_fields = ("task_url",)

    def __init__(self, *, task_url: str, atlas_conn_id: str = AtlasHook.default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.task_url = task_url
        self.atlas_conn_id = atlas_conn_id

    def trigger(self) -> AtlasJobTrigger:
        return AtlasJobTrigger(task_url=self.task_url, atlas_conn_id=self.atlas_conn_id, **self.trigger_timing())

    def check(self, payload: dict[str, Any]) -> dict[str, Any]:
        task = AtlasTask(**payload["task"])
        if task.is_failed:
            raise JobFailedError(f"ATLAS task {task.url} failed: {task.error_msg}")
        return payload["task"]

    def state(self) -> dict[str, Any] | None:
        task = AtlasHook(self.atlas_conn_id).get_task(self.task_url)
        return {"task": asdict(task)} if task.is_terminal else None
