"""The Airflow plugin: the Light curves app in the API server and its entry in the UI's menu.

Registered through the ``airflow.plugins`` entry point (providers' own plugin lists are only read
when ``[core] lazy_discover_providers`` is off). Every Airflow process loads plugins, so the
FastAPI app is built on its first request, not at import.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from fphot_provider.loading import load_object
from fphot_provider.ui.links import URL_PREFIX


class LazyApp:
    """An ASGI app that builds the real one (``module:factory``) on its first call."""

    def __init__(self, factory: str) -> None:
        self.factory = factory
        self._app: Any = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if self._app is None:
            self._app = load_object(self.factory, "the light curves app")()
        await self._app(scope, receive, send)

    def __repr__(self) -> str:
        return f"LazyApp({self.factory!r})"


class FphotPlugin(AirflowPlugin):
    """Light curves from the configured sink, inside the Airflow UI."""

    name = "fphot"
    fastapi_apps = [
        {"app": LazyApp("fphot_provider.ui.app:create_app"), "url_prefix": URL_PREFIX, "name": "fphot light curves"}
    ]
    external_views = [
        {
            "name": "Light curves",
            "href": f"{URL_PREFIX}/",
            "url_route": "light-curves",  # shown inside the UI (an iframe) at /plugin/light-curves
            "destination": "nav",
            "category": "browse",
        }
    ]
