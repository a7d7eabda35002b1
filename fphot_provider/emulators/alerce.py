"""Emulators of ALeRCE's LSST and ZTF APIs on loopback (two apps: two base URLs).

Shapes from DESIGN section 3 (alerce_client 2.3.1, alercebroker/web-services and use-case
notebooks recorded live in June 2026):

- LSST ``/object_api/list_objects``: pages ``{total, next, has_next, prev, has_prev,
  current_page, items, info_message}``; each object listed once per classifier (two here).
  Item fields beyond ``oid`` (``meanra``, ``meandec``, ``classifier_name``, ``class_name``,
  ``probability``) are a guess. ``/lightcurve_api/forced-photometry``: ONE ``oid`` gets 10
  unordered rows; repeated ``oid`` parameters get every row of each distinct oid (that a
  repeated same oid is answered once is a guess); an unknown oid answers 500
  ``{"detail": "An error occurred"}``. ``band`` is a number: 6, 1, 2, 3, 4, 5 = u, g, r, i, z, y.
- ZTF ``/ztf/v1/objects``: pages ``{total, page, next, has_next, prev, has_prev, items}``;
  ``/v2/lightcurve/forced-photometry/<oid>``: a list of rows, ``[]`` for an unknown oid.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from aiohttp import web

from fphot_provider.emulators import broker_sky
from fphot_provider.emulators.common import base_app
from fphot_provider.emulators.sky import SkyAnchors, separation_arcsec

STATE_KEY = web.AppKey("alerce_state", dict)
BAND_NUMBER = {"u": 6, "g": 1, "r": 2, "i": 3, "z": 4, "y": 5}
CLASSIFIERS = (("lc_classifier", "SNIa", 0.61), ("stamp_classifier", "SN", 0.77))
SINGLE_OID_ROWS = 10


def _json(value: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(value), content_type="application/json")


def _cone(request: web.Request, find: Any) -> tuple[list[Any], float, float] | web.Response:
    try:
        ra, dec = float(request.query["ra"]), float(request.query["dec"])
        radius = float(request.query.get("radius", 30))
    except (KeyError, ValueError):
        return _json({"detail": "ra, dec and radius must be numbers"}, 422)
    state = request.app[STATE_KEY]
    centre = state["sky"].anchor(ra, dec)
    found = [o for o in find(*centre) if separation_arcsec(ra, dec, o.ra, o.dec) <= radius]
    state["objects"].update({str(o.id): o for o in found})
    return found, ra, dec


def _page(request: web.Request, items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int, bool]:
    page, size = int(request.query.get("page", 1)), int(request.query.get("page_size", 10))
    return items[(page - 1) * size : page * size], page, page * size < len(items)


async def lsst_objects(request: web.Request) -> web.Response:
    result = _cone(request, broker_sky.rubin_objects)
    if isinstance(result, web.Response):
        return result
    found, _, _ = result
    items = [
        {"oid": o.id, "meanra": o.ra, "meandec": o.dec, "classifier_name": c, "class_name": k, "probability": p}
        for o in found
        if o.n_detections >= 2  # only classified objects are listed
        for c, k, p in CLASSIFIERS
    ]
    shown, page, more = _page(request, items)
    body = {
        "total": len(items),
        "next": page + 1 if more else None,
        "has_next": more,
        "prev": page - 1 if page > 1 else None,
        "has_prev": page > 1,
        "current_page": page,
        "items": shown,
        "info_message": None,
    }
    return _json(body)


async def lsst_forced_photometry(request: web.Request) -> web.Response:
    oids = request.query.getall("oid", [])
    objects = request.app[STATE_KEY]["objects"]
    if not oids or any(oid not in objects for oid in oids):
        return _json({"detail": "An error occurred"}, 500)
    rows = [_lsst_row(source) for oid in dict.fromkeys(oids) for source in _sources(objects[oid])]
    if len(oids) == 1 and len(rows) > SINGLE_OID_ROWS:  # the recorded cut: 10 rows, in no order
        rng = np.random.default_rng()
        rows = [rows[i] for i in rng.choice(len(rows), SINGLE_OID_ROWS, replace=False)]
    return _json(rows)


def _sources(obj: broker_sky.SkyObject) -> list[dict[str, Any]]:
    return broker_sky.rubin_forced_sources(int(obj.id), obj.ra, obj.dec)


def _lsst_row(source: dict[str, Any]) -> dict[str, Any]:
    return {
        "band_map": BAND_NUMBER,
        "band": BAND_NUMBER[source["band"]],
        "mjd": source["midpointMjdTai"],
        "survey_id": "lsst",
        "oid": source["diaObjectId"],
        "measurement_id": source["diaForcedSourceId"],
        "ra": source["ra"],
        "dec": source["dec"],
        "visit": source["visit"],
        "detector": source["detector"],
        "psfFlux": source["psfFlux"],
        "psfFluxErr": source["psfFluxErr"],
        "scienceFlux": source["scienceFlux"],
        "scienceFluxErr": source["scienceFluxErr"],
    }


async def ztf_objects(request: web.Request) -> web.Response:
    result = _cone(request, broker_sky.ztf_objects)
    if isinstance(result, web.Response):
        return result
    found, _, _ = result
    items = [{"oid": o.id, "meanra": o.ra, "meandec": o.dec, "ndet": o.n_detections} for o in found]
    shown, page, more = _page(request, items)
    body = {
        "total": len(items),
        "page": page,
        "next": page + 1 if more else None,
        "has_next": more,
        "prev": page - 1 if page > 1 else None,
        "has_prev": page > 1,
        "items": shown,
    }
    return _json(body)


async def ztf_forced_photometry(request: web.Request) -> web.Response:
    obj = request.app[STATE_KEY]["objects"].get(request.match_info["oid"])
    if obj is None:
        return _json([])  # an unknown oid: an empty list, not an error
    return _json(broker_sky.ztf_alert_photometry(str(obj.id), obj.ra, obj.dec))


def _app() -> web.Application:
    app = base_app()
    app[STATE_KEY] = {"sky": SkyAnchors(), "objects": {}}
    return app


def create_lsst_app() -> web.Application:
    app = _app()
    app.router.add_get("/object_api/list_objects", lsst_objects, name="list_objects")
    app.router.add_get("/lightcurve_api/forced-photometry", lsst_forced_photometry, name="forced_photometry")
    return app


def create_ztf_app() -> web.Application:
    app = _app()
    app.router.add_get("/ztf/v1/objects", ztf_objects, name="objects")
    app.router.add_get("/v2/lightcurve/forced-photometry/{oid}", ztf_forced_photometry, name="forced_photometry")
    return app
