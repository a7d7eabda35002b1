"""TOM Toolkit's REST API, sans I/O: the reduced datums fphot writes and how its answers read.

What the API offers decides the design (checked against TOM Toolkit 3.1 on a real server):

- ``POST /api/reduceddatums/`` takes one datum per request and answers ``200 already_exists``
  for a photometry point equal on (target, bandpass, timestamp, brightness or limit,
  instrument, reduction_version): posting again is harmless, so the sink may resend.
- A datum cannot be changed, and the list shows no datum ids, so it cannot be deleted one by
  one; a data product can be deleted, and its linked datums go with it. fphot therefore links
  each datum to the data product of the batch that wrote it, and replaces a batch as a whole.
- ``POST /api/dataproducts/`` skips a ``product_id`` it already holds: content-hashed ids make
  uploads idempotent.
- The list shows only brightness, error, bandpass and telescope of a point (no limit, no extra
  fields), so the full rows live in the batch file (``fphot_photometry``) next to the datums.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from fphot_provider.wire.http import HttpRequest, HttpResponse

TABLE_TYPE = "fphot_photometry"
MJD_UNIX_EPOCH = 40587.0
# (source_name, telescope) as TOM Toolkit's own ATLAS and PanSTARRS processors write them.
SOURCES: dict[str, tuple[str, str]] = {
    "atlas": ("ATLAS", "ATLAS"),
    "ztf": ("ZTF", "ZTF"),
    "panstarrs": ("PanSTARRS", "PanSTARRS 1"),
    "fink_lsst": ("Fink", "Rubin/LSST"),
    "alerce_lsst": ("ALeRCE", "Rubin/LSST"),
    "alerce_ztf": ("ALeRCE", "ZTF"),
}


def content_id(target_id: int, service: str, kind: str, content: bytes) -> str:
    """A product id naming its content: the same bytes are never uploaded twice."""
    return f"fphot-{target_id}-{service}-{kind}-{hashlib.sha256(content).hexdigest()[:20]}"


def batch_prefix(target_id: int, service: str | None = None) -> str:
    """The product-id prefix of fphot's batches of a target (and service)."""
    return f"fphot-{target_id}-" if service is None else f"fphot-{target_id}-{service}-batch-"


def timestamps(mjd: pd.Series) -> list[str]:
    """ISO-8601 UTC timestamps (microseconds) of MJDs, as the API's datetime field wants them."""
    seconds = (mjd.to_numpy(dtype=float) - MJD_UNIX_EPOCH) * 86400.0
    return pd.to_datetime(seconds, unit="s", utc=True).strftime("%Y-%m-%dT%H:%M:%S.%fZ").tolist()


def plotted(rows: pd.DataFrame, include_flagged: bool = False) -> pd.DataFrame:
    """The rows that become TOM points: a magnitude or a limit, and good unless asked otherwise.

    TOM's light curve has no notion of quality flags, so flagged rows stay in the batch file.
    """
    drawable = (rows["detected"] & rows["mag"].notna()) | (~rows["detected"] & rows["limit_mag"].notna())
    return rows[drawable & (rows["good"] | include_flagged)]


def datums(
    rows: pd.DataFrame, target_id: int, product_pk: int | None, include_flagged: bool = False
) -> list[dict[str, Any]]:
    """The reduced datums of ``rows`` (one service): the fields TOM's processors produce.

    ``reduction_version`` names the service, so two services' points at one epoch stay apart;
    ``source_location`` names the exposure, so a user can trace a point back.
    """
    rows = plotted(rows, include_flagged)
    out = []
    for row, stamp in zip(rows.itertuples(index=False), timestamps(rows["mjd"]), strict=True):
        source_name, telescope = SOURCES.get(str(row.service), (str(row.service), str(row.service)))
        value: dict[str, Any] = {
            "filter": str(row.filter),
            "telescope": telescope,
            "reduction_version": f"fphot-{row.service}",
        }
        if row.detected:
            value.update(magnitude=float(row.mag), error=_number(row.mag_err))
        else:
            value["limit"] = float(row.limit_mag)
        value.update(flux_ujy=_number(row.flux_ujy), flux_err_ujy=_number(row.flux_err_ujy), flags=str(row.flags))
        out.append(
            {
                "target": target_id,
                "data_product": product_pk,
                "data_type": "photometry",
                "timestamp": stamp,
                "source_name": source_name,
                "source_location": f"fphot:{row.service}:{row.exposure_id}"[:200],
                "value": value,
            }
        )
    return out


def distinct_points(batch: list[dict[str, Any]]) -> int:
    """How many points TOM keeps of ``batch``: it folds points equal on its unique key."""
    keys = {
        (
            d["timestamp"],
            d["value"]["filter"],
            d["value"].get("magnitude"),
            d["value"].get("limit"),
            d["value"]["reduction_version"],
        )
        for d in batch
    }
    return len(keys)


def extra_data(service: str, rows: int, points: int) -> str:
    """The product's ``extra_data``: what the batch holds, for people browsing the TOM."""
    return json.dumps({"fphot": {"service": service, "rows": rows, "points": points}})


def error_message(body: Any) -> str:
    """The TOM's own words from a 4xx body (``{"field": ["message"]}`` or ``{"detail": ...}``)."""
    if isinstance(body, dict):
        parts = [f"{key}: {' '.join(map(str, v)) if isinstance(v, list) else v}" for key, v in body.items()]
        return "; ".join(parts)
    if isinstance(body, list):
        return "; ".join(map(str, body))
    return str(body)


def _number(value: Any) -> float | None:
    """A JSON-safe float (NaN is not JSON)."""
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)


# --- requests -------------------------------------------------------------------------------------
def token_request(base_url: str, login: str, password: str) -> HttpRequest:
    """Exchange a login and password for the user's API token (``/api/token-auth/``)."""
    return HttpRequest("POST", f"{base_url}/api/token-auth/", data={"username": login, "password": password})


def api_request(base_url: str, method: str, path: str, token: str, **fields: Any) -> HttpRequest:
    """An authenticated API request to ``path`` under the TOM (or a full URL the TOM gave, e.g. ``next``)."""
    url = path if path.startswith("http") else f"{base_url}{path}"
    return HttpRequest(method, url, headers={"Authorization": f"Token {token}"}, **fields)


def media_request(base_url: str, url: str, token: str) -> HttpRequest:
    """Download a data product's file; media may live elsewhere (object storage): the token goes only to the TOM."""
    same_origin = urlsplit(url)[:2] == urlsplit(base_url)[:2]
    return HttpRequest("GET", url, headers={"Authorization": f"Token {token}"} if same_origin else {})


def refusal(response: HttpResponse) -> str:
    """The TOM's own words for a 4xx answer."""
    try:
        return error_message(json.loads(response.body))
    except ValueError:
        return response.text[:200]
