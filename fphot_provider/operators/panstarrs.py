"""Fetch PanSTARRS DR2 per-epoch light curves from MAST (synchronous): one target, or a chunk of many."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from astropy.time import Time

from fphot_provider.exceptions import InvalidQueryError
from fphot_provider.failures import fails_fast
from fphot_provider.hooks.panstarrs import PanstarrsHook
from fphot_provider.operators.base import ForcedPhotometryOperator, raw_product
from fphot_provider.operators.chunks import ChunkFetchOperator
from fphot_provider.storage import store_raw
from fphot_provider.targets import QueryWindow, Target
from fphot_provider.wire import panstarrs as wire

if TYPE_CHECKING:
    from pathlib import Path

    from airflow.sdk import Context

CHOICES = ("nearest", "all")


class PanstarrsPhotometryOperator(ForcedPhotometryOperator):
    """Find the PS1 object(s) at the target and store their detections' raw answers.

    A ``mean`` cone search finds the objects within ``radius_arcsec`` that have more than one
    detection (``nDetections.gt=1``, as MAST's PS1 notebook and SkyPortal ask: a one-off
    artifact must never be "the nearest object"); ``choose="nearest"``
    keeps the closest (``"all"`` keeps every one); ``detection?objID=...`` then fetches each
    object's epochs inside the window (``obsTime`` is TAI: the window is converted), page by
    page, every page kept raw. The product records which objID was used and its separation.
    Nothing queues at MAST, so nothing is deferred.

    :param radius_arcsec: cone radius (default 2").
    :param choose: ``nearest`` (default) or ``all``.
    :param panstarrs_conn_id: the ``fphot_panstarrs`` Connection.
    """

    template_fields = (*ForcedPhotometryOperator.template_fields, "radius_arcsec", "choose")
    service = "panstarrs"
    data_product_type = "panstarrs_photometry"

    def __init__(
        self,
        *,
        radius_arcsec: float = 2.0,
        choose: str = "nearest",
        panstarrs_conn_id: str = PanstarrsHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.radius_arcsec = radius_arcsec
        self.choose = choose
        self.panstarrs_conn_id = panstarrs_conn_id

    @fails_fast
    def execute(self, context: Context) -> dict[str, Any]:
        target, window = self.query()
        check_choice(self.choose)
        hook = PanstarrsHook(self.panstarrs_conn_id)
        return fetch_target(hook, target, window, float(self.radius_arcsec), self.choose, self.root, self.log)


class PanstarrsChunkOperator(ChunkFetchOperator):
    """Fetch many targets' PS1 detections inside one task, ``workers`` MAST queries at a time.

    :param queries: ``[{"target_name", "ra", "dec", "mjd_min", "mjd_max"}, ...]``.
    :param workers: concurrent MAST queries in this task.
    """

    what = "PS1"

    def __init__(
        self,
        *,
        radius_arcsec: float = 2.0,
        choose: str = "nearest",
        panstarrs_conn_id: str = PanstarrsHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.radius_arcsec, self.choose, self.panstarrs_conn_id = radius_arcsec, choose, panstarrs_conn_id

    def check_options(self) -> None:
        check_choice(self.choose)

    def make_hook(self) -> PanstarrsHook:
        return PanstarrsHook(self.panstarrs_conn_id)

    def fetch_one(self, hook: PanstarrsHook, target: Target, window: QueryWindow, root: Path) -> dict[str, Any]:
        return fetch_target(hook, target, window, float(self.radius_arcsec), self.choose, root, self.log)


def check_choice(choose: str) -> None:
    if choose not in CHOICES:
        raise InvalidQueryError("choose", f"must be one of {CHOICES}, got {choose!r}")


def fetch_target(
    hook: PanstarrsHook, target: Target, window: QueryWindow, radius_arcsec: float, choose: str, root: Path, log: Any
) -> dict[str, Any]:
    """One target: the chosen objects in the cone, their detections inside the window, kept raw."""
    objects = _objects(hook, target, radius_arcsec, choose, log)
    paths: list[Path] = []
    for obj in objects:
        paths += _fetch(hook, target, window, obj["objID"], root)
    return raw_product(
        "panstarrs", "panstarrs_photometry", target, window, paths, objects=objects, radius_arcsec=radius_arcsec
    )


def _objects(hook: PanstarrsHook, target: Target, radius_arcsec: float, choose: str, log: Any) -> list[dict[str, Any]]:
    """The PS1 objects to use, nearest first, with their separations."""
    cone = hook.cone(
        "mean", target.ra, target.dec, radius_arcsec / 3600.0, columns=wire.OBJECT_COLUMNS, **{"nDetections.gt": "1"}
    )
    if cone.empty:
        log.info("no PS1 object within %s arcsec of %s", radius_arcsec, target.name)
        return []
    cone = cone.assign(sep=wire.separations_arcsec(target.ra, target.dec, cone["raMean"], cone["decMean"]))
    cone = cone.sort_values("sep")
    chosen = cone if choose == "all" else cone.head(1)
    objects = [
        {
            "objID": int(row.objID),
            "separation_arcsec": round(float(row.sep), 4),
            "n_detections": _int_or_none(row.nDetections),
        }
        for row in chosen.itertuples()
    ]
    log.info("%d PS1 object(s) in the cone of %s; using %s", len(cone), target.name, objects)
    return objects


def _fetch(hook: PanstarrsHook, target: Target, window: QueryWindow, obj_id: int, root: Path) -> list[Path]:
    start, end = Time([window.mjd_min, window.mjd_max], format="mjd", scale="utc").tai.mjd
    _, pages = hook.detection_pages(obj_id, **{"obsTime.gte": repr(float(start)), "obsTime.lte": repr(float(end))})
    return [
        store_raw(root, "panstarrs", target.safe_name, f"detection_obj{obj_id}_p{n}.csv", text)
        for n, text in enumerate(pages, start=1)
        if text.strip()
    ]


def _int_or_none(value: Any) -> int | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else int(value)
