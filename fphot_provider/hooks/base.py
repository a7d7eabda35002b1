"""Shared base of the service hooks: Connection lookup, timeouts, retries, sync and async sends.

The retry loop is the same for both transports: :class:`~fphot_provider.wire.http.RetryPolicy`
decides, the hook only sends. Subclasses build :class:`HttpRequest` values with the pure
builders in :mod:`fphot_provider.wire` and never talk to ``requests``/``aiohttp`` directly.
"""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from typing import TYPE_CHECKING, Any, ClassVar

import aiohttp
import requests
from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException

from fphot_provider.wire.http import RETRYABLE_STATUSES, THROTTLED, HttpRequest, HttpResponse, RetryPolicy

if TYPE_CHECKING:
    from airflow.sdk import Connection

DEFAULT_TIMEOUT = 30.0
CONNECTION_ERRORS_SYNC = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
CONNECTION_ERRORS_ASYNC = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, asyncio.TimeoutError)


class FphotHttpHook(BaseHook):
    """Base of the ATLAS, ZTF and PanSTARRS hooks.

    :param conn_id: the Airflow Connection; host = the service's base URL.
    :param timeout: seconds per request; defaults to the Connection extra ``timeout`` or 30.
    :param retry: the retry policy; defaults to the Connection extras ``max_attempts`` and
        ``backoff_seconds`` or :class:`RetryPolicy` defaults.
    """

    conn_name_attr: ClassVar[str] = "conn_id"
    default_conn_name: ClassVar[str] = ""
    conn_type: ClassVar[str] = ""
    hook_name: ClassVar[str] = ""
    default_base_url: ClassVar[str] = ""
    connection_optional: ClassVar[bool] = False  # public services: the default base URL without one

    def __init__(
        self, conn_id: str | None = None, *, timeout: float | None = None, retry: RetryPolicy | None = None
    ) -> None:
        super().__init__()
        self.conn_id = conn_id or self.default_conn_name
        self._timeout = timeout
        self._retry = retry
        self._conn: Connection | None = None
        self._local = threading.local()  # one requests.Session per thread (sinks post in parallel)
        self.sleep = time.sleep  # swapped by tests that count waits instead of waiting
        self.async_sleep = asyncio.sleep

    # --- Connection -------------------------------------------------------------------------
    def get_conn(self) -> Connection:
        """Return the Airflow Connection (looked up once).

        A public service (``connection_optional``) needs none: a missing *default* Connection
        stands for the public base URL. A named Connection that does not exist still fails.
        """
        if self._conn is None:
            try:
                self._conn = self.get_connection(self.conn_id)
            except AirflowNotFoundException:
                if not (self.connection_optional and self.conn_id == self.default_conn_name):
                    raise
                from airflow.sdk import Connection

                self._conn = Connection(conn_id=self.conn_id, conn_type=self.conn_type)
        return self._conn

    async def a_get_conn(self) -> Connection:
        """Return the Connection from async code (triggers).

        Falls back to the sync lookup in a thread: under ``airflow dags test`` the async path
        cannot see connections kept in the metadata DB.
        """
        if self._conn is None:
            try:
                self._conn = await self.aget_connection(self.conn_id)
            except Exception:  # noqa: BLE001 - any lookup failure: try the other path, which raises clearly
                self._conn = await asyncio.to_thread(self.get_connection, self.conn_id)
        return self._conn

    @property
    def extras(self) -> dict[str, Any]:
        """Connection extras, with the form's legacy ``extra__<conn_type>__`` prefix removed."""
        prefix = f"extra__{self.conn_type}__"
        raw = dict(self.get_conn().extra_dejson or {})
        return {key.removeprefix(prefix): value for key, value in raw.items() if value not in (None, "")}

    @property
    def base_url(self) -> str:
        """The service base URL: the Connection host (with schema/port when given)."""
        return base_url_of(self.get_conn(), self.default_base_url)

    @property
    def timeout(self) -> float:
        if self._timeout is not None:
            return self._timeout
        return float(self.extras.get("timeout") or DEFAULT_TIMEOUT)

    @property
    def retry(self) -> RetryPolicy:
        if self._retry is None:
            extras = self.extras
            self._retry = RetryPolicy(
                max_attempts=int(extras.get("max_attempts") or RetryPolicy.max_attempts),
                backoff_seconds=float(extras.get("backoff_seconds") or RetryPolicy.backoff_seconds),
            )
        return self._retry

    def throttle_wait(self, response: HttpResponse) -> float:
        """Seconds a 429 asks us to wait; services override with their own message format."""
        return 60.0

    # --- Sending ----------------------------------------------------------------------------
    def run(self, request: HttpRequest) -> HttpResponse:
        """Send ``request`` with retries on 5xx, 429 and connection errors; return the answer.

        Non-idempotent requests (submits) are not resent after a connection error, whose
        outcome is unknown: the caller reconciles instead of risking a duplicate job.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._send(request)
            except CONNECTION_ERRORS_SYNC as err:
                if not request.idempotent:
                    raise
                self.sleep(self.retry.wait_after_error(request, err, attempt))
                continue
            wait = self._wait_for(request, response, attempt)
            if wait is None:
                return response
            self.sleep(wait)

    async def a_run(self, request: HttpRequest) -> HttpResponse:
        """Async twin of :meth:`run`, same policy, for triggers."""
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._a_send(request)
            except CONNECTION_ERRORS_ASYNC as err:
                if not request.idempotent:
                    raise
                await self.async_sleep(self.retry.wait_after_error(request, err, attempt))
                continue
            wait = self._wait_for(request, response, attempt)
            if wait is None:
                return response
            await self.async_sleep(wait)

    def _wait_for(self, request: HttpRequest, response: HttpResponse, attempt: int) -> float | None:
        """Return None when ``response`` is final, else how long to wait before resending."""
        if response.status == THROTTLED:
            wait = self.retry.wait_after_status(request, response.status, attempt, self.throttle_wait(response))
        elif response.status in RETRYABLE_STATUSES:
            wait = self.retry.wait_after_status(request, response.status, attempt, 0.0)
        else:
            return None
        self.log.warning("%s answered HTTP %s; retrying in %.1f s", request.describe(), response.status, wait)
        return wait

    def _send(self, request: HttpRequest) -> HttpResponse:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        answer = session.request(
            request.method,
            request.url,
            params=request.params or None,
            data=request.data,
            json=request.json,
            files=request.files,
            headers=request.headers,
            auth=request.basic_auth,
            timeout=self.timeout,
        )
        headers = {k.lower(): v for k, v in answer.headers.items()}
        return HttpResponse(answer.status_code, headers, answer.content)

    async def _a_send(self, request: HttpRequest) -> HttpResponse:
        if request.files:
            raise NotImplementedError("multipart uploads are sent by the sync transport only")
        headers = dict(request.headers)
        if request.basic_auth:
            headers["Authorization"] = basic_auth_header(*request.basic_auth)
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.request(
                request.method,
                request.url,
                params=request.params or None,
                data=request.data,
                json=request.json,
                headers=headers,
            ) as answer:
                body = await answer.read()
                headers = {k.lower(): v for k, v in answer.headers.items()}
                return HttpResponse(answer.status, headers, body)


def basic_auth_header(user: str, password: str) -> str:
    """The ``Authorization`` value of HTTP basic auth (aiohttp's BasicAuth is deprecated)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def base_url_of(conn: Connection, default: str) -> str:
    """Build a base URL from a Connection: a full URL in host, or schema://host:port/path."""
    host = (conn.host or "").strip()
    if not host:
        return default.rstrip("/")
    if "://" not in host:
        scheme = conn.schema or "https"
        port = f":{conn.port}" if conn.port else ""
        host = f"{scheme}://{host}{port}"
    return host.rstrip("/")
