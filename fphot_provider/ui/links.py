"""The "Light curve" extra link: from a task that stored or plotted photometry to its page in the UI.

The task pushes the page's path to XCom (``light_curve_path``) when it runs. Airflow 3 asks the
link for its URL in the worker as the task ends and keeps it; with ``[api] base_url`` set the URL
is absolute (a subpath included), without it the path stays relative, which the UI opens on its
own server. No path pushed (nothing to show): no link.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from airflow.sdk import BaseOperatorLink
from airflow.sdk.execution_time.xcom import XCom

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

XCOM_KEY = "light_curve_path"
URL_PREFIX = "/fphot"  # where the API server mounts the Light curves app


def target_path(target: str) -> str:
    """The path of a target's page under the API server."""
    return f"{URL_PREFIX}/target?{urlencode({'name': target}, quote_via=quote)}"


def list_path(sort: str = "alert") -> str:
    """The path of the target list, in an order (``alert``: the newest alerts first)."""
    return f"{URL_PREFIX}/?{urlencode({'sort': sort})}"


def push_light_curve_path(context: Any, path: str) -> None:
    """Leave the page's path for :class:`LightCurveLink`; outside a task (no ``ti``: the CLI) nothing to do."""
    if context.get("ti") is not None:
        context["ti"].xcom_push(key=XCOM_KEY, value=path)


class LightCurveLink(BaseOperatorLink):
    """ "Light curve": the page of the target this task stored or plotted, in the Light curves UI."""

    name = "Light curve"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        path = XCom.get_value(ti_key=ti_key, key=XCOM_KEY)
        if not path:
            return ""
        from airflow.configuration import conf

        return conf.get("api", "base_url", fallback="").rstrip("/") + path
