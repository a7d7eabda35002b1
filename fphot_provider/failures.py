"""What no retry can fix fails the Airflow task at once, without its retries.

Refused credentials, invalid parameters (a target, a window, a sink spec), a Connection that
does not exist, a file that does not parse, any other 4xx answer but 429: trying again in two
minutes would meet the same refusal and, for a submit, could queue work twice. Outages, 5xx,
timeouts and throttling stay ordinary exceptions, so Airflow's retries handle them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from airflow.sdk.exceptions import AirflowFailException, AirflowNotFoundException

from fphot_provider.exceptions import (
    ConfigurationError,
    InvalidQueryError,
    LoginError,
    RemoteServiceError,
    ServiceThrottledError,
    ServiceUnavailableError,
    TableParseError,
)

F = TypeVar("F", bound=Callable)
PERMANENT = (InvalidQueryError, LoginError, ConfigurationError, TableParseError, AirflowNotFoundException)


def is_permanent(err: BaseException) -> bool:
    """True when retrying cannot change the outcome of ``err``."""
    if isinstance(err, (ServiceThrottledError, ServiceUnavailableError)):
        return False
    if isinstance(err, PERMANENT):
        return True
    status = getattr(err, "status", None) if isinstance(err, RemoteServiceError) else None
    return status is not None and 400 <= status < 500 and status != 429


@contextmanager
def fail_fast() -> Iterator[None]:
    """Re-raise a permanent failure as :class:`AirflowFailException` (same message, cause kept)."""
    try:
        yield
    except AirflowFailException:
        raise
    except Exception as err:
        if is_permanent(err):
            raise AirflowFailException(f"{type(err).__name__}: {err} (not retried: a retry cannot fix this)") from err
        raise


def fails_fast(method: F) -> F:
    """Decorate ``execute``/``execute_complete`` so permanent failures skip the task's retries."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - the wrapped signature
        with fail_fast():
            return method(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
