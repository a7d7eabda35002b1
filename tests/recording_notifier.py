"""A notifier for the tests: it writes what it was sent to a file (no e-mail, no Slack)."""

from __future__ import annotations

import json
import os
from typing import Any


class RecordingNotifier:
    def notify(self, context: dict[str, Any]) -> None:
        payload = {"alerts": context["fphot_alerts"], "summary": context["fphot_summary"]}
        with open(os.environ["FPHOT_TEST_NOTIFY_FILE"], "w", encoding="utf-8") as handle:
            json.dump(payload, handle)


def factory() -> RecordingNotifier:
    return RecordingNotifier()
