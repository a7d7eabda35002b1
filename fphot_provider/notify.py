"""Send change alerts through an Airflow notifier the user chooses (e-mail, Slack, ...).

Set ``[fphot] alert_notifier`` (env ``AIRFLOW__FPHOT__ALERT_NOTIFIER``) to ``module:callable``;
the callable returns a notifier (any ``airflow.sdk.BaseNotifier``, e.g. ``SlackNotifier`` or
``SmtpNotifier`` with a templated text). It is called with the task context extended by
``fphot_alerts`` (a list of dicts) and ``fphot_summary`` (text), so templates can use both.
"""

from __future__ import annotations

from typing import Any

from fphot_provider.loading import load_object
from fphot_provider.monitoring import ChangeAlert
from fphot_provider.storage import _airflow_setting


def load_notifier() -> Any | None:
    """The configured notifier, or None when alerts only go to the task log."""
    path = _airflow_setting("alert_notifier").strip()
    if not path:
        return None
    return load_object(path, "[fphot] alert_notifier")()


def send_alerts(alerts: list[ChangeAlert], summary: str, context: dict[str, Any]) -> bool:
    """Notify when there are alerts; return whether a notifier was called."""
    notifier = load_notifier()
    if notifier is None or not alerts:
        return False
    notifier.notify({**context, "fphot_alerts": [a.to_dict() for a in alerts], "fphot_summary": summary})
    return True
