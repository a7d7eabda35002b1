"""ATLAS parse throughput against plain pandas.read_csv of the same bytes (same process).

Run: .venv/bin/python benchmarks/parse_atlas.py [ROWS]
Target: parse_atlas within 2x of read_csv (it does the read plus detection, limits, flags).
"""

from __future__ import annotations

import io
import os
import sys

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import best_of  # noqa: E402

from fphot_provider.emulators.atlas_data import generate
from fphot_provider.parsers.atlas import parse_atlas


def make_text(rows: int) -> str:
    """Concatenate generated nights until ``rows`` data rows (real server format)."""
    header, *_ = generate(10.0, 20.0, 60000, 60001).splitlines()
    body: list[str] = []
    ra = 0.0
    while len(body) < rows:
        body += generate(ra, 20.0, 50000, 60000).splitlines()[1:]
        ra += 1.0
    return "\n".join([header, *body[:rows]]) + "\n"


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    text = make_text(rows)
    baseline = best_of(lambda: pd.read_csv(io.StringIO(text), sep=r"\s+"))
    ours = best_of(lambda: parse_atlas(text, target="bench"))
    print(f"rows: {rows:,}  bytes: {len(text):,}")
    print(f"pandas.read_csv : {baseline:.3f} s  ({rows / baseline:,.0f} rows/s)")
    print(f"parse_atlas     : {ours:.3f} s  ({rows / ours:,.0f} rows/s)")
    print(f"ratio           : {ours / baseline:.2f}x  (target <= 2.0x)")


if __name__ == "__main__":
    main()
