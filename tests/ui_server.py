"""The Light curves app on a loopback port, as the API server mounts it (under /fphot).

For tests of the app's own behaviour and for benchmarks/ui_render.py. Airflow's login is replaced
by an anonymous user here; tests/integration/test_light_curves_ui.py checks the real login
through the real API server.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tests.helpers import free_port, wait_until

UI_SINK = "AIRFLOW__FPHOT__UI_SINK"


@contextmanager
def light_curves_app(sink_spec: str) -> Iterator[str]:
    """Serve the app reading ``sink_spec`` (``[fphot] ui_sink``, set for the duration); yield its URL."""
    import uvicorn
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi import FastAPI

    from fphot_provider.ui.app import create_app

    before = os.environ.get(UI_SINK)
    os.environ[UI_SINK] = sink_spec
    app = create_app()
    app.dependency_overrides[get_user] = lambda: None
    outer = FastAPI()
    outer.mount("/fphot", app)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(outer, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout=30)
    try:
        yield f"http://127.0.0.1:{port}/fphot"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        os.environ.pop(UI_SINK) if before is None else os.environ.__setitem__(UI_SINK, before)
