"""Fink's LSST API (``https://api.lsst.fink-portal.org``): request builders and readers (no I/O).

Public, no credentials. ``POST /api/v1/conesearch`` (JSON: ``ra``, ``dec``, ``radius`` in
arcsec, at most 18,000) answers one row per diaObject (its latest alert) with
``v:separation_degree``, nearest first; ``POST /api/v1/fp`` (``diaObjectId``: one id or a
comma-separated list, as a string) answers the objects' diaForcedSources with ``r:``-prefixed
columns. Errors come back as HTTP 400 whose body is a Python ``repr`` of a dict
(``{'status': 'error', 'text': '...'}``), not JSON. Ids exceed 2**53: read as exact integers
by :func:`json.loads`, handed on as strings, never floats.
"""

from __future__ import annotations

import ast
from typing import Any

from fphot_provider.exceptions import InvalidQueryError, RemoteServiceError
from fphot_provider.wire.brokers import BrokerObject, answer_json, check_radius, nearest_first
from fphot_provider.wire.http import HttpRequest, HttpResponse

DEFAULT_BASE_URL = "https://api.lsst.fink-portal.org"
MAX_RADIUS_ARCSEC = 18000.0
CONE_COLUMNS = ("r:diaObjectId", "r:ra", "r:dec")
FP_COLUMNS = (
    "r:diaForcedSourceId",
    "r:diaObjectId",
    "r:ra",
    "r:dec",
    "r:visit",
    "r:detector",
    "r:psfFlux",
    "r:psfFluxErr",
    "r:midpointMjdTai",
    "r:scienceFlux",
    "r:scienceFluxErr",
    "r:band",
    "r:timeProcessedMjdTai",
    "r:timeWithdrawnMjdTai",
)


def cone_request(base_url: str, ra: float, dec: float, radius_arcsec: float) -> HttpRequest:
    """The objects within ``radius_arcsec`` of (ra, dec)."""
    check_radius(radius_arcsec, MAX_RADIUS_ARCSEC)
    body = {
        "ra": repr(ra),
        "dec": repr(dec),
        "radius": repr(radius_arcsec),
        "columns": ",".join(CONE_COLUMNS),
        "output-format": "json",
    }
    return HttpRequest("POST", f"{base_url.rstrip('/')}/api/v1/conesearch", json=body)


def fp_request(base_url: str, object_ids: list[str]) -> HttpRequest:
    """The forced photometry of one or more diaObjects (ids as strings: exact)."""
    if not object_ids:
        raise InvalidQueryError("diaObjectId", "at least one object id is needed")
    body = {"diaObjectId": ",".join(object_ids), "columns": ",".join(FP_COLUMNS), "output-format": "json"}
    return HttpRequest("POST", f"{base_url.rstrip('/')}/api/v1/fp", json=body)


def check(response: HttpResponse, what: str) -> str:
    """The body of a good answer; Fink's Python-repr 400 turned into its message."""
    if response.status == 400:
        raise RemoteServiceError(f"Fink {what} refused: {error_text(response.text)}", status=400)
    if not response.ok:
        raise RemoteServiceError(
            f"Fink {what} failed with HTTP {response.status}: {response.text[:200]}", status=response.status
        )
    return response.text


def error_text(body: str) -> str:
    """``"{'status': 'error', 'text': '...'}"`` -> the text (the body itself if it is not that)."""
    try:
        value = ast.literal_eval(body.strip())
    except (ValueError, SyntaxError):
        return body.strip()[:300]
    return str(value.get("text", value)).strip() if isinstance(value, dict) else str(value)[:300]


def read_cone(text: str, ra: float, dec: float) -> list[BrokerObject]:
    """Objects of a cone answer, nearest first (one row per diaObject)."""
    rows = answer_json(text, "Fink conesearch", list)
    objects = [_object(row, ra, dec) for row in rows]
    return nearest_first({obj.id: obj for obj in objects}.values())


def _object(row: Any, ra: float, dec: float) -> BrokerObject:
    if not isinstance(row, dict) or row.get("r:diaObjectId") is None:
        raise RemoteServiceError(f"Fink conesearch: a row without r:diaObjectId: {str(row)[:200]}")
    separation = row.get("v:separation_degree")
    return BrokerObject.at(
        str(row["r:diaObjectId"]),
        row.get("r:ra"),
        row.get("r:dec"),
        ra,
        dec,
        separation_arcsec=None if separation is None else float(separation) * 3600.0,
    )
