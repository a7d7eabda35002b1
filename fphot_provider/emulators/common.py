"""What every emulator shares: a thread runner, fault injection, request counting."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

FAULTS_KEY = web.AppKey("faults", "FaultPlan")
STATS_KEY = web.AppKey("stats", Counter)
EVENTS_KEY = web.AppKey("events", list)


@dataclass
class Fault:
    """Disturb the next ``count`` requests whose path starts with ``path``.

    ``status`` 0 drops the connection; 200 with ``truncate`` serves the real answer cut in
    half (a file cut short); ``delay`` answers normally after that many seconds; any other
    ``status`` is answered with ``body``.
    """

    status: int
    count: int = 1
    path: str = "/"
    method: str | None = None
    body: str = ""
    truncate: bool = False
    delay: float = 0.0


@dataclass
class FaultPlan:
    """Faults waiting to be served, in order."""

    pending: list[Fault] = field(default_factory=list)

    def add(self, fault: Fault) -> None:
        self.pending.append(fault)

    def take(self, request: web.Request) -> Fault | None:
        for fault in self.pending:
            if request.path.startswith(fault.path) and fault.method in (None, request.method):
                fault.count -= 1
                if fault.count <= 0:
                    self.pending.remove(fault)
                return fault
        return None


@web.middleware
async def fault_and_count(request: web.Request, handler: Any) -> web.StreamResponse:
    """Count every request by "METHOD route-name", log (request, status), serve injected faults first."""
    if request.path.startswith("/_emulator/"):
        return await handler(request)
    name = f"{request.method} {request.match_info.route.name or request.path}"
    request.app[STATS_KEY][name] += 1
    fault = request.app[FAULTS_KEY].take(request)
    if fault is not None and fault.delay:
        await asyncio.sleep(fault.delay)
    if fault is None or fault.delay:
        response = await handler(request)
    elif fault.truncate:
        full = await handler(request)
        response = web.Response(
            status=full.status, body=full.body[: len(full.body) // 2], content_type=full.content_type
        )
    elif fault.status == 0:
        request.app[EVENTS_KEY].append((name, 0))
        request.transport.close()  # a dropped connection: the client sees a disconnect
        raise web.HTTPInternalServerError()
    else:
        response = web.Response(status=fault.status, text=fault.body or f"emulated fault {fault.status}")
    request.app[EVENTS_KEY].append((name, response.status))
    return response


async def _post_fault(request: web.Request) -> web.Response:
    data = await request.json()
    request.app[FAULTS_KEY].add(Fault(**data))
    return web.json_response({"pending": len(request.app[FAULTS_KEY].pending)})


async def _get_stats(request: web.Request) -> web.Response:
    return web.json_response({"counts": dict(request.app[STATS_KEY]), "events": request.app[EVENTS_KEY]})


def base_app() -> web.Application:
    """An aiohttp app with fault injection and counters, and their control endpoints."""
    app = web.Application(middlewares=[fault_and_count])
    app[FAULTS_KEY] = FaultPlan()
    app[STATS_KEY] = Counter()
    app[EVENTS_KEY] = []
    app.router.add_post("/_emulator/faults", _post_fault)
    app.router.add_get("/_emulator/stats", _get_stats)
    return app


class EmulatorServer:
    """Run an aiohttp app on loopback in a background thread (tests, the demo, the CLI).

    :param app: the emulator application.
    :param port: 0 picks a free port.
    """

    def __init__(self, app: web.Application, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(target=self._serve, name="fphot-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=30):
            raise RuntimeError("emulator did not start within 30 s")
        return self

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._start_site())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    async def _start_site(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # the port chosen for port 0

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def json_error(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON error answer, as Django REST framework writes it."""
    return web.Response(status=status, text=json.dumps(payload), content_type="application/json", headers=headers)
