"""Where files live, and how they are written: atomically, under a per-file lock.

Raw service files are kept before anything else happens to them (and before a remote job is
deleted), so a failed parse or sink can always be replayed from disk.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENV_DATA_DIR = "FPHOT_DATA_DIR"


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """The root of raw files, file-sink datasets and plots.

    Order: ``override``, ``$FPHOT_DATA_DIR``, Airflow config ``[fphot] data_dir``,
    ``$AIRFLOW_HOME/fphot``.
    """
    if override:
        return Path(override)
    if os.environ.get(ENV_DATA_DIR):
        return Path(os.environ[ENV_DATA_DIR])
    configured = _airflow_setting("data_dir")
    if configured:
        return Path(configured)
    return Path(os.environ.get("AIRFLOW_HOME", Path.home() / "airflow")) / "fphot"


def _airflow_setting(key: str) -> str:
    try:
        from airflow.configuration import conf
    except ImportError:  # used outside Airflow (the CLI parser)
        return ""
    return conf.get("fphot", key, fallback="") or ""


def atomic_write(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temp file in the same folder and a rename.

    Readers never see half a file, and a crash leaves the old file intact.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` (across processes) for a read-modify-write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def raw_path(root: Path, service: str, target_safe_name: str, key: str) -> Path:
    """The path of one raw service file: ``raw/<service>/<target>/<key>``."""
    return root / "raw" / service / target_safe_name / key


def store_raw(root: Path, service: str, target_safe_name: str, key: str, text: str) -> Path:
    """Keep a raw service answer on disk (atomically); return its path."""
    return atomic_write(raw_path(root, service, target_safe_name, key), text.encode("utf-8"))
