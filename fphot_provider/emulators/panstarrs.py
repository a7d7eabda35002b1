"""A MAST Catalogs API for PanSTARRS DR2 on loopback (aiohttp): cone and objID queries.

``GET /api/v0.1/panstarrs/dr2/{mean|forced_mean|detection}.{csv|json}`` with ``ra``, ``dec``,
``radius`` (honoured), ``objID``, ``columns`` (honoured, unknown ones refused), ``pagesize`` and
``page``, and ``<column>.gte|lte|gt|lt`` filters. CSV with CRLF line ends as MAST writes it;
JSON as ``{"info": [...], "data": [...]}``; ``-999`` for missing values. Objects are generated
around each cone centre from the position (or registered by tests); each object's detections
are a deterministic 2010-2014 PS1 3pi light curve. Some positions also hold a single-detection
artifact closer than the real object (why clients ask the cone with ``nDetections.gt=1``), and
``infoFlag`` uses the DetectionFlags values (docs/service-facts.md).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from aiohttp import web

from fphot_provider.emulators.common import base_app
from fphot_provider.emulators.sky import SkyAnchors, position_seed, separation_arcsec

STATE_KEY = web.AppKey("panstarrs_state", "PanstarrsState")
PREFIX = "/api/v0.1/panstarrs/dr2"
MEAN_COLUMNS = (
    "objID",
    "raMean",
    "decMean",
    "nDetections",
    "gMeanPSFMag",
    "rMeanPSFMag",
    "iMeanPSFMag",
    "zMeanPSFMag",
    "yMeanPSFMag",
)
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
    "zp",
    "imageID",
)
DEFAULT_PAGE_SIZE = 50000


@dataclass
class PsObject:
    obj_id: int
    ra: float
    dec: float
    mag: float  # mean PSF magnitude (AB), all bands alike
    artifact: bool = False  # a single-detection artifact (nDetections = 1)


@dataclass
class PanstarrsState:
    registered: list[PsObject] | None = None  # set (even empty) by tests: the only objects there are
    known: dict[int, PsObject] = field(default_factory=dict)
    sky: SkyAnchors = field(default_factory=SkyAnchors)


def object_id(ra: float, dec: float, k: int) -> int:
    """A PS1-style objID: declination zone, RA, and a small index (positions are encoded)."""
    zone = int((dec + 90.0) * 120)
    return zone * 10**13 + int(ra * 1e7) * 1000 + 100 + k


def _objects_near(state: PanstarrsState, ra: float, dec: float) -> list[PsObject]:
    """The objects the emulated sky has around a cone centre."""
    if state.registered is not None:
        return state.registered
    ra, dec = state.sky.anchor(ra, dec)
    rng = np.random.default_rng(position_seed(ra, dec, "ps1:"))
    objects = []
    if rng.random() < 0.8:  # a host or a star right at the position
        objects.append(
            (ra + rng.normal(0, 0.1) / 3600 / max(math.cos(math.radians(dec)), 1e-3), dec + rng.normal(0, 0.1) / 3600)
        )
    for _ in range(rng.poisson(0.5)):  # neighbours a few arcsec away
        angle, distance = rng.uniform(0, 2 * math.pi), rng.uniform(1.5, 6.0) / 3600
        objects.append(
            (ra + distance * math.cos(angle) / max(math.cos(math.radians(dec)), 1e-3), dec + distance * math.sin(angle))
        )
    found = [PsObject(object_id(r, d, k), r, d, float(rng.uniform(16, 21.5))) for k, (r, d) in enumerate(objects)]
    if rng.random() < 0.3:  # a one-off artifact right at the position, nearer than the real object
        k = len(found)
        found.append(PsObject(object_id(ra, dec, k), ra, dec + 0.01 / 3600, float(rng.uniform(19, 21)), artifact=True))
    return found


def _detections(obj: PsObject) -> pd.DataFrame:
    """The object's PS1 3pi detections: ~12 epochs per band, 2010-2014, TAI midpoints."""
    rng = np.random.default_rng(obj.obj_id % 2**63)
    n = 1 if obj.artifact else int(rng.integers(40, 70))
    filter_id = rng.integers(1, 6, n)
    obs_time = np.sort(rng.uniform(55200, 56950, n)) + 0.02  # MJD TAI
    flux_jy = 10 ** (-0.4 * (obj.mag - 8.90))
    err = flux_jy * rng.uniform(0.01, 0.2, n) + 2e-6
    flags = _info_flags(rng, n)
    return pd.DataFrame(
        {
            "objID": obj.obj_id,
            "detectID": obj.obj_id % 10**9 * 1000 + np.arange(n),
            "filterID": filter_id,
            "obsTime": obs_time,
            "ra": obj.ra,
            "dec": obj.dec,
            "psfFlux": flux_jy + rng.normal(0, 1, n) * err,
            "psfFluxErr": err,
            "psfQfPerfect": np.where(rng.random(n) < 0.08, rng.uniform(0.3, 0.9, n), rng.uniform(0.95, 1, n)),
            "infoFlag": flags,
            "infoFlag2": 0,
            "infoFlag3": 0,
            "zp": rng.normal(25.0, 0.1, n),
            "imageID": 100000 + np.arange(n),
        }
    )


