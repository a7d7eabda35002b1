"""The night's report: only targets with new rows are read again and redrawn; strongest alerts first."""

from __future__ import annotations

from pathlib import Path

from fphot_provider.monitoring import ChangeAlert
from fphot_provider.sinks.file import FileSink
from fphot_provider.survey_report import changed_targets, summarize
from tests.sinks.conformance import table

PARAMS = {"sink": "file", "alert_sigma": 5.0, "alert_delta_mag": 0.5}


def test_only_changed_targets_are_redrawn(data_dir: Path) -> None:
    sink = FileSink(data_dir)
    for name in ("A", "B"):
        sink.write(table(target=name, n=5))
    loaded = {"targets": [{"name": "A"}, {"name": "B"}], "errors": []}
    planned = {"ztf": [{"targets": [{"name": "A"}, {"name": "B"}], "mjd_min": 60000.0}], "panstarrs": [], "atlas": []}
    processed = [
        {"service": "ztf", "target": "A", "inserted": 5, "updated": 0},
        {"service": "ztf", "target": "B", "inserted": 0, "updated": 0},
    ]
    summary = summarize(loaded, planned, [], PARAMS, {}, processed)
    assert summary["updated_targets"] == ["A"]
    assert (data_dir / "plots" / "A.png").exists() and not (data_dir / "plots" / "B.png").exists()
    assert summary["counts"] == {
        "targets": 2,
        "updated": 1,
        "alerts": 0,
        "failures": 0,
        "rejected_rows": 0,
        "rows_inserted": 5,
        "rows_updated": 0,
        "plots": 1,
        "plots_not_redrawn": 0,
    }


def test_changed_targets_reads_the_processing_results() -> None:
    assert changed_targets(None) == set()
    assert changed_targets([None, {"target": "x", "inserted": 0, "updated": 2}, {"target": "y", "inserted": 0}]) == {
        "x"
    }


def _alert(name: str, sigma: float) -> dict:
    return ChangeAlert(name, "ztf", "ZTF.g", "brightening", 60001.0, 500.0, 100.0, sigma, -1.0).to_dict()


def test_alerts_are_listed_most_significant_first(data_dir: Path) -> None:
    sink = FileSink(data_dir)
    for name in ("A", "B"):
        sink.write(table(target=name, n=5))
    loaded = {"targets": [{"name": "A"}, {"name": "B"}], "errors": []}
    planned = {"ztf": [{"targets": [{"name": "A"}, {"name": "B"}], "mjd_min": 60000.0}], "panstarrs": [], "atlas": []}
    processed = [{"service": "ztf", "target": n, "inserted": 5, "updated": 0} for n in ("A", "B")]
    summary = summarize(loaded, planned, [], PARAMS, {}, processed, [_alert("A", 6.0), _alert("B", 40.0)])
    assert [a["target"] for a in summary["alerts"]] == ["B", "A"]
    listed = sink.list_targets(sort="alert").items  # kept for the Light curves list
    assert [(t.target, t.last_alert["sigma"]) for t in listed] == [("A", 6.0), ("B", 40.0)]


def test_plots_are_capped_alerted_targets_first(data_dir: Path) -> None:
    """10,000 changed targets cannot all be redrawn: alerts first, then the most new rows."""
    sink = FileSink(data_dir)
    names = ["A", "B", "C", "D"]
    for name in names:
        sink.write(table(target=name, n=5))
    loaded = {"targets": [{"name": n} for n in names], "errors": []}
    processed = [{"service": "ztf", "target": n, "inserted": k, "updated": 0} for k, n in enumerate(names, start=1)]
    alerts = [_alert("B", 9.0), _alert("A", 3.0)]
    summary = summarize(loaded, {}, [], {**PARAMS, "max_plots": 3}, {}, processed, alerts)
    assert summary["plots"] == ["B", "A", "D"]
    assert (summary["counts"]["plots"], summary["counts"]["plots_not_redrawn"]) == (3, 1)
    assert not (data_dir / "plots" / "C.png").exists() and (data_dir / "plots" / "D.png").exists()
    assert summary["updated_targets"] == names


def test_a_target_that_came_back_from_no_task_is_reported() -> None:
    from fphot_provider.survey_report import missing_results

    planned = {
        "atlas": [{"targets": [{"name": "A"}, {"name": "B"}], "mjd_min": 1.0}],
        "panstarrs": [{"queries": [{"target_name": "A", "mjd_min": 2.0}]}],
    }
    processed = [{"service": "atlas", "target": "A"}]
    failures = [{"service": "atlas", "target": "B", "error": "x"}]
    assert [(m["service"], m["target"]) for m in missing_results(planned, processed, failures)] == [("panstarrs", "A")]
