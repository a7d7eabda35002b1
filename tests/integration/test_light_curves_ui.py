"""Light curves in the Airflow UI, in headless Chromium against the real API server.

A real cluster with a real user (no all-admins shortcut): the pages and their data refuse anyone
not logged in to Airflow, Airflow's own login page lets the user in, the "Light curves" entry
shows the list inside the UI, the plot task's "Light curve" extra link opens the target's page,
a survey is toggled off and back, the magnitude view shows limits, and the CSV download holds
every stored row. Screenshots land in ``test-artifacts/`` (README's picture comes from here).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from fphot_provider.sinks.file import FileSink
from tests.helpers import wait_until
from tests.integration.cluster import AirflowCluster
from tests.integration.test_ui import ARGS, ARTIFACTS

pytestmark = pytest.mark.integration
USER, PASSWORD = "astro", "night-sky-7"
TARGET = "UI SN 2023ixf"
CONF = {
    "target_name": TARGET,
    "ra": "14:03:38.56",
    "dec": "+54:18:42.1",
    "mjd_min": "2010-01-01",
    "mjd_max": "60200",
    "services": ["atlas", "panstarrs"],
}


def users(home: Path) -> dict[str, str]:
    """One real user of Airflow's simple auth manager, its password in a file Airflow reads."""
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({USER: PASSWORD}))
    return {
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
    }


def plotted_services(page) -> list[str]:  # noqa: ANN001 - a playwright page
    return page.evaluate("[...new Set(document.getElementById('plot').data.map((t) => t.meta.service))].sort()")


def test_light_curves_pages(tmp_path: Path, postgres, chromium, atlas_emulator, panstarrs_emulator) -> None:  # noqa: ANN001
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    cluster = AirflowCluster("LocalExecutor", users(tmp_path), postgres=postgres)
    try:
        cluster.start("scheduler", "dag-processor", "triggerer")
        # Not logged in: no data, and pages send the browser to Airflow's login.
        assert requests.get(f"{cluster.url}/fphot/api/targets", timeout=30).status_code == 401
        refused = requests.get(f"{cluster.url}/fphot/", allow_redirects=False, timeout=30)
        assert refused.status_code == 303 and refused.headers["location"].startswith("/auth/login?next=")
        forged = requests.get(f"{cluster.url}/fphot/api/targets", cookies={"_token": "not-a-jwt"}, timeout=30)
        assert forged.status_code in (401, 403)

        cluster.login(USER, PASSWORD)
        run_id = cluster.trigger("fphot_target", CONF)
        wait_until(lambda: cluster.run_state("fphot_target", run_id) in ("success", "failed"), timeout=300, interval=2)
        assert cluster.run_state("fphot_target", run_id) == "success", cluster.task_states("fphot_target", run_id)
        stored = FileSink(cluster.home / "fphot").read(TARGET)
        assert set(stored["service"]) == {"atlas", "panstarrs"}
        links = cluster.api("GET", f"/dags/fphot_target/dagRuns/{run_id}/taskInstances/plot/links")["extra_links"]
        assert links["Light curve"] == f"{cluster.url}/fphot/target?name=UI%20SN%202023ixf"

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            log_in(page, cluster.url)
            check_list(page, cluster.url)
            target = open_extra_link(page, cluster.url, run_id)
            check_target_page(target, len(stored))
            browser.close()
    except AssertionError as err:
        raise AssertionError(f"{err}\n{cluster.logs()}") from None
    finally:
        cluster.stop()


def log_in(page, url: str) -> None:  # noqa: ANN001
    """Through Airflow's own login page, sent there by the Light curves page, and back."""
    page.goto(f"{url}/fphot/")
    page.wait_for_url("**/auth/login**")
    page.get_by_label("Username").fill(USER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/fphot/**")


def check_list(page, url: str) -> None:  # noqa: ANN001
    """The list, alone and inside the Airflow UI (Browse > Light curves shows it in a frame)."""
    page.get_by_role("link", name=TARGET).wait_for()
    row = page.locator("#targets tbody tr").first
    assert "atlas" in row.inner_text() and "panstarrs" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "light-curves-list.png"), full_page=True)
    page.goto(url)
    page.get_by_role("button", name="Browse").click()
    page.get_by_role("menuitem", name="Light curves").click()
    page.wait_for_url("**/plugin/light-curves")
    page.frame_locator("iframe").get_by_role("link", name=TARGET).wait_for(timeout=30000)
    page.screenshot(path=str(ARTIFACTS / "light-curves-in-airflow.png"))


def open_extra_link(page, url: str, run_id: str):  # noqa: ANN001, ANN201
    """The plot task's "Light curve" button (task instance, Details) opens the target's page.

    The UI opens a link to its own server in the same tab.
    """
    page.goto(f"{url}/dags/fphot_target/runs/{run_id}/tasks/plot/details")
    page.get_by_role("link", name="Light curve").click()
    page.wait_for_url("**/fphot/target?name=UI%20SN%202023ixf")
    page.wait_for_function("window.fphotRendered !== undefined", timeout=60000)
    return page


def check_target_page(page, rows: int) -> None:  # noqa: ANN001
    assert page.evaluate("window.fphotRendered.points") == rows
    assert plotted_services(page) == ["atlas", "panstarrs"]
    page.screenshot(path=str(ARTIFACTS / "light-curve-target.png"))
    page.locator("#survey-panstarrs").uncheck()
    assert plotted_services(page) == ["atlas"]
    assert "panstarrs" not in page.locator("#points tbody").inner_text()
    page.locator("#survey-panstarrs").check()
    page.get_by_label("Magnitude (AB)").check()
    kinds = page.evaluate("document.getElementById('plot').data.map((t) => t.meta.kind)")
    assert "limit" in kinds and "good" in kinds
    symbols = page.evaluate("document.getElementById('plot').data.map((t) => t.marker.symbol)")
    assert "triangle-down" in symbols
    page.screenshot(path=str(ARTIFACTS / "light-curve-target-mag.png"))
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename == "UI_SN_2023ixf.csv"
    assert len(Path(download.value.path()).read_text().splitlines()) == rows + 1
