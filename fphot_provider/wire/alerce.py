"""ALeRCE's APIs for LSST and ZTF: request builders and readers (no I/O).

Public, no credentials.

- LSST (``https://api-lsst.alerce.online``): ``GET /object_api/list_objects?survey=lsst&ra&dec&
  radius`` (arcsec) pages ``{total, next, has_next, prev, has_prev, current_page, items,
  info_message}``; only classified objects, each listed once per classifier (deduplicated by
  ``oid`` here). ``GET /lightcurve_api/forced-photometry?survey_id=lsst&oid=...`` lists
  ``{band, mjd, oid, measurement_id, psfFlux, psfFluxErr, scienceFlux, ...}``; ONE ``oid`` is
  cut to 10 unordered rows, repeated ``oid`` parameters get every row: the object is asked as
  ``oid=X&oid=X``. An unknown object answers 500 ``{"detail": "An error occurred"}``.
- ZTF (``https://api.alerce.online``): ``GET /ztf/v1/objects?ra&dec&radius`` (arcsec) pages
  ``{total, page, next, has_next, prev, has_prev, items}`` of objects (``oid``, ``meanra``,
  ``meandec``, ``ndet``); ``GET /v2/lightcurve/forced-photometry/<oid>`` lists the object's
  forced photometry (``pid, mjd, fid, mag, e_mag, isdiffpos, procstatus, extra_fields``); an
  unknown oid answers ``[]``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fphot_provider.exceptions import InvalidQueryError, RemoteServiceError
from fphot_provider.wire.brokers import BrokerObject, answer_json, check_radius, nearest_first
from fphot_provider.wire.http import HttpRequest, HttpResponse

LSST_BASE_URL = "https://api-lsst.alerce.online"
ZTF_BASE_URL = "https://api.alerce.online"
MAX_RADIUS_ARCSEC = 3600.0  # our bound (a forced-photometry cone is arcseconds); not a documented limit
PAGE_SIZE = 100
MAX_PAGES = 20


def lsst_cone_request(base_url: str, ra: float, dec: float, radius_arcsec: float, page: int = 1) -> HttpRequest:
    return _cone_request(f"{base_url.rstrip('/')}/object_api/list_objects", ra, dec, radius_arcsec, page, survey="lsst")


def _cone_request(url: str, ra: float, dec: float, radius_arcsec: float, page: int, **extra: str) -> HttpRequest:
    """One page of objects within ``radius_arcsec`` (both surveys' object lists take the same)."""
    check_radius(radius_arcsec, MAX_RADIUS_ARCSEC)
    params = {"ra": repr(ra), "dec": repr(dec), "radius": repr(radius_arcsec), "page": str(page)}
    return HttpRequest("GET", url, params={**extra, **params, "page_size": str(PAGE_SIZE)})


def lsst_fp_request(base_url: str, oid: str) -> HttpRequest:
    """Every forced-photometry row of one object: the oid twice, so the 10-row cut does not apply."""
    _check_oid(oid)
    params = {"survey_id": "lsst", "oid": [oid, oid]}
    return HttpRequest("GET", f"{base_url.rstrip('/')}/lightcurve_api/forced-photometry", params=params)


def ztf_cone_request(base_url: str, ra: float, dec: float, radius_arcsec: float, page: int = 1) -> HttpRequest:
    return _cone_request(f"{base_url.rstrip('/')}/ztf/v1/objects", ra, dec, radius_arcsec, page)


def ztf_fp_request(base_url: str, oid: str) -> HttpRequest:
    _check_oid(oid)
    return HttpRequest("GET", f"{base_url.rstrip('/')}/v2/lightcurve/forced-photometry/{quote(oid, safe='')}")


def check(response: HttpResponse, what: str) -> str:
    if not response.ok:
        detail = response.text[:200]
        raise RemoteServiceError(f"ALeRCE {what} failed with HTTP {response.status}: {detail}", status=response.status)
    return response.text


def read_objects_page(text: str, what: str, ra: float, dec: float) -> tuple[list[BrokerObject], bool]:
    """One page of a cone answer: its objects and whether another page follows."""
    page = answer_json(text, what, dict)
    items = page.get("items")
    if not isinstance(items, list):
        raise RemoteServiceError(f"{what}: no 'items' list in the answer (keys {sorted(page)[:8]})")
    return [_object(item, what, ra, dec) for item in items], bool(page.get("has_next"))


def unique_nearest(objects: list[BrokerObject]) -> list[BrokerObject]:
    """Each oid once (ALeRCE LSST lists an object once per classifier), nearest first."""
    return nearest_first({obj.id: obj for obj in objects}.values())


def _object(item: Any, what: str, ra: float, dec: float) -> BrokerObject:
    if not isinstance(item, dict) or item.get("oid") in (None, ""):
        raise RemoteServiceError(f"{what}: an item without 'oid': {str(item)[:200]}")
    return BrokerObject.at(str(item["oid"]), item.get("meanra"), item.get("meandec"), ra, dec)


def _check_oid(oid: str) -> None:
    if not str(oid).strip():
        raise InvalidQueryError("oid", "an object id is needed")
