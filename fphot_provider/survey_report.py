"""The monitoring run's last step: plots, change alerts and the summary of the night."""

from __future__ import annotations

import logging
from typing import Any

from fphot_provider.monitoring import ChangeAlert, detect_changes
from fphot_provider.notify import send_alerts
from fphot_provider.plotting import plot_light_curve
from fphot_provider.sinks import get_sink
from fphot_provider.storage import data_dir
from fphot_provider.targets import safe_name

log = logging.getLogger(__name__)


def asked(planned: dict[str, Any]) -> dict[tuple[str, str], float]:
    """(service, target) -> the window start asked for it this night, from the plan's chunks."""
    starts: dict[tuple[str, str], float] = {}
    for service in ("atlas", "ztf"):
        for batch in planned.get(service) or []:
            starts |= {(service, target["name"]): batch["mjd_min"] for target in batch["targets"]}
    for chunk in planned.get("panstarrs") or []:
        starts |= {("panstarrs", query["target_name"]): query["mjd_min"] for query in chunk["queries"]}
    return starts


def window_starts(planned: dict[str, Any]) -> dict[str, float]:
    """The earliest start asked for each target this night (any service)."""
    starts: dict[str, float] = {}
    for (_, name), start in asked(planned).items():
        starts[name] = min(start, starts.get(name, float("inf")))
    return starts


def missing_results(planned: dict[str, Any], processed: list[dict], failures: list[dict]) -> list[dict]:
    """Targets a service was asked about but gave nothing back for (their chunk's task failed)."""
    got = {(r["service"], r["target"]) for r in processed}
    failed = {(f["service"], f["target"]) for f in failures}
    return [
        {"service": s, "target": t, "error": "no result: the fetch or store task failed (see its log)"}
        for s, t in sorted(set(asked(planned)) - got - failed)
    ]


def changed_targets(processed: list[dict] | None) -> set[str] | None:
    """Targets whose rows this night inserted or updated (None: the processing results are unknown)."""
    if processed is None:
        return None
    return {r["target"] for r in processed if r and (r.get("inserted") or r.get("updated"))}


def summarize(
    loaded: dict,
    planned: dict,
    reported: list[dict],
    params: dict,
    context: dict,
    processed: list[dict] | None = None,
) -> dict[str, Any]:
    """Redraw the plots of targets that got new rows, look for changes, notify, summarize.

    Only targets whose stored rows changed tonight are read again and redrawn: on a survey of
    thousands, a quiet night costs nothing per quiet target. Alerts are listed most significant first.
    """
    sink = get_sink(params["sink"])
    failures = list(reported) + missing_results(planned, processed or [], reported)
    starts = window_starts(planned)
    changed = changed_targets(processed)
    alerts: list[ChangeAlert] = []
    updated = []
    for target in loaded["targets"]:
        name = target["name"]
        if name not in starts or (changed is not None and name not in changed):
            continue
        table = sink.read(name)
        new = table[table["mjd"] >= starts[name]]
        if table.empty or not len(new):
            continue
        updated.append(name)
        plot_light_curve(table, data_dir() / "plots" / f"{safe_name(name)}.png", title=name)
        alerts += detect_changes(
            table[table["mjd"] < starts[name]],
            new,
            min_sigma=params["alert_sigma"],
            min_delta_mag=params["alert_delta_mag"],
        )
    alerts.sort(key=lambda alert: -alert.sigma)  # the most significant changes first
    text = _text(loaded, updated, alerts, failures)
    log.info("%s", text)
    notified = send_alerts(alerts, text, context)
    return {
        "targets": len(loaded["targets"]),
        "counts": {
            "targets": len(loaded["targets"]),
            "updated": len(updated),
            "alerts": len(alerts),
            "failures": len(failures),
            "rejected_rows": len(loaded["errors"]),
            "rows_inserted": sum(r.get("inserted", 0) for r in processed or [] if r),
            "rows_updated": sum(r.get("updated", 0) for r in processed or [] if r),
        },
        "updated_targets": updated,
        "alerts": [a.to_dict() for a in alerts],
        "failures": failures,
        "rejected_rows": loaded["errors"],
        "notified": notified,
    }


def _text(loaded: dict, updated: list[str], alerts: list[ChangeAlert], failures: list[dict]) -> str:
    lines = [
        f"fphot survey monitor: {len(loaded['targets'])} targets, {len(updated)} with new photometry, "
        f"{len(alerts)} alert(s), {len(failures)} failure(s), {len(loaded['errors'])} rejected row(s)"
    ]
    lines += [f"  ALERT {a.message()}" for a in alerts]
    lines += [f"  FAILED {f['service']} {f['target']}: {f['error']}" for f in failures]
    lines += [f"  REJECTED {e}" for e in loaded["errors"]]
    return "\n".join(lines)
