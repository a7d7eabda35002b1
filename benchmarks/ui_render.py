"""Light curves pages: a 10,000-point light curve drawn in headless Chromium, a page of a 10,000-target list.

Run: .venv/bin/python benchmarks/ui_render.py [POINTS] [TARGETS]   (needs Debian's chromium)
Targets: the page of one target renders in < 2 s (the browser's own clock, from navigation start
to the plot drawn; a first visit, from the list in a new profile, downloads and compiles plotly.js
with no cache, later visits use the browser's cache);
a page of the target list of a 10,000-target SQL sink answers without reading every target.
Baselines in the same process: the static PNG of the same light curve (matplotlib), and reading
every row of the list's sink (what a list that loads everything would do).
The app runs as the API server mounts it, under /fphot, with Airflow's login replaced by an
anonymous user (this measures drawing, not auth).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repo root, for tests.*

from timing import best_of  # noqa: E402

from fphot_provider.plotting import light_curve_figure  # noqa: E402
from fphot_provider.sinks.sql import SqlSink  # noqa: E402
from tests.ui_data import light_curve_table, many_targets  # noqa: E402
from tests.ui_server import light_curves_app  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def render_times(url: str, name: str, repeat: int = 3) -> tuple[list[dict], list[dict]]:
    """What the page measured of itself: first visits (a new browser profile each: empty cache,
    coming from the list as a user does) and later visits (the same profile again)."""
    from playwright.sync_api import sync_playwright

    first, later = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        for _ in range(repeat):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.goto(f"{url}/")
            page.locator("#targets tbody tr").first.wait_for()
            for visits in (first, later):
                page.goto(f"{url}/target?name={name}")
                page.wait_for_function("window.fphotRendered !== undefined", timeout=60000)
                visits.append(page.evaluate("window.fphotRendered"))
            context.close()
        browser.close()
    return first, later


def list_figures(sink: SqlSink, targets: int) -> tuple[float, float, float]:
    """Seconds: page 101 by name, the first page by last update, and (baseline) reading every row."""
    page = best_of(lambda: sink.list_targets(offset=5000, limit=50, sort="name"))
    updated = best_of(lambda: sink.list_targets(offset=0, limit=50, sort="updated"))
    everything = best_of(lambda: sink.read_many([f"T{i:05d}" for i in range(targets)], raw=False), repeat=1)
    return page, updated, everything


def postgres_sink(targets: int) -> tuple[SqlSink, object, float, float]:
    """The same list on PostgreSQL (the tests' own server), written in store-chunk sized writes
    of 1,000 targets; the server's handle (keep it while the sink is used), and the seconds those
    writes spent stamping the catalogue, of their total."""
    from tests.servers import start_postgres

    postgres, handle = start_postgres()
    os.environ["AIRFLOW_CONN_FPHOT_UI_BENCH"] = json.dumps(postgres.airflow_connection(postgres.create_database("ui")))
    sink = SqlSink("fphot_ui_bench")
    stamping = [0.0]
    touch = SqlSink._touch

    def timed(self: SqlSink, *args: object) -> None:
        start = time.perf_counter()
        touch(self, *args)
        stamping[0] += time.perf_counter() - start

    SqlSink._touch = timed
    rows = many_targets(targets, 20)
    start = time.perf_counter()
    for first in range(0, targets, 1000):
        names = {f"T{i:05d}" for i in range(first, first + 1000)}
        sink.write(rows[rows["target"].isin(names)])
    total = time.perf_counter() - start
    SqlSink._touch = touch
    return sink, handle, stamping[0], total


def main() -> None:
    points = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    targets = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    root = Path(tempfile.mkdtemp(prefix="fphot-ui-bench-"))
    sink = SqlSink(root=root)
    curve = light_curve_table("BIG", points)
    sink.write(curve)
    sink.write(many_targets(targets, 20))
    try:
        with light_curves_app(f"sql:root={root}") as url:
            first, later = render_times(url, "BIG")
        png = best_of(lambda: light_curve_figure(curve, title="BIG").savefig(root / "big.png"), repeat=2)
        on_sqlite = list_figures(sink, targets)
        pg_sink, _server, stamping, writing = postgres_sink(targets)
        on_postgres = list_figures(pg_sink, targets)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"light curve: {points:,} points")
    cold = [round(r["totalMs"]) for r in first]
    print(f"  navigation to drawn:     first visits {cold} ms, later {[round(r['totalMs']) for r in later]} (< 2000)")
    print(f"  the draw alone:          {[round(r['drawMs']) for r in first + later]} ms")
    ratio = max(cold) / 1000 / png
    print(f"  baseline, static PNG:    {png * 1000:.0f} ms  (ratio slowest first visit/PNG {ratio:.2f})")
    for kind, (page, updated, everything) in (("SQLite", on_sqlite), ("PostgreSQL", on_postgres)):
        print(f"target list: {targets:,} targets x 20 rows in the SQL sink ({kind})")
        print(f"  page 101 by name:        {page * 1000:.1f} ms; first page by last update {updated * 1000:.1f} ms")
        print(f"  baseline, every row:     {everything * 1000:.0f} ms  (ratio page/all {page / everything:.4f})")
    print(f"  PostgreSQL writes of 1,000 targets: {writing:.1f} s in all, {stamping:.2f} s stamping the catalogue")


if __name__ == "__main__":
    main()
