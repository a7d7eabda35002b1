"""ZTF parse throughput against plain pandas.read_csv of the same bytes (same process).

Run: .venv/bin/python benchmarks/parse_ztf.py [ROWS]
Target: parse_ztf within 2x of read_csv (it also converts units, limits and quality marks).
"""

from __future__ import annotations

import io
import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import best_of  # noqa: E402

from fphot_provider.emulators import ztf_data
from fphot_provider.parsers.ztf import parse_ztf


def make_text(rows: int) -> str:
    """A real-format file of ``rows`` epochs (several emulated positions' epochs, one header)."""
    parts, total, ra = [], 0, 0.0
    while total < rows:
        cols = ztf_data.epochs(ra, 30.0, 2458194.5, 2461400.5)
        parts.append(cols)
        total += cols["jd"].size
        ra += 1.0
    cols = {name: np.concatenate([p[name] for p in parts])[:rows] for name in parts[0]}
    return ztf_data.render(cols, 0.0, 30.0, 2458194.5, 2461400.5)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    text = make_text(rows)
    header_lines = 57
    baseline = best_of(
        lambda: pd.read_csv(io.StringIO(text), sep=r"\s+", comment="#", header=None, skiprows=header_lines)
    )
    ours = best_of(lambda: parse_ztf(text, target="bench"))
    print(f"rows: {rows:,}  bytes: {len(text):,}")
    print(f"pandas.read_csv : {baseline:.3f} s  ({rows / baseline:,.0f} rows/s)")
    print(f"parse_ztf       : {ours:.3f} s  ({rows / ours:,.0f} rows/s)")
    print(f"ratio           : {ours / baseline:.2f}x  (target <= 2.0x)")


if __name__ == "__main__":
    main()
