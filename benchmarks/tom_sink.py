"""tom sink throughput into a real TOM Toolkit (its development server, SQLite), same process:
one worker (sequential posts) as the baseline against the default 4 workers; an unchanged re-run.

Run: .venv/bin/python benchmarks/tom_sink.py [ROWS]   (builds the TOM venv on first use, ~1 min)
What bounds it: one POST per point (the API has no bulk endpoint), Django's per-request work.
"""

from __future__ import annotations

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repo root, for tests.*

from fphot_provider.sinks.tom import TomSink  # noqa: E402
from tests.sinks.conformance import table  # noqa: E402
from tests.tom.server import PASSWORD, USER, make_tom  # noqa: E402


def timed(sink: TomSink, rows) -> float:  # noqa: ANN001
    start = time.perf_counter()
    sink.write(rows)
    return time.perf_counter() - start


def main(n: int) -> None:
    server = make_tom()
    try:
        os.environ["AIRFLOW_CONN_FPHOT_TOM"] = json.dumps(
            {"conn_type": "fphot_tom", "host": server.url, "login": USER, "password": PASSWORD}
        )
        results = {}
        for workers, name in ((1, "B1"), (4, "B4"), (8, "B8")):
            TomSink().hook.create_target(name, 10.0, 20.0)
            rows = table(name, n=n).assign(good=True)
            results[workers] = timed(TomSink(workers=workers), rows)
            print(f"workers={workers}: {n} points in {results[workers]:.1f} s = {n / results[workers]:.0f} points/s")
        rerun = timed(TomSink(), table("B4", n=n).assign(good=True))
        print(f"unchanged re-run: {rerun:.2f} s ({n / rerun:.0f} rows/s)")
        print(f"ratio 4 workers vs 1: {results[1] / results[4]:.2f}x faster")
    finally:
        server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
