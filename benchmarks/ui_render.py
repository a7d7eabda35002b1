"""Light curves pages: a 10,000-point light curve drawn in headless Chromium, a page of a 10,000-target list.

Run: .venv/bin/python benchmarks/ui_render.py [POINTS] [TARGETS]   (needs Debian's chromium)
Targets: the page of one target renders in < 2 s (the browser's own clock, from navigation start
to the plot drawn; the first visit compiles plotly.js without a code cache, later ones with);
a page of the target list of a 10,000-target SQL sink answers without reading every target.
Baselines in the same process: the static PNG of the same light curve (matplotlib), and reading
every row of the list's sink (what a list that loads everything would do).
The app runs as the API server mounts it, under /fphot, with Airflow's login replaced by an
anonymous user (this measures drawing, not auth).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repo root, for tests.*

from timing import best_of  # noqa: E402

from fphot_provider.plotting import light_curve_figure  # noqa: E402
from fphot_provider.sinks.sql import SqlSink  # noqa: E402
from tests.ui_data import light_curve_table, many_targets  # noqa: E402
from tests.ui_server import light_curves_app  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def render_times(url: str, name: str, repeat: int = 3) -> list[dict]:
    """Load the target page ``repeat`` times in a fresh tab; what the page measured of itself."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        times = []
        for _ in range(repeat):
            page.goto(f"{url}/target?name={name}")
            page.wait_for_function("window.fphotRendered !== undefined", timeout=60000)
            times.append(page.evaluate("window.fphotRendered"))
        browser.close()
    return times


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
            runs = render_times(url, "BIG")
        best = min(runs, key=lambda r: r["totalMs"])
        png = best_of(lambda: light_curve_figure(curve, title="BIG").savefig(root / "big.png"), repeat=2)
        page = best_of(lambda: sink.list_targets(offset=5000, limit=50, sort="name"))
        alert_page = best_of(lambda: sink.list_targets(offset=0, limit=50, sort="updated"))
        everything = best_of(lambda: sink.read_many([f"T{i:05d}" for i in range(targets)], raw=False), repeat=1)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"light curve: {points:,} points")
    every = [round(r["totalMs"]) for r in runs]
    print(f"  navigation to drawn:     first visit {runs[0]['totalMs']:.0f} ms, then {every[1:]} ms (target < 2000)")
    print(f"  the draw alone:          {best['drawMs']:.0f} ms")
    print(
        f"  baseline, static PNG:    {png * 1000:.0f} ms  (ratio first visit/PNG {runs[0]['totalMs'] / 1000 / png:.2f})"
    )
    print(f"target list: {targets:,} targets in the SQL sink (SQLite)")
    print(f"  page 101 by name:        {page * 1000:.1f} ms; first page by last update {alert_page * 1000:.1f} ms")
    print(f"  baseline, every row:     {everything * 1000:.0f} ms  (ratio page/all {page / everything:.4f})")


if __name__ == "__main__":
    main()
