"""A loopback proxy in front of the real TOM that serves injected faults (5xx, dropped
connections) before forwarding, with the emulators' fault plan and counters."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from fphot_provider.emulators.common import base_app

HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection"}


def faulty_proxy(upstream: str) -> web.Application:
    """Forward every request to ``upstream`` unless a fault is due."""
    app = base_app()

    async def forward(request: web.Request) -> web.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method,
                f"{upstream}{request.path_qs}",
                data=await request.read(),
                headers=headers,
            ) as answer,
        ):
            body = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP | {"content-encoding"}}
            return web.Response(status=answer.status, body=body, headers=kept)

    app.router.add_route("*", "/{tail:.*}", forward)
    return app
