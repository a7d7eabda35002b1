"""SQL sink upsert throughput into PostgreSQL (same process: plain COPY as baseline).

Run: .venv/bin/python benchmarks/sql_upsert.py [ROWS]   (starts its own PostgreSQL: tests/servers.py)
Target: >= 100,000 rows/s for the upsert of new rows.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time

import psycopg2

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repo root, for tests.*

from fphot_provider.sinks.sql import COLUMNS, SqlSink, ddl, to_rows  # noqa: E402
from tests.servers import start_postgres  # noqa: E402
from tests.sinks.conformance import table  # noqa: E402

POSTGRES, PG_HANDLE = start_postgres()
DATABASE = POSTGRES.create_database("fphot_bench")
os.environ["AIRFLOW_CONN_FPHOT_BENCH_PG"] = json.dumps(POSTGRES.airflow_connection(DATABASE))
DSN = {"host": POSTGRES.socket_dir, "user": POSTGRES.user, "dbname": DATABASE}


def plain_copy(frame) -> float:  # noqa: ANN001
    """Baseline: COPY the same rows into a table with no key and no checks."""
    with psycopg2.connect(**DSN) as conn, conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS fphot_bench_copy")
        cur.execute(ddl("fphot_bench_copy").replace(", PRIMARY KEY (target, service, exposure_id)", ""))
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=False, na_rep="")
        buffer.seek(0)
        start = time.perf_counter()
        cur.copy_expert(
            f"COPY fphot_bench_copy ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (flags))", buffer
        )
        conn.commit()
        elapsed = time.perf_counter() - start
        cur.execute("DROP TABLE fphot_bench_copy")
    return elapsed


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    data = table(n=rows).assign(raw_chi_N=1.2, raw_x=100.5)
    with psycopg2.connect(**DSN) as conn, conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS fphot_bench")
    sink = SqlSink("fphot_bench_pg", "fphot_bench")
    baseline = plain_copy(to_rows(data))
    start = time.perf_counter()
    first = sink.write(data)
    new_rows = time.perf_counter() - start
    start = time.perf_counter()
    again = sink.write(data)
    rerun = time.perf_counter() - start
    print(f"rows: {rows:,}")
    print(f"plain COPY (baseline)        : {baseline:.2f} s  ({rows / baseline:,.0f} rows/s)")
    print(f"upsert, new rows             : {new_rows:.2f} s  ({rows / new_rows:,.0f} rows/s)  {first}")
    print(f"upsert, re-run (all unchanged): {rerun:.2f} s  ({rows / rerun:,.0f} rows/s)  {again}")
    print(f"ratio new-row upsert / COPY  : {new_rows / baseline:.2f}x  (target >= 100,000 rows/s)")
    with psycopg2.connect(**DSN) as conn, conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS fphot_bench")


if __name__ == "__main__":
    main()
