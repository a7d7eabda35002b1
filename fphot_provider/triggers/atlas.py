"""Wait for an ATLAS task in the triggerer, without holding a worker slot."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fphot_provider.exceptions import RemoteServiceError
from fphot_provider.hooks.atlas import AtlasHook
from fphot_provider.triggers.base import PollingJobTrigger


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

    :param task_urls: the batch's task URLs, in submission order.
    """

    def __init__(self, *, task_urls: list[str], atlas_conn_id: str = AtlasHook.default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.task_urls = list(task_urls)
        self.atlas_conn_id = atlas_conn_id
        self._hook: AtlasHook | None = None
        self._done: dict[str, dict[str, Any]] = {}

    def job_fields(self) -> dict[str, Any]:
        return {"task_urls": self.task_urls, "atlas_conn_id": self.atlas_conn_id}

    async def poll(self) -> dict[str, Any] | None:
        if self._hook is None:
            self._hook = AtlasHook(self.atlas_conn_id)
        for url in self.task_urls:
            if url not in self._done:
                try:
                    task = await self._hook.a_get_task(url)
                except RemoteServiceError as err:
                    if err.status != 404:
                        raise
                    self._done[url] = {"url": url, "vanished": True}  # gone from the server: fails alone
                    continue
                if not task.is_terminal:
                    return None  # the queue runs in order: later tasks are not done either
                self._done[url] = asdict(task)
        return {"tasks": [self._done[url] for url in self.task_urls]}
