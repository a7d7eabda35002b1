"""Change detection: is the new photometry of a target significantly different from before?

Two kinds of alert per (target, service, filter), from good rows only:

- ``new_detection``: the new rows hold at least ``min_points`` detections at ``min_sigma`` or
  more, while the stored history of that filter has none at 3 sigma or more.
- ``brightening``: the inverse-variance mean flux of the new rows exceeds that of the recent
  history by ``min_sigma`` combined sigmas *and* by ``min_delta_mag`` magnitudes, with at
  least ``min_points`` new rows each 3 sigma above it.

Requiring several points and averaging keeps false alarms on pure noise rare (the test feeds
thousands of noise-only light curves).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

HISTORY_EPOCHS = 30  # the recent history a brightening is measured against


@dataclass(frozen=True)
class ChangeAlert:
    """One significant change in a target's light curve."""

    target: str
    service: str
    filter: str
    kind: str
    mjd: float
    flux_ujy: float
    baseline_ujy: float
    sigma: float
    delta_mag: float | None

    def message(self) -> str:
        delta = f", {self.delta_mag:+.2f} mag" if self.delta_mag is not None else ""
        return (
            f"{self.target} {self.filter}: {self.kind.replace('_', ' ')} at MJD {self.mjd:.3f} "
            f"({self.flux_ujy:.1f} uJy vs {self.baseline_ujy:.1f}, {self.sigma:.1f} sigma{delta})"
        )

    def to_dict(self) -> dict:
        return asdict(self)


def _weighted(rows: pd.DataFrame) -> tuple[float, float]:
    """Inverse-variance mean flux and its error."""
    weights = 1.0 / rows["flux_err_ujy"].to_numpy(float) ** 2
    mean = float(np.sum(weights * rows["flux_ujy"].to_numpy(float)) / np.sum(weights))
    return mean, float(1.0 / math.sqrt(np.sum(weights)))


def _usable(table: pd.DataFrame) -> pd.DataFrame:
    ok = table["good"].astype(bool) & np.isfinite(table["flux_ujy"]) & (table["flux_err_ujy"] > 0)
    return table[ok]


def detect_changes(
    history: pd.DataFrame,
    new: pd.DataFrame,
    *,
    min_sigma: float = 5.0,
    min_delta_mag: float = 0.5,
    min_points: int = 2,
) -> list[ChangeAlert]:
    """Compare ``new`` rows with the stored ``history`` (rows of ``new`` may be in it too).

    Any number of targets at once (a survey chunk): each (target, service, filter) is compared
    with its own history before its own first new row.
    """
    new = _usable(new)
    if new.empty:
        return []
    before = _usable(history)
    keys = ["target", "service", "filter"]
    history_of = {tuple(map(str, key)): rows for key, rows in before.groupby(keys, observed=True)}  # one pass
    alerts = []
    for (target, service, band), rows in new.groupby(keys, observed=True):
        past = history_of.get((str(target), str(service), str(band)))
        if past is None:
            continue  # nothing to compare with: a first light curve is not a change
        past = past[past["mjd"] < rows["mjd"].min()]
        alert = _check(str(target), str(service), str(band), past, rows, min_sigma, min_delta_mag, min_points)
        if alert is not None:
            alerts.append(alert)
    return alerts


def _check(target, service, band, past, rows, min_sigma, min_delta_mag, min_points) -> ChangeAlert | None:  # noqa: ANN001
    strong = rows[rows["flux_ujy"] / rows["flux_err_ujy"] >= min_sigma]
    if past.empty:
        return None  # nothing to compare with: the first light curve is not a change
    past = past.sort_values("mjd").tail(HISTORY_EPOCHS)
    ever_detected = bool((past["flux_ujy"] / past["flux_err_ujy"] >= 3).any())
    if not ever_detected and len(strong) >= min_points:
        flux, err = _weighted(strong)
        return ChangeAlert(
            target, service, band, "new_detection", float(strong["mjd"].min()), flux, 0.0, flux / err, None
        )
    flux, err = _weighted(rows)
    base, base_err = _weighted(past)
    sigma = (flux - base) / math.hypot(err, base_err)
    # several points must each stand out, so one cosmic ray cannot carry the mean
    standing_out = ((rows["flux_ujy"] - base) / np.hypot(rows["flux_err_ujy"], base_err) >= 3).sum()
    if sigma < min_sigma or standing_out < min_points or flux <= 0:
        return None
    delta = -2.5 * math.log10(flux / base) if base > 0 else None
    if delta is not None and -delta < min_delta_mag:
        return None
    return ChangeAlert(target, service, band, "brightening", float(rows["mjd"].min()), flux, base, sigma, delta)
