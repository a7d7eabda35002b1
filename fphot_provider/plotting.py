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
}


def plot_light_curve(table: pd.DataFrame, path: Path, *, title: str) -> Path:
    """Draw ``table`` into a PNG at ``path`` (written atomically); return the path.

    Rows failing quality cuts are drawn hollow, never hidden; non-detections appear as
    downward triangles at their limiting magnitude.
    """
    fig, (ax_flux, ax_mag) = plt.subplots(2, 1, sharex=True, figsize=(10, 7), constrained_layout=True)
    for band, rows in table.groupby("filter", sort=True):
        color = COLORS.get(str(band), None)
        _flux_panel(ax_flux, rows, str(band), color)
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
