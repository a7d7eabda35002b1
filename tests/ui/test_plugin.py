"""The plugin as Airflow finds it: the entry point, the app it mounts, the menu entry, the extra links."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from fphot_provider.ui.links import LightCurveLink, list_path, target_path
from fphot_provider.ui.plugin import FphotPlugin, LazyApp


def test_airflow_loads_the_plugin_from_its_entry_point() -> None:
    (found,) = [e for e in entry_points(group="airflow.plugins") if e.name == "fphot"]
    assert found.load() is FphotPlugin
    (app,) = FphotPlugin.fastapi_apps
    assert app["url_prefix"] == "/fphot" and isinstance(app["app"], LazyApp)
    (view,) = FphotPlugin.external_views
    assert (view["name"], view["href"], view["url_route"]) == ("Light curves", "/fphot/", "light-curves")


@pytest.mark.airflow
def test_airflow_plugins_command_lists_it() -> None:
    """``airflow plugins``, in its own process: what the API server will mount."""
    listed = subprocess.run(
        [sys.executable, "-m", "airflow", "plugins", "--output", "json"], capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0, listed.stderr[-2000:]
    (plugin,) = [p for p in json.loads(listed.stdout) if p["name"] == "fphot"]
    assert "/fphot" in json.dumps(plugin["fastapi_apps"]) and "Light curves" in json.dumps(plugin["external_views"])


BUILT: list[str] = []


def counting_app():  # noqa: ANN201
    """A factory LazyApp loads by its path; it records each build and each request."""
    BUILT.append("built")

    async def app(scope, receive, send) -> None:  # noqa: ANN001
        BUILT.append(scope["path"])

    return app


def test_the_app_is_built_on_its_first_request_only() -> None:
    """Every Airflow process loads plugins; only the API server's first request builds the app."""
    BUILT.clear()
    lazy = LazyApp("tests.ui.test_plugin:counting_app")
    assert BUILT == []
    for path in ("/a", "/b"):
        asyncio.run(lazy({"type": "http", "path": path}, None, None))
    assert BUILT == ["built", "/a", "/b"]


def test_page_paths_quote_the_target_name() -> None:
    assert target_path("SN 2023ixf") == "/fphot/target?name=SN%202023ixf"
    assert target_path("a&b/c") == "/fphot/target?name=a%26b%2Fc"
    assert list_path("updated") == "/fphot/?sort=updated"


def test_the_plot_task_and_the_monitor_report_carry_the_link(dagbag) -> None:  # noqa: ANN001
    plot = dagbag.get_dag("fphot_target").get_task("plot")
    report = dagbag.get_dag("fphot_survey_monitor").get_task("report")
    for task in (plot, report):
        assert [type(link) for link in task.operator_extra_links] == [LightCurveLink]
