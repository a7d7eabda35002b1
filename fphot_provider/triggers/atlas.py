"""Wait for an ATLAS task in the triggerer, without holding a worker slot."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fphot_provider.hooks.atlas import AtlasHook
from fphot_provider.triggers.base import PollingJobTrigger
from fphot_provider.wire.atlas import AtlasTask


class AtlasJobTrigger(PollingJobTrigger):
    """Fire once the ATLAS task at ``task_url`` has finished (with a result or an error_msg).

    The success event carries the task state under ``task``; the operator decides what an
    ``error_msg`` means. Everything needed to resume after a triggerer restart is in the
    serialized kwargs.

    :param task_url: the task's URL as returned by the submit.
    :param atlas_conn_id: the ``fphot_atlas`` Connection.
    """

    def __init__(self, *, task_url: str, atlas_conn_id: str = AtlasHook.default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.task_url = task_url
        self.atlas_conn_id = atlas_conn_id
        self._hook: AtlasHook | None = None

    def job_fields(self) -> dict[str, Any]:
        return {"task_url": self.task_url, "atlas_conn_id": self.atlas_conn_id}

    async def poll(self) -> dict[str, Any] | None:
        if self._hook is None:  # built here, never in __init__: the triggerer deserializes us
            self._hook = AtlasHook(self.atlas_conn_id)
        task = await self._hook.a_get_task(self.task_url)
        return {"task": asdict(task)} if task.is_terminal else None


class AtlasBatchJobTrigger(PollingJobTrigger):
    """Fire once every task of a ``radeclist`` batch has finished; the event lists them all.

    Each poll reads the task list (newest first, 100 a page), not every task: a 100-target
    batch costs about one request per poll. A task the list no longer holds is reported as
    vanished and fails alone.

    :param task_urls: the batch's task URLs, in submission order.
    """

    def __init__(
        self, *, task_urls: list[str], atlas_conn_id: str = AtlasHook.default_conn_name, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.task_urls = list(task_urls)
        self.atlas_conn_id = atlas_conn_id
        self._hook: AtlasHook | None = None

    def job_fields(self) -> dict[str, Any]:
        return {"task_urls": self.task_urls, "atlas_conn_id": self.atlas_conn_id}

    async def poll(self) -> dict[str, Any] | None:
        if self._hook is None:
            self._hook = AtlasHook(self.atlas_conn_id)
        states = await self._hook.a_get_tasks(self.task_urls)
        if not all(task is None or task.is_terminal for task in states.values()):
            return None
        return {"tasks": [batch_entry(url, states[url]) for url in self.task_urls]}


def batch_entry(url: str, task: AtlasTask | None) -> dict[str, Any]:
    """A task's state for the batch event: its fields, or a vanished marker."""
    return {"url": url, "vanished": True} if task is None else asdict(task)
