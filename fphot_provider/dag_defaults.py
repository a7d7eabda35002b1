"""Task defaults the shipped DAGs share, from Airflow config (``[fphot] task_retries``,
``[fphot] retry_delay_seconds``): transient failures are retried, and a retry re-attaches to the
remote job its first try submitted (task-state store) instead of submitting again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fphot_provider.storage import _airflow_setting


def default_args() -> dict[str, Any]:
    retries = _airflow_setting("task_retries").strip()
    delay = _airflow_setting("retry_delay_seconds").strip()
    return {
        "retries": int(retries) if retries else 2,
        "retry_delay": timedelta(seconds=float(delay) if delay else 120.0),
        "retry_exponential_backoff": True,
    }
