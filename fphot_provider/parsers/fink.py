"""Parse Fink's LSST forced photometry (``POST /api/v1/fp``, JSON) into the photometry table.

Rows are Rubin diaForcedSources with ``r:``-prefixed columns: ``r:psfFlux`` (nJy, on the
difference image) -> microjansky, ``r:midpointMjdTai`` (TAI, mid-exposure) -> UTC MJD with
``time_ref = "mid"``, ``r:band`` (a letter) -> ``LSST.<band>``, ``r:diaForcedSourceId`` ->
``exposure_id`` (exact). A source Rubin withdrew (``r:timeWithdrawnMjdTai`` set) is kept and
flagged. Fink answers the whole history: ``mjd_min``/``mjd_max`` keep the asked window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fphot_provider.parsers.brokers import exact_ids, first_of_each, frame, json_rows, numbers, rubin_table, windowed
from fphot_provider.photometry import conform, empty_table, tai_to_utc_mjd

SERVICE = "fink_lsst"
ID = "r:diaForcedSourceId"
REQUIRED = (ID, "r:psfFlux", "r:psfFluxErr", "r:midpointMjdTai", "r:band")
MAPPED = frozenset({ID, "r:psfFlux", "r:psfFluxErr", "r:midpointMjdTai", "r:band"})
ID_COLUMNS = (ID, "r:diaObjectId", "r:visit")


def parse_fink_lsst(
    text: str, *, target: str, snr_threshold: float = 3.0, mjd_min: float | None = None, mjd_max: float | None = None
) -> pd.DataFrame:
    """Return the photometry table of a Fink ``/api/v1/fp`` answer.

    :raises TableParseError: when the text is not Fink forced photometry (names what is wrong).
    """
    rows = json_rows(text, SERVICE, REQUIRED)
    if not rows:
        return conform(empty_table())
    raw, ids, dropped = first_of_each(frame(rows, ID_COLUMNS), exact_ids(rows, ID, SERVICE))
    raw, ids, mjd = windowed(raw, ids, tai_to_utc_mjd(numbers(raw, "r:midpointMjdTai")), mjd_min, mjd_max)
    if not len(raw):
        return conform(empty_table())
    masks = {}
    if "r:timeWithdrawnMjdTai" in raw:  # a source Rubin withdrew: kept, flagged
        masks["withdrawn"] = np.isfinite(numbers(raw, "r:timeWithdrawnMjdTai"))
    rubin = (ids, mjd, numbers(raw, "r:psfFlux"), numbers(raw, "r:psfFluxErr"))
    table = rubin_table(
        raw,
        MAPPED,
        service=SERVICE,
        target=target,
        bands=raw["r:band"],
        rubin=rubin,
        snr_threshold=snr_threshold,
        masks=masks,
    )
    table["raw_midpointMjdTai"] = numbers(raw, "r:midpointMjdTai")
    table = conform(table)
    table.attrs["duplicates_dropped"] = dropped
    return table
