"""fphot_target with the tom sink, in real Airflow, against the emulators and a real TOM."""

from __future__ import annotations

from collections import Counter

import pytest

from fphot_provider.sinks.tom import TomSink
from fphot_provider.wire.tom import plotted

CONF = {
    "target_name": "SN 2023ixf",
    "ra": 210.910674,
    "dec": 54.311650,
    "mjd_min": 60000,
    "mjd_max": 60200,
    "sink": "tom:create_targets=true",
}


def target_id(server, name: str) -> int:  # noqa: ANN001
    """The TOM's id of ``name`` (the API's name filters match substrings)."""
    return next(t["id"] for t in server.api("/api/targets/", name=name)["results"] if t["name"] == name)


def listed(server, name: str = "SN 2023ixf") -> list[dict]:  # noqa: ANN001
    """The target's photometry as the TOM's API lists it."""
    return server.api("/api/reduceddatums/", target__id=target_id(server, name), data_type="photometry", limit=100000)[
        "results"
    ]


def products_of(server, name: str = "SN 2023ixf") -> list[dict]:  # noqa: ANN001
    wanted = target_id(server, name)
    return [p for p in server.api("/api/dataproducts/", target_name=name)["results"] if p["target"] == wanted]


def plotted_traces(server, target_id: int, chromium: str) -> dict[str, int]:  # noqa: ANN001
    """Log in to the TOM in Chromium and read its light-curve plot: {trace name: points}."""
    from playwright.sync_api import sync_playwright

    from tests.integration.test_ui import ARGS, ARTIFACTS
    from tests.tom.server import PASSWORD, USER

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1100})
        page.goto(f"{server.url}/accounts/login/")
        page.fill("input[name=login]", USER)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{server.url}/targets/{target_id}/?tab=photometry")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.js-plotly-plot')]"
            ".some(d => (d.data || []).some(t => t.name === 'ATLAS.o'))"
        )
        traces = page.evaluate(
            "() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(d => (d.data || [])"
            ".map(t => [t.name, (t.y || []).filter(v => v !== null).length]))"
        )
        page.screenshot(path=str(ARTIFACTS / "tom-light-curve.png"))
        browser.close()
    return dict(traces)


def returns(dr, task_suffix: str) -> list[dict]:  # noqa: ANN001
    """The return values of the ``*.process`` tasks of a run."""
    return [
        ti.xcom_pull(task_ids=ti.task_id, map_indexes=ti.map_index)
        for ti in dr.get_task_instances()
        if ti.task_id.endswith(task_suffix) and str(ti.state) == "success"
    ]


@pytest.mark.usefixtures("atlas_emulator", "ztf_emulator", "panstarrs_emulator", "broker_emulators")
def test_photometry_lands_in_the_tom_once(run_dag, tom, chromium) -> None:  # noqa: ANN001
    state, tasks, dr = run_dag("fphot_target", CONF)
    assert state == "success", tasks

    rows = TomSink().read("SN 2023ixf")
    drawn = plotted(rows)
    services = {"atlas", "ztf", "panstarrs", "fink_lsst", "alerce_lsst", "alerce_ztf"}
    assert {r["service"] for r in returns(dr, ".process")} == services
    assert len(rows) == sum(r["rows"] for r in returns(dr, ".process")) > 100
    points = listed(tom)
    assert len(points) == len(drawn)
    assert {p["value"]["bandpass"] for p in points} == set(drawn["filter"].astype(str))
    # PanSTARRS has no epoch in 2023; Rubin does not see Dec +54; ZTF's alerts come through ALeRCE
    assert {p["source_name"] for p in points} == {"ATLAS", "ZTF", "ALeRCE"}
    upper = drawn[~drawn["detected"]]
    assert sum(p["value"]["brightness"] is None for p in points) == len(upper) > 0
    limits = tom.shell(
        "from tom_dataproducts.models import PhotometryReducedDatum as P;"
        "print(sorted(round(v, 4) for v in P.objects.filter(target__name='SN 2023ixf', brightness__isnull=True)"
        ".values_list('limit', flat=True)))"
    )
    assert limits == str(sorted(round(float(v), 4) for v in upper["limit_mag"]))
    # The TOM's own light curve draws them: a trace per filter, and one of its limits.
    traces = plotted_traces(tom, target_id(tom, "SN 2023ixf"), chromium)
    detected = Counter(drawn[drawn["detected"]]["filter"].astype(str))
    assert {f: traces[f] for f in detected} == dict(detected)
    assert sum(traces.get(f"{f} non-detection", 0) for f in detected) == len(upper)
    products = products_of(tom)
    assert {"atlas_photometry", "ztf_photometry", "panstarrs_photometry", "alerce_ztf_photometry"} <= {
        p["data_product_type"] for p in products
    }

    state, tasks, dr = run_dag("fphot_target", CONF)
    assert state == "success", tasks
    assert all(r["inserted"] == 0 and r["updated"] == 0 for r in returns(dr, ".process"))
    assert len(listed(tom)) == len(points)
    assert len(products_of(tom)) == len(products)


@pytest.mark.usefixtures("atlas_emulator", "ztf_emulator", "panstarrs_emulator")
def test_survey_monitor_updates_the_tom_night_by_night(run_dag, tom, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """Two nights of the monitor into the TOM: incremental windows and change detection read the
    TOM's batches; the second night adds a batch with the new points only."""
    import json

    import pendulum

    calls = tmp_path / "notified.json"
    monkeypatch.setenv("AIRFLOW__FPHOT__ALERT_NOTIFIER", "tests.recording_notifier:factory")
    monkeypatch.setenv("FPHOT_TEST_NOTIFY_FILE", str(calls))
    path = tmp_path / "targets.csv"
    path.write_text("name,ra,dec\nSN 2023ixf monitor,210.910674,54.3117\nquiet,150.0,2.0\n")
    conf = {
        "targets": f"csv:{path}",
        "sink": "tom:create_targets=true",
        "services": ["atlas", "ztf"],
        "atlas_poll_seconds": 0.2,
        "ztf_poll_seconds": 0.2,
        "first_days": 60.0,
    }
    counts = []
    for night in (pendulum.datetime(2023, 5, 10, tz="UTC"), pendulum.datetime(2023, 5, 25, tz="UTC")):
        state, tasks, dr = run_dag("fphot_survey_monitor", conf, logical_date=night)
        assert state == "success", tasks
        rows = TomSink().read("SN 2023ixf monitor")
        assert not rows.duplicated(subset=["service", "exposure_id"]).any()
        points = listed(tom, "SN 2023ixf monitor")
        assert len(points) == len(plotted(rows))
        counts.append(len(points))
    assert 0 < counts[0] < counts[1]
    summary = next(t for t in dr.get_task_instances() if t.task_id == "report").xcom_pull(task_ids="report")
    assert ("SN 2023ixf monitor", "new_detection") in {(a["target"], a["kind"]) for a in summary["alerts"]}
    assert "SN 2023ixf monitor" in json.loads(calls.read_text())["summary"]
    assert listed(tom, "quiet")
