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


def plot_light_curve(table: pd.DataFrame, path: Path, *, title: str) -> Path:
    """Draw ``table`` into a PNG at ``path`` (written atomically); return the path.

    Rows failing quality cuts are drawn hollow, never hidden; non-detections appear as
    downward triangles at their limiting magnitude.
    """
    fig, (ax_flux, ax_mag) = plt.subplots(2, 1, sharex=True, figsize=(10, 7), constrained_layout=True)
    for (band, service), rows in table.groupby(["filter", "service"], sort=True, observed=True):
        label, color = series_style(str(band), str(service))
        _flux_panel(ax_flux, rows, label, color)
        _mag_panel(ax_mag, rows, color)
    ax_flux.axhline(0, color="0.6", lw=0.8)
    ax_flux.set_ylabel("flux [µJy]")
    ax_mag.set_ylabel("AB magnitude")
    ax_mag.set_xlabel("MJD (UTC)")
    ax_mag.invert_yaxis()
    ax_flux.set_title(f"{title}  ({len(table)} points; hollow = flagged, ▼ = upper limit)")
    if len(table):
        ax_flux.legend(loc="best", fontsize="small", ncols=2)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return atomic_write(Path(path), buffer.getvalue())


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
    limits = rows[~rows["detected"] & rows["limit_mag"].notna()]
    ax.errorbar(detections["mjd"], detections["mag"], yerr=detections["mag_err"], fmt="o", ms=3, lw=0.6, color=color)
    ax.scatter(limits["mjd"], limits["limit_mag"], marker="v", s=12, color=color, alpha=0.35)
