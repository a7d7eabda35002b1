"""Hook for the ATLAS forced photometry server (fallingstar-data.com/forcedphot)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import ClassVar

from fphot_provider.exceptions import LoginError, RemoteServiceError
from fphot_provider.hooks.base import FphotHttpHook
from fphot_provider.targets import QueryWindow, Target
from fphot_provider.wire import atlas as wire
from fphot_provider.wire.http import HttpRequest, HttpResponse

MAX_LIST_PAGES = 1000  # 100,000 tasks: more than any account keeps (500 may be queued at once)


class AtlasHook(FphotHttpHook):
    """Talk to the ATLAS forced photometry server.

    Connection ``fphot_atlas``: host = base URL (default the public server); either password =
    API token, or login + password, exchanged once per hook for a token at ``/api-token-auth/``.

    :param conn_id: the Connection id (default ``fphot_atlas_default``).
    """

    conn_name_attr: ClassVar[str] = "atlas_conn_id"
    default_conn_name: ClassVar[str] = "fphot_atlas_default"
    conn_type: ClassVar[str] = "fphot_atlas"
    hook_name: ClassVar[str] = "ATLAS forced photometry"
    default_base_url: ClassVar[str] = wire.DEFAULT_BASE_URL

    def __init__(self, atlas_conn_id: str | None = None, **kwargs) -> None:
        super().__init__(atlas_conn_id, **kwargs)
        self._token: str | None = None

    def throttle_wait(self, response: HttpResponse) -> float:
        return wire.throttle_wait(response)

    # --- auth ------------------------------------------------------------------------------
    def _token_request(self) -> HttpRequest | None:
        """The token exchange to make, or None when the Connection holds the token itself."""
        conn = self.get_conn()
        if not conn.password:
            raise LoginError(f"Connection {self.conn_id!r} has no password (API token) set")
        if conn.login:
            return wire.token_request(self.base_url, conn.login, conn.password)
        self._token = conn.password
        return None

    def get_token(self) -> str:
        """Return the API token, exchanging login/password once if needed."""
        if self._token is None:
            request = self._token_request()
            if request is not None:
                self._token = wire.read_token(self.run(request))
        return self._token  # type: ignore[return-value]

    async def a_get_token(self) -> str:
        """Async twin of :meth:`get_token`."""
        if self._token is None:
            await self.a_get_conn()
            request = self._token_request()
            if request is not None:
                self._token = wire.read_token(await self.a_run(request))
        return self._token  # type: ignore[return-value]

    def _checked_url(self, url: str) -> str:
        """Refuse to send our token to a host other than the Connection's."""
        if not wire.same_origin(url, self.base_url):
            raise RemoteServiceError(f"refusing to send credentials to {url!r}: not on {self.base_url!r}")
        return url

    # --- operations --------------------------------------------------------------------------
    def submit(
        self, target: Target, window: QueryWindow, *, use_reduced: bool = False, comment: str | None = None
    ) -> wire.AtlasTask:
        """Queue one forced-photometry task; return its state (with the task URL)."""
        request = wire.submit_request(
            self.base_url, self.get_token(), target, window, use_reduced=use_reduced, comment=comment
        )
        return wire.read_submit(self.run(request))[0]

    def submit_batch(
        self,
        targets: Sequence[Target],
        window: QueryWindow,
        *,
        use_reduced: bool = False,
        comment: str | None = None,
    ) -> list[wire.AtlasTask]:
        """Queue up to 100 positions in one ``radeclist`` request; tasks come back in order."""
        request = wire.batch_submit_request(
            self.base_url, self.get_token(), targets, window, use_reduced=use_reduced, comment=comment
        )
        tasks = wire.read_submit(self.run(request))
        if len(tasks) != len(targets):
            raise RemoteServiceError(f"ATLAS queued {len(tasks)} tasks for {len(targets)} positions")
        return tasks

    def get_task(self, task_url: str) -> wire.AtlasTask:
        """Return the current state of a task."""
        response = self.run(wire.task_request(self._checked_url(task_url), self.get_token()))
        wire.check_response(response, "status")
        return wire.read_task(response.json())

    async def a_get_task(self, task_url: str) -> wire.AtlasTask:
        """Async twin of :meth:`get_task`, for the trigger."""
        token = await self.a_get_token()
        response = await self.a_run(wire.task_request(self._checked_url(task_url), token))
        wire.check_response(response, "status")
        return wire.read_task(response.json())

    def download_result(self, result_url: str) -> str:
        """Return the text of a finished task's result file."""
        response = self.run(wire.result_request(self._checked_url(result_url), self.get_token()))
        wire.check_response(response, "result download")
        return response.text

    def delete_task(self, task_url: str) -> bool:
        """Delete a task to free the server; True if deleted, False if it was already gone."""
        response = self.run(wire.task_request(self._checked_url(task_url), self.get_token(), method="DELETE"))
        if response.status == 404:
            return False
        wire.check_response(response, "delete")
        return True

    def task_pages(self, *, newest_first: bool = False) -> Iterator[tuple[list[wire.AtlasTask], bool]]:
        """Yield the user's task list page by page: (tasks, whether another page follows)."""
        page_url: str | None = None
        for _ in range(MAX_LIST_PAGES):
            request = wire.list_request(self.base_url, self.get_token(), page_url, newest_first=newest_first)
            tasks, page_url = wire.read_task_page(self.run(request))
            yield tasks, page_url is not None
            if page_url is None:
                return
            self._checked_url(page_url)

    async def a_task_pages(self, *, newest_first: bool = False) -> AsyncIterator[tuple[list[wire.AtlasTask], bool]]:
        """Async twin of :meth:`task_pages`."""
        page_url: str | None = None
        for _ in range(MAX_LIST_PAGES):
            request = wire.list_request(self.base_url, await self.a_get_token(), page_url, newest_first=newest_first)
            tasks, page_url = wire.read_task_page(await self.a_run(request))
            yield tasks, page_url is not None
            if page_url is None:
                return
            self._checked_url(page_url)

    def get_tasks(self, task_urls: Sequence[str]) -> dict[str, wire.AtlasTask | None]:
        """The state of many tasks from the task list (about one read per 100); None: gone."""
        scan = wire.TaskListScan(task_urls)
        for tasks, has_next in self.task_pages(newest_first=True):
            if scan.add(tasks, has_next):
                break
        return scan.states()

    async def a_get_tasks(self, task_urls: Sequence[str]) -> dict[str, wire.AtlasTask | None]:
        """Async twin of :meth:`get_tasks`, for the batch trigger."""
        scan = wire.TaskListScan(task_urls)
        async for tasks, has_next in self.a_task_pages(newest_first=True):
            if scan.add(tasks, has_next):
                break
        return scan.states()

    def find_tasks(self, comment: str) -> list[wire.AtlasTask]:
        """Return the user's tasks whose comment equals ``comment`` (walks every page).

        Used to re-attach to a task whose submit answer was lost, instead of submitting twice.
        """
        return [task for tasks, _ in self.task_pages() for task in tasks if task.comment == comment]

    def test_connection(self) -> tuple[bool, str]:
        """Check the base URL answers and the credentials are accepted."""
        try:
            response = self.run(wire.list_request(self.base_url, self.get_token()))
            wire.check_response(response, "list")
        except Exception as err:  # noqa: BLE001 - the UI wants a message, not a traceback
            return False, str(err)
        return True, f"ATLAS at {self.base_url} accepted the credentials"
