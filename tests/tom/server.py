"""A real TOM Toolkit for the tests, built the way its documentation builds one.

TOM Toolkit comes from PyPI into its own virtual environment (``tests/tom/requirements.txt``,
frozen: it pins its own Django, astropy and numpy, which must not meet Airflow's). The venv is
cached under ``.cache/`` by the hash of that file. A new project is made per test session:
``django-admin startproject``, ``manage.py tom_setup`` (its prompts answered on stdin), the
lines of ``settings_fphot.py`` appended, ``migrate`` on SQLite, a user with a password, and the
development server on a free loopback port.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.helpers import free_port, wait_until

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
REQUIREMENTS = HERE / "requirements.txt"
USER, PASSWORD = "fphot", "fphot-tom-test-pw"
# Answers to tom_setup's prompts: continue, default app name, SIDEREAL, no hints.
SETUP_ANSWERS = "y\n\n1\nn\n"


def tom_venv() -> Path:
    """The cached TOM Toolkit venv (built on first use, ~1-2 min; then reused)."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    venv = REPO / ".cache" / f"tom-venv-{digest}"
    if (venv / "ready").exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "-r", str(REQUIREMENTS)], capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"installing TOM Toolkit failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    (venv / "ready").touch()
    return venv


@dataclass
class TomServer:
    """A running TOM: its URL, the user, and ``manage`` for commands in its environment."""

    venv: Path
    project: Path
    port: int
    proc: subprocess.Popen | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.project / "runserver.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            [str(self.venv / "bin" / "python"), "manage.py", *args],
            cwd=self.project,
            input=stdin,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=600,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        return done.stdout

    def shell(self, code: str) -> str:
        """Run Python in the TOM's Django shell (for what its API does not show, e.g. limits)."""
        return self.manage("shell", "-v", "0", "-c", code).strip()

    def start(self) -> None:
        with self.log.open("wb") as out:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [str(self.venv / "bin" / "python"), "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
                cwd=self.project,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._answers, timeout=60, interval=0.2)

    def _answers(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"the TOM server exited:\n{self.log.read_text()[-3000:]}")
        try:
            return requests.get(f"{self.url}/api/", timeout=2).status_code < 500
        except requests.ConnectionError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)

    @functools.cached_property
    def _token(self) -> str:
        answer = requests.post(f"{self.url}/api/token-auth/", data={"username": USER, "password": PASSWORD}, timeout=10)
        answer.raise_for_status()
        return answer.json()["token"]

    def token(self) -> str:
        """The user's API token (asked for once)."""
        return self._token

    def api(self, path: str, **params: object) -> dict:
        answer = requests.get(
            f"{self.url}{path}", params=params, headers={"Authorization": f"Token {self.token()}"}, timeout=30
        )
        answer.raise_for_status()
        return answer.json()


def make_tom(port: int = 0) -> TomServer:
    """Create, migrate and start a new TOM project (port 0: a free one); the caller stops it."""
    venv = tom_venv()
    root = Path(tempfile.mkdtemp(prefix="fphot-tom-"))
    subprocess.run([str(venv / "bin" / "django-admin"), "startproject", "fphottom"], cwd=root, check=True)
    server = TomServer(venv, root / "fphottom", port or free_port())
    settings = server.project / "fphottom" / "settings.py"
    settings.write_text(
        settings.read_text().replace(
            "'django.contrib.staticfiles',", "'django.contrib.staticfiles',\n    'tom_setup',", 1
        )
    )
    server.manage("tom_setup", stdin=SETUP_ANSWERS)
    with settings.open("a") as handle:
        handle.write((HERE / "settings_fphot.py").read_text())
    server.manage("migrate", "-v", "0")
    server.manage(
        "createsuperuser",
        "--noinput",
        "--username",
        USER,
        "--email",
        "fphot@example.org",
        env={"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
    )
    server.start()
    return server
