"""The monitoring run's last step: the night's alerts sorted, plots redrawn, the summary."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from fphot_provider.monitoring import ChangeAlert
from fphot_provider.notify import send_alerts
from fphot_provider.plotting import plot_light_curve
from fphot_provider.sinks import get_sink
from fphot_provider.storage import data_dir
from fphot_provider.targets import safe_name
from fphot_provider.ui.links import list_path, push_light_curve_path, target_path

log = logging.getLogger(__name__)
DEFAULT_MAX_PLOTS = 50


def asked(planned: dict[str, Any]) -> dict[tuple[str, str], float]:
    """(service, target) -> the window start asked for it this night, from the plan's chunks."""
    starts: dict[tuple[str, str], float] = {}
    for service in ("atlas", "ztf"):
        for batch in planned.get(service) or []:
            starts |= {(service, target["name"]): batch["mjd_min"] for target in batch["targets"]}
    for service, planned_chunks in planned.items():
        if service in ("atlas", "ztf"):
            continue
        for chunk in planned_chunks or []:  # PanSTARRS and the brokers: chunks of queries
            starts |= {(service, query["target_name"]): query["mjd_min"] for query in chunk["queries"]}
    return starts


def missing_results(planned: dict[str, Any], processed: list[dict], failures: list[dict]) -> list[dict]:
    """Targets a service was asked about but gave nothing back for (their chunk's task failed)."""
    got = {(r["service"], r["target"]) for r in processed}
    failed = {(f["service"], f["target"]) for f in failures}
    return [
        {"service": s, "target": t, "error": "no result: the fetch or store task failed (see its log)"}
        for s, t in sorted(set(asked(planned)) - got - failed)
    ]


def changed_targets(processed: list[dict] | None) -> set[str]:
    """Targets whose rows this night inserted or updated."""
    return {r["target"] for r in processed or [] if r and (r.get("inserted") or r.get("updated"))}


def plot_order(changed: set[str], alerts: list[ChangeAlert], processed: list[dict] | None) -> list[str]:
    """Which changed targets to redraw first: alerted ones (strongest first), then most new rows."""
    new_rows: dict[str, int] = defaultdict(int)
    for r in processed or []:
        if r:
            new_rows[r["target"]] += r.get("inserted", 0) + r.get("updated", 0)
    alerted = list(dict.fromkeys(alert.target for alert in alerts if alert.target in changed))
    rest = sorted(changed - set(alerted), key=lambda name: (-new_rows[name], name))
    return alerted + rest


def summarize(
    loaded: dict,
    planned: dict,
    reported: list[dict],
    params: dict,
    context: dict,
    processed: list[dict] | None = None,
    alerts: list[dict] | None = None,
) -> dict[str, Any]:
    """Sort the alerts the store chunks found, redraw plots, notify, summarize the night.

    Only targets whose stored rows changed tonight are redrawn, and at most ``max_plots`` of
    them (alerted targets first): a first night of 10,000 new targets would otherwise spend an
    hour of CPU in matplotlib. Any target is drawn on demand with ``fphot plot``.
    """
    failures = list(reported) + missing_results(planned, processed or [], reported)
    found = sorted((ChangeAlert(**alert) for alert in alerts or []), key=lambda alert: -alert.sigma)
    changed = changed_targets(processed)
    order = plot_order(changed, found, processed)
    limit = int(params.get("max_plots", DEFAULT_MAX_PLOTS))
    sink = get_sink(params["sink"])
    sink.record_alerts([alert.to_dict() for alert in found])
    plotted = _plot(sink, order[:limit])
    push_light_curve_path(context, target_path(found[0].target) if found else list_path("updated"))
    text = _text(loaded, sorted(changed), found, failures)
    log.info("%s", text)
    notified = send_alerts(found, text, context)
    return {
        "targets": len(loaded["targets"]),
        "counts": {
            "targets": len(loaded["targets"]),
            "updated": len(changed),
            "alerts": len(found),
            "failures": len(failures),
            "rejected_rows": len(loaded["errors"]),
            "rows_inserted": sum(r.get("inserted", 0) for r in processed or [] if r),
            "rows_updated": sum(r.get("updated", 0) for r in processed or [] if r),
            "plots": len(plotted),
            "plots_not_redrawn": len(order) - len(plotted),
        },
        "updated_targets": sorted(changed),
        "plots": plotted,
        "alerts": [a.to_dict() for a in found],
        "failures": failures,
        "rejected_rows": loaded["errors"],
        "notified": notified,
    }


def _plot(sink: Any, names: list[str]) -> list[str]:
    """Redraw each target's light curve from everything the sink holds; the targets drawn."""
    drawn = []
    for name in names:
        table = sink.read(name)
        if len(table):
            plot_light_curve(table, data_dir() / "plots" / f"{safe_name(name)}.png", title=name)
            drawn.append(name)
    return drawn


def _text(loaded: dict, updated: list[str], alerts: list[ChangeAlert], failures: list[dict]) -> str:
    lines = [
        f"fphot survey monitor: {len(loaded['targets'])} targets, {len(updated)} with new photometry, "
        f"{len(alerts)} alert(s), {len(failures)} failure(s), {len(loaded['errors'])} rejected row(s)"
    ]
    lines += [f"  ALERT {a.message()}" for a in alerts]
    lines += [f"  FAILED {f['service']} {f['target']}: {f['error']}" for f in failures]
    lines += [f"  REJECTED {e}" for e in loaded["errors"]]
    return "\n".join(lines)
