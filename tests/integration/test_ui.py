"""The Airflow UI in headless Chromium: trigger fphot_target from its form, and see a bad Dec refused.

Screenshots land in ``test-artifacts/`` (kept by CI as artifacts; ignored by git).
"""

from __future__ import annotations

import json

import pytest

from fphot_provider.emulators import atlas
from fphot_provider.emulators.common import EmulatorServer
from fphot_provider.sinks.file import FileSink
from tests.conftest import REPO
from tests.helpers import wait_until
from tests.integration.cluster import AirflowCluster

pytestmark = pytest.mark.integration
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = REPO / "test-artifacts"


def open_form(page, url: str):  # noqa: ANN001, ANN201 - playwright objects
    page.goto(f"{url}/dags/fphot_target", wait_until="networkidle")
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.get_by_role("dialog")
    dialog.locator("#element_target_name").wait_for()
    return dialog


def fill(dialog, **fields: str) -> None:  # noqa: ANN001
    for name, value in fields.items():
        dialog.locator(f"#element_{name}").fill(value)


def test_trigger_form(tmp_path, postgres, chromium) -> None:  # noqa: ANN001
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with EmulatorServer(atlas.create_app(atlas.AtlasConfig(queue_seconds=1, run_seconds=1))) as emulator:
        conn = json.dumps({"conn_type": "fphot_atlas", "host": emulator.url, "password": "demo-token"})
        cluster = AirflowCluster("LocalExecutor", {"AIRFLOW_CONN_FPHOT_ATLAS_DEFAULT": conn}, postgres=postgres)
        try:
            cluster.start("scheduler", "dag-processor", "triggerer")
            wait_until(lambda: cluster._dag_known("fphot_target"), timeout=120, interval=1)
            cluster.api("PATCH", "/dags/fphot_target", json={"is_paused": False})
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})

                dialog = open_form(page, cluster.url)
                fill(
                    dialog,
                    target_name="UI SN 2023ixf",
                    ra="14:03:38.56",
                    dec="+54:18:42.1",
                    mjd_min="60070",
                    mjd_max="60200",
                    services="atlas",
                )  # arrays: one value per line
                page.screenshot(path=str(ARTIFACTS / "ui-trigger-form.png"), full_page=True)
                with page.expect_response(lambda r: "/dagRuns" in r.url and r.request.method == "POST") as answer:
                    dialog.get_by_role("button", name="Trigger").last.click()
                assert answer.value.status == 200, answer.value.text()
                run_id = answer.value.json()["dag_run_id"]

                dialog = open_form(page, cluster.url)
                fill(dialog, target_name="bad dec", dec="95")
                with page.expect_response(lambda r: "/dagRuns" in r.url and r.request.method == "POST") as refused:
                    dialog.get_by_role("button", name="Trigger").last.click()
                assert refused.value.status == 400
                assert "dec" in refused.value.text() and "90" in refused.value.text()  # names the field and the limit
                page.get_by_text("Failed to Trigger Dag").wait_for(timeout=10000)
                page.screenshot(path=str(ARTIFACTS / "ui-bad-dec-refused.png"), full_page=True)
                browser.close()

            wait_until(
                lambda: cluster.run_state("fphot_target", run_id) in ("success", "failed"), timeout=240, interval=2
            )
            assert cluster.run_state("fphot_target", run_id) == "success"
            assert len(FileSink(cluster.home / "fphot").read("UI SN 2023ixf")) > 100
            runs = cluster.api("GET", "/dags/fphot_target/dagRuns")["dag_runs"]
            assert [r["conf"]["target_name"] for r in runs] == ["UI SN 2023ixf"]  # the bad one never became a run
        except AssertionError as err:
            raise AssertionError(f"{err}\n{cluster.logs()}") from None
        finally:
            cluster.stop()
