"""One exception per failure kind, so callers can react without string matching."""

from __future__ import annotations


class FphotError(Exception):
    """Base of every error raised by fphot_provider."""


class InvalidQueryError(FphotError, ValueError):
    """A target or query parameter is out of its allowed range; nothing was sent."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class TableParseError(FphotError, ValueError):
    """A service output could not be read as the photometry it claims to be."""


class RemoteServiceError(FphotError):
    """A service answered with an error that retrying will not fix."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ServiceUnavailableError(RemoteServiceError):
    """A service kept failing (5xx or connection errors) after every retry."""


class LoginError(RemoteServiceError):
    """The service refused the credentials of the Connection."""


class ServiceThrottledError(RemoteServiceError):
    """The service asked us to wait ``wait_seconds`` before the next request."""

    def __init__(self, message: str, *, wait_seconds: float, status: int | None = 429) -> None:
        super().__init__(message, status=status)
        self.wait_seconds = wait_seconds


class QueueFullError(RemoteServiceError):
    """The service refuses new jobs until some of ours finish (e.g. ATLAS's 500-task cap)."""


class JobFailedError(FphotError):
    """A remote job finished but produced no usable result."""


class JobTimeoutError(FphotError):
    """A remote job did not finish before the deadline we gave it."""


class SinkError(FphotError):
    """A sink could not store or read photometry."""


class TomApiError(SinkError):
    """The TOM refused a request (4xx); the message is the TOM's."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class ConfigurationError(FphotError):
    """A registry entry or configuration value cannot be used."""
