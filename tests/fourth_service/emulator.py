"""The Example Survey's emulator (imports nothing of the client side)."""

from __future__ import annotations

import numpy as np
from aiohttp import web

from fphot_provider.emulators.common import base_app

KEY = "example-key"


async def light_curve(request: web.Request) -> web.Response:
    if request.headers.get("X-Api-Key") != KEY:
        return web.Response(status=401, text="bad key")
    start, end = float(request.query["mjd_min"]), float(request.query["mjd_max"])
    nights = np.arange(np.ceil(start), np.floor(end) + 1, 3.0)
    lines = ["obs_id,mjd,band,flux_ujy,flux_err_ujy"]
    lines += [f"ex{int(n)},{n + 0.5},{'gr'[int(n) % 2]},{100 + 5 * np.sin(n):.2f},5.0" for n in nights]
    return web.Response(text="\n".join(lines) + "\n", content_type="text/csv")


def create_app() -> web.Application:
    app = base_app()
    app.router.add_get("/lc.csv", light_curve, name="lc")
    return app
