"""Transport-neutral HTTP request/response values and the retry policy."""

from __future__ import annotations

import email.utils
import json
import time
from dataclasses import dataclass, field
from typing import Any

from fphot_provider.exceptions import RemoteServiceError, ServiceThrottledError, ServiceUnavailableError

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
THROTTLED = 429


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request, described without sending it.

    ``params`` and ``headers`` may hold secrets (ZTF's ``userpass``, tokens): only ``method``
    and ``url`` are ever logged.
    """

    method: str
    url: str
    params: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    # multipart uploads, ``{field: (filename, bytes, content_type)}``; sync transport only
    files: dict[str, tuple[str, bytes, str]] | None = None
    basic_auth: tuple[str, str] | None = None
    # A submit must not be replayed blindly: a lost answer may hide a created job.
    idempotent: bool = True

    def describe(self) -> str:
        """Return a loggable one-liner with no secrets."""
        return f"{self.method} {self.url}"


@dataclass(frozen=True)
class HttpResponse:
    """A received answer: status, lower-cased headers, body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """Decode the body as JSON, or raise a RemoteServiceError saying what came instead."""
        try:
            return json.loads(self.body)
        except ValueError:
            snippet = self.text[:200].replace("\n", " ")
            raise RemoteServiceError(f"expected JSON, got {snippet!r}", status=self.status) from None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class RetryPolicy:
    """How many times and how long to retry a failing request.

    :param max_attempts: tries in all, the first included.
    :param backoff_seconds: first wait after a 5xx or connection error; doubles each time.
    :param max_backoff_seconds: cap of one wait.
    :param max_throttle_wait: a 429 asking for at most this many seconds is waited out inline;
        a longer one raises :class:`ServiceThrottledError` so the caller can defer instead.
    """

    max_attempts: int = 5
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0
    max_throttle_wait: float = 120.0

    def backoff(self, attempt: int) -> float:
        """Return the wait after failed attempt number ``attempt`` (1-based)."""
        return min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempt - 1))

    def wait_after_status(self, request: HttpRequest, status: int, attempt: int, throttle_wait: float) -> float:
        """Return how long to wait before retrying after ``status``; raise when we must not."""
        if status == THROTTLED:
            if throttle_wait > self.max_throttle_wait or attempt >= self.max_attempts:
                raise ServiceThrottledError(
                    f"{request.describe()} throttled; retry in {throttle_wait:.0f} s", wait_seconds=throttle_wait
                )
            return throttle_wait
        if attempt >= self.max_attempts:
            raise ServiceUnavailableError(
                f"{request.describe()} failed with HTTP {status} after {attempt} attempts", status=status
            )
        return self.backoff(attempt)

    def wait_after_error(self, request: HttpRequest, error: Exception, attempt: int) -> float:
        """Return the wait before retrying after a connection error or timeout; raise when exhausted."""
        if attempt >= self.max_attempts:
            raise ServiceUnavailableError(f"{request.describe()} failed after {attempt} attempts: {error}") from error
        return self.backoff(attempt)


def retry_after_seconds(headers: dict[str, str], now: float | None = None) -> float | None:
    """Read a ``Retry-After`` header (delta seconds or an HTTP date), or None when absent/garbled."""
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
