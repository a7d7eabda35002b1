"""Emulator of Fink's LSST API on loopback: conesearch and forced photometry, as JSON.

Shapes from fink-object-api (``apps/routes/v1/lsst/fp/api.py``, ``apps/routes/v1/lsst/
conesearch/utils.py``, ``apps/utils/utils.py``) and DESIGN section 3: requests are JSON bodies
(or query arguments), answers ``pandas.to_json(orient="records")`` lists; a missing argument or
a radius above 18,000" is HTTP 400 with ``str(dict)`` as the body (Python repr, not JSON);
objects with fewer than two detections have no forced photometry.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from fphot_provider.emulators import broker_sky
from fphot_provider.emulators.common import base_app
from fphot_provider.emulators.sky import SkyAnchors, separation_arcsec

STATE_KEY = web.AppKey("fink_state", dict)
REQUIRED_FP = ("diaObjectId",)
REQUIRED_CONE = ("ra", "dec", "radius")


def _repr_error(text: str) -> web.Response:
    """Fink's error answer: ``Response(str(rep), 400)``."""
    return web.Response(status=400, text=str({"status": "error", "text": text}))


def _missing(payload: dict[str, Any], required: tuple[str, ...]) -> web.Response | None:
    for name in required:
        if name not in payload:
            return _repr_error(f"A value for `{name}` is required. See https://api.fink-portal.org \n")
    return None


async def _payload(request: web.Request) -> dict[str, Any]:
    """Query arguments if any, else the JSON body (as the real resource reads them)."""
    if request.query:
        return dict(request.query)
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _columns(payload: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    wanted = [c.strip() for c in str(payload.get("columns", "")).split(",") if c.strip()]
    return {k: v for k, v in row.items() if not wanted or k in wanted or k.startswith("v:")}


async def conesearch(request: web.Request) -> web.Response:
    payload = await _payload(request)
    if (refused := _missing(payload, REQUIRED_CONE)) is not None:
        return refused
    ra, dec, radius = float(payload["ra"]), float(payload["dec"]), float(payload["radius"])
    if radius > 18000.0:
        return _repr_error("`radius` cannot be bigger than 18,000 arcseconds (5 degrees).\n")
    known = request.app[STATE_KEY]
    centre = known["sky"].anchor(ra, dec)
    rows = []
    for obj in broker_sky.rubin_objects(*centre):
        separation = separation_arcsec(ra, dec, obj.ra, obj.dec)
        if separation <= radius:
            known["objects"][int(obj.id)] = obj
            row = {"r:diaObjectId": obj.id, "r:ra": obj.ra, "r:dec": obj.dec, "v:separation_degree": separation / 3600}
            rows.append(_columns(payload, row))
    return web.Response(
        text=json.dumps(sorted(rows, key=lambda r: r["v:separation_degree"])), content_type="application/json"
    )


async def forced_photometry(request: web.Request) -> web.Response:
    payload = await _payload(request)
    if (refused := _missing(payload, REQUIRED_FP)) is not None:
        return refused
    rows = []
    for text in str(payload["diaObjectId"]).split(","):
        obj = request.app[STATE_KEY]["objects"].get(int(text.strip())) if text.strip().isdigit() else None
        if obj is None or obj.n_detections < 2:  # Fink keeps forced photometry of 2+ detections only
            continue
        for source in broker_sky.rubin_forced_sources(int(obj.id), obj.ra, obj.dec):
            rows.append(_columns(payload, {f"r:{name}": value for name, value in source.items()}))
    return web.Response(text=json.dumps(rows), content_type="application/json")


def create_app() -> web.Application:
    app = base_app()
    app[STATE_KEY] = {"sky": SkyAnchors(), "objects": {}}
    app.router.add_post("/api/v1/conesearch", conesearch, name="conesearch")
    app.router.add_get("/api/v1/conesearch", conesearch)
    app.router.add_post("/api/v1/fp", forced_photometry, name="fp")
    app.router.add_get("/api/v1/fp", forced_photometry)
    return app
