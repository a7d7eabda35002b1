"""Small test helpers: polling with a deadline instead of sleeping."""

from __future__ import annotations

import csv
import io
import socket
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def wait_until(check: Callable[[], T], *, timeout: float = 10.0, interval: float = 0.05) -> T:
    """Call ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_csv(targets: list[dict[str, Any]]) -> str:
    """Targets as the CSV the monitor's ``csv:`` source reads (columns name, ra, dec)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["name", "ra", "dec"])
    writer.writeheader()
    writer.writerows({"name": t["name"], "ra": t["ra"], "dec": t["dec"]} for t in targets)
    return out.getvalue()