# DetectionFlags values (MAST "PS1 Detection Flags"): PSFMODEL 0x1, FITTED 0x4, SATSTAR 0x80,
# DEFECT 0x800, EXT_LIMIT 0x4000 (extended: a transient on its host, not a defect).
PSFMODEL, FITTED, SATSTAR, DEFECT, EXT_LIMIT = 0x1, 0x4, 0x80, 0x800, 0x4000


def _info_flags(rng: np.random.Generator, n: int) -> np.ndarray:
    """Mostly clean PSF fits; a few saturated stars and defects (bad), some extended (fine)."""
    draw = rng.random(n)
    flags = np.full(n, PSFMODEL | FITTED, dtype=np.int64)
    flags[draw < 0.03] |= SATSTAR
    flags[(draw >= 0.03) & (draw < 0.05)] |= DEFECT
    flags[(draw >= 0.05) & (draw < 0.15)] |= EXT_LIMIT
    return flags


def _mean_row(obj: PsObject) -> dict[str, Any]:
    rows = _detections(obj)
    row: dict[str, Any] = {"objID": obj.obj_id, "raMean": obj.ra, "decMean": obj.dec, "nDetections": len(rows)}
    for band_id, band in enumerate("grizy", start=1):
        fluxes = rows.loc[rows["filterID"] == band_id, "psfFlux"]
        good = fluxes[fluxes > 0]
        row[f"{band}MeanPSFMag"] = float(-2.5 * np.log10(good.mean()) + 8.90) if len(good) else -999.0
    return row


def _bad(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


def _apply_filters(table: pd.DataFrame, query: Any) -> pd.DataFrame:
    for key, value in query.items():
        name, _, op = key.rpartition(".")
        if op in ("gte", "lte", "gt", "lt") and name in table:
            ops = {
                "gte": table[name] >= float(value),
                "lte": table[name] <= float(value),
                "gt": table[name] > float(value),
                "lt": table[name] < float(value),
            }
            table = table[ops[op]]
    return table


def _columns(query: Any, default: tuple[str, ...]) -> list[str] | web.Response:
    raw = query.getall("columns", [])
    names = [n.strip() for part in raw for n in part.strip("[]").split(",") if n.strip()]
    unknown = [n for n in names if n not in default]
    return _bad(f"unknown columns {unknown}") if unknown else (names or list(default))


def _render(table: pd.DataFrame, fmt: str) -> web.Response:
    if fmt == "json":
        info = [{"name": c, "type": "double" if table[c].dtype.kind == "f" else "long"} for c in table.columns]
        data = [
            [None if isinstance(v, float) and math.isnan(v) else v for v in row]
            for row in table.astype(object).values.tolist()
        ]
        return web.json_response({"info": info, "data": data})
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\r\n")
    return web.Response(text=buffer.getvalue(), content_type="text/csv")


def _query_table(state: PanstarrsState, table: str, query: Any) -> pd.DataFrame | web.Response:
    if "objID" in query:
        obj = state.known.get(int(query["objID"]))
        objects = [obj] if obj else []
    else:
        try:
            ra, dec, radius = float(query["ra"]), float(query["dec"]), float(query["radius"])
        except (KeyError, ValueError):
            return _bad("ra, dec and radius (degrees) are required, or objID")
        objects = [o for o in _objects_near(state, ra, dec) if separation_arcsec(ra, dec, o.ra, o.dec) <= radius * 3600]
    state.known.update({o.obj_id: o for o in objects})
    if table == "detection":
        frames = [_detections(o) for o in objects]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=DETECTION_COLUMNS)
    return pd.DataFrame([_mean_row(o) for o in objects], columns=MEAN_COLUMNS)


async def table_handler(request: web.Request) -> web.Response:
    state: PanstarrsState = request.app[STATE_KEY]
    table, fmt = request.match_info["table"], request.match_info["fmt"]
    if table not in ("mean", "forced_mean", "detection") or fmt not in ("csv", "json"):
        return web.Response(status=404, text="Not Found")
    result = _query_table(state, table, request.query)
    if isinstance(result, web.Response):
        return result
    columns = _columns(request.query, DETECTION_COLUMNS if table == "detection" else MEAN_COLUMNS)
    if isinstance(columns, web.Response):
        return columns
    result = _apply_filters(result, request.query)[columns]
    size = int(request.query.get("pagesize", DEFAULT_PAGE_SIZE))
    page = int(request.query.get("page", 1))
    return _render(result.iloc[(page - 1) * size : page * size], fmt)


def create_app() -> web.Application:
    app = base_app()
    app[STATE_KEY] = PanstarrsState()
    app.router.add_get(PREFIX + "/{table}.{fmt}", table_handler, name="table")
    return app


def state_of(app: web.Application) -> PanstarrsState:
    return app[STATE_KEY]
