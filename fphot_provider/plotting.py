"""Light-curve plots: flux (all rows, with errors) above magnitude (detections and limits)."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless workers: never ask for a display
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from fphot_provider.storage import atomic_write  # noqa: E402

COLORS = {
    "ATLAS.c": "#17becf",
    "ATLAS.o": "#ff7f0e",
    "ZTF.g": "#2ca02c",
    "ZTF.r": "#d62728",
    "ZTF.i": "#8c564b",
    "PS1.g": "#1f77b4",
    "PS1.r": "#e377c2",
    "PS1.i": "#7f7f7f",
    "PS1.z": "#bcbd22",
    "PS1.y": "#9467bd",
    "LSST.u": "#393b79",
    "LSST.g": "#637939",
    "LSST.r": "#843c39",
    "LSST.i": "#7b4173",
    "LSST.z": "#8c6d31",
    "LSST.y": "#5254a3",
}
# The same filter through a second service (a broker's copy of a survey) gets its own colour.
SERVICE_COLORS = {
    ("alerce_ztf", "ZTF.g"): "#98df8a",
    ("alerce_ztf", "ZTF.r"): "#ff9896",
    ("alerce_ztf", "ZTF.i"): "#c49c94",
    ("alerce_lsst", "LSST.u"): "#6b6ecf",
    ("alerce_lsst", "LSST.g"): "#8ca252",
    ("alerce_lsst", "LSST.r"): "#ad494a",
    ("alerce_lsst", "LSST.i"): "#a55194",
    ("alerce_lsst", "LSST.z"): "#bd9e39",
    ("alerce_lsst", "LSST.y"): "#9c9ede",
}
SECOND_SOURCES = {service for service, _ in SERVICE_COLORS} | {"atlas_reduced"}  # named in the legend


LIMIT_BINS = 200  # at most this many limits drawn per series: the deepest in each time bin
PEAK_OVER_NOISE = 50  # a peak this many typical errors high switches the flux axis to symlog


def plot_light_curve(table: pd.DataFrame, path: Path, *, title: str) -> Path:
    """Draw ``table`` into a PNG at ``path`` (written atomically); return the path.

    Rows failing quality cuts are drawn hollow, never hidden; non-detections appear as
    downward triangles at their limiting magnitude.
    """
    fig = light_curve_figure(table, title=title)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return atomic_write(Path(path), buffer.getvalue())


def light_curve_figure(table: pd.DataFrame, *, title: str) -> plt.Figure:
    """The two panels: flux (every row, with errors) above magnitude (detections and limits).

    A bright peak no longer flattens the quiet years: when it stands far above the typical
    error, the flux axis is symmetric-log, linear within a few errors of zero (SN 2023ixf's
    2015-2022 baseline was a straight line before). Thousands of limits no longer form one
    band: each series draws the deepest limit per time bin (:data:`LIMIT_BINS`).
    """
    fig, (ax_flux, ax_mag) = plt.subplots(2, 1, sharex=True, figsize=(10, 7), constrained_layout=True)
    for (band, service), rows in table.groupby(["filter", "service"], sort=True, observed=True):
        label, color = series_style(str(band), str(service))
        _flux_panel(ax_flux, rows, label, color)
        _mag_panel(ax_mag, rows, color)
    ax_flux.axhline(0, color="0.6", lw=0.8)
    linear_within = flux_linear_range(table)
    if linear_within is not None:
        ax_flux.set_yscale("symlog", linthresh=linear_within)
    ax_flux.set_ylabel("flux [µJy]" + (f" (symlog, linear within ±{linear_within:.3g})" if linear_within else ""))
    ax_mag.set_ylabel("AB magnitude")
    ax_mag.set_xlabel("MJD (UTC)")
    ax_mag.invert_yaxis()
    ax_flux.set_title(f"{title}  ({len(table)} points; hollow = flagged, ▼ = upper limit)")
    if len(table):
        ax_flux.legend(loc="best", fontsize="small", ncols=2)
    return fig


def flux_linear_range(table: pd.DataFrame) -> float | None:
    """The symlog threshold (3 typical errors) when the peak dwarfs the noise; None: keep linear."""
    errors = table["flux_err_ujy"][table["flux_err_ujy"] > 0]
    if errors.empty:
        return None
    noise = float(errors.median())
    peak = float(table["flux_ujy"].abs().max())
    return 3 * noise if peak > PEAK_OVER_NOISE * noise else None


def deepest_limits(limits: pd.DataFrame, bins: int = LIMIT_BINS) -> pd.DataFrame:
    """At most ``bins`` limits: the deepest (faintest) one in each equal slice of time."""
    if len(limits) <= bins:
        return limits
    edges = pd.cut(limits["mjd"], bins=bins, labels=False)
    return limits.loc[limits.groupby(edges)["limit_mag"].idxmax()]


def series_style(band: str, service: str) -> tuple[str, str | None]:
    """Legend label and colour of one (filter, service) series: a second source of a filter
    (ZTF through ALeRCE, LSST through ALeRCE after Fink) is named and coloured apart."""
    color = SERVICE_COLORS.get((service, band), COLORS.get(band))
    return (f"{band} ({service})" if service in SECOND_SOURCES else band), color


def _flux_panel(ax: plt.Axes, rows: pd.DataFrame, band: str, color: str | None) -> None:
    for good, part in rows.groupby("good"):
        ax.errorbar(
            part["mjd"],
            part["flux_ujy"],
            yerr=part["flux_err_ujy"],
            fmt="o",
            ms=3,
            lw=0.6,
            color=color,
            mfc=color if good else "none",
            label=band if good else None,
            alpha=0.8,
        )


def _mag_panel(ax: plt.Axes, rows: pd.DataFrame, color: str | None) -> None:
    detections = rows[rows["detected"]]
    limits = deepest_limits(rows[~rows["detected"] & rows["limit_mag"].notna()])
    ax.errorbar(detections["mjd"], detections["mag"], yerr=detections["mag_err"], fmt="o", ms=3, lw=0.6, color=color)
    ax.scatter(limits["mjd"], limits["limit_mag"], marker="v", s=12, color=color, alpha=0.35)
