"""PanSTARRS DR2 through the MAST Catalogs API: request builders and table readers (no I/O).

Synchronous: ``GET /dr2/{table}.{csv|json}`` with ``ra``, ``dec``, ``radius`` (degrees) or
``objID``, ``columns``, ``pagesize``/``page`` and filters like ``obsTime.gte``. CSV answers
have CRLF line ends; JSON answers are ``{"info": [column metadata], "data": [rows]}``; MAST
writes ``-999`` where a value is missing.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from fphot_provider.exceptions import InvalidQueryError, LoginError, RemoteServiceError
from fphot_provider.wire.http import HttpRequest, HttpResponse

DEFAULT_BASE_URL = "https://catalogs.mast.stsci.edu/api/v0.1/panstarrs"
TABLES = ("mean", "forced_mean", "detection", "stack")
FORMATS = ("csv", "json")
MISSING = -999.0
DEFAULT_PAGE_SIZE = 50000
MAX_RADIUS_DEG = 0.5
OBJECT_COLUMNS = ("objID", "raMean", "decMean", "nDetections")
DETECTION_COLUMNS = (
    "objID",
    "detectID",
    "filterID",
    "obsTime",
    "ra",
    "dec",
    "psfFlux",
    "psfFluxErr",
    "psfQfPerfect",
    "infoFlag",
    "infoFlag2",
    "infoFlag3",
)


def table_request(
    base_url: str,
    table: str,
    params: dict[str, Any],
    *,
    columns: Sequence[str] | None = None,
    fmt: str = "csv",
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    token: str | None = None,
) -> HttpRequest:
    """Build one page of a query of ``table`` (a cone via ra/dec/radius, or objID, plus filters)."""
    if table not in TABLES:
        raise InvalidQueryError("table", f"must be one of {TABLES}, got {table!r}")
    if fmt not in FORMATS:
        raise InvalidQueryError("format", f"must be one of {FORMATS}, got {fmt!r}")
    query = {**params, "pagesize": str(page_size), "page": str(page)}
    if columns:
        query["columns"] = "[" + ",".join(columns) + "]"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return HttpRequest("GET", f"{base_url.rstrip('/')}/dr2/{table}.{fmt}", params=query, headers=headers)


def cone_params(ra: float, dec: float, radius_deg: float) -> dict[str, str]:
    if not 0 < radius_deg <= MAX_RADIUS_DEG:
        raise InvalidQueryError("radius", f"must be > 0 and <= {MAX_RADIUS_DEG} degrees, got {radius_deg}")
    return {"ra": repr(ra), "dec": repr(dec), "radius": repr(radius_deg)}


def check_response(response: HttpResponse, what: str) -> str:
    """Return the body text, or raise the error that fits the answer."""
    if response.status in (401, 403):
        raise LoginError(f"MAST refused the token ({what}): HTTP {response.status}", status=response.status)
    if not response.ok:
        raise RemoteServiceError(
            f"MAST {what} failed with HTTP {response.status}: {response.text[:200]}", status=response.status
        )
    return response.text


def read_table(text: str, fmt: str) -> pd.DataFrame:
    """Read a CSV or JSON answer into a DataFrame; ``-999`` becomes NaN; a clear error if malformed."""
    try:
        table = _read_json(text) if fmt == "json" else _read_csv(text)
    except (ValueError, KeyError, TypeError, pd.errors.ParserError) as err:
        raise RemoteServiceError(f"MAST answer is not a {fmt} table: {err} ({text[:120]!r})") from None
    numeric = table.select_dtypes(include="number").columns
    table[numeric] = table[numeric].mask(table[numeric] == MISSING)
    return table


def _read_csv(text: str) -> pd.DataFrame:
    if not text.strip():
        return pd.DataFrame()
    if text.lstrip().startswith(("<", "{")):
        raise ValueError("not CSV")
    return pd.read_csv(io.StringIO(text), dtype={"objID": "Int64", "detectID": "Int64"})


def _read_json(text: str) -> pd.DataFrame:
    body = json.loads(text)
    if not isinstance(body, dict) or "data" not in body:
        raise ValueError('expected {"info": [...], "data": [...]}')
    names = [column["name"] for column in body.get("info", [])]
    # rows are lists (ordered as "info") or objects keyed by column name: DataFrame takes both
    return pd.DataFrame(body["data"], columns=names or None)


def separations_arcsec(ra: float, dec: float, ras: np.ndarray, decs: np.ndarray) -> np.ndarray:
    """Angular distances (arcsec) from (ra, dec) to each (ras, decs), haversine in numpy."""
    r1, d1, r2, d2 = map(np.radians, (ra, dec, np.asarray(ras, float), np.asarray(decs, float)))
    a = np.sin((d2 - d1) / 2) ** 2 + np.cos(d1) * np.cos(d2) * np.sin((r2 - r1) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))) * 3600.0
