"""A sink into any SQLite or PostgreSQL database Airflow reaches through a Connection.

Rows land in one table (default ``fphot_photometry``, DDL below) keyed by
``(target, service, exposure_id)``: each write stages the rows (PostgreSQL: ``COPY``; SQLite:
``executemany``) and upserts them with ``INSERT ... ON CONFLICT DO UPDATE`` only where a value
changed, in one transaction, with parameterized SQL only (the table name is the one
identifier, checked against a strict pattern). Service columns (``raw_*``) are kept as one
JSON text per row in ``raw``.

Beside it, ``<table>_targets`` is the catalogue the Light curves pages list: one row per target
with the time a write last changed its rows and its newest alert; pages of it are read with
``LIMIT``/``OFFSET``, never the whole table.

Without a Connection the sink is an embedded SQLite file, ``<data_dir>/fphot.sqlite``.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv

from fphot_provider.exceptions import ConfigurationError, SinkError
from fphot_provider.photometry import KEY, RAW_PREFIX, SCHEMA, conform, empty_table
from fphot_provider.sinks.base import (
    Sink,
    TargetPage,
    TargetSummary,
    WriteResult,
    check_listing,
    newest_alerts,
    utc_now,
)
from fphot_provider.storage import data_dir

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,54}$")  # + "_targets" stays within PostgreSQL's 63
SQL_TYPES = {"category": "TEXT", "string": "TEXT", "float64": "DOUBLE PRECISION", "bool": "BOOLEAN"}
COLUMNS = [*SCHEMA, "raw"]
READ_BATCH = 500  # names per IN list: far below every SQLite build's limit on parameters
NOT_NULL = {"target", "service", "filter", "mjd", "time_ref", "detected", "good", "flags", "exposure_id"}


def ddl(table: str, *, temporary: bool = False) -> str:
    """The table's DDL (documented in the README); the staging table has no key."""
    columns = [f"{name} {SQL_TYPES[dtype]}{' NOT NULL' if name in NOT_NULL else ''}" for name, dtype in SCHEMA.items()]
    columns.append("raw TEXT")
    key = "" if temporary else ", PRIMARY KEY (target, service, exposure_id)"
    return f"CREATE {'TEMP ' if temporary else ''}TABLE IF NOT EXISTS {table} ({', '.join(columns)}{key})"


def catalogue_ddl(table: str) -> str:
    """The target catalogue beside ``table`` (times as ISO 8601 UTC text, the alert as JSON)."""
    columns = "target TEXT PRIMARY KEY, updated_at TEXT, alert_at TEXT, alert TEXT"
    return f"CREATE TABLE IF NOT EXISTS {table}_targets ({columns})"


LIST_ORDER = {
    "name": "target",
    "updated": "(updated_at IS NULL), updated_at DESC, target",
    "alert": "(alert_at IS NULL), alert_at DESC, target",
}


class SqlSink(Sink):
    """Upsert photometry into a SQL table.

    :param conn_id: an Airflow Connection of type ``sqlite`` (host = file path) or ``postgres``;
        None: the embedded SQLite file under the data root.
    :param table: the table name (created if missing, with its indexes).
    :param root: the data root for the embedded SQLite file.
    """

    def __init__(
        self, conn_id: str | None = None, table: str = "fphot_photometry", root: str | Path | None = None
    ) -> None:
        if not _IDENTIFIER.match(table):
            raise ConfigurationError(f"sink: table name {table!r} must match {_IDENTIFIER.pattern}")
        self.conn_id = conn_id
        self.table = table
        self.path = data_dir(root) / "fphot.sqlite" if conn_id is None else None

    def describe(self) -> str:
        return f"sql sink {self.table} on {self.conn_id or self.path}"

    # --- connections ---------------------------------------------------------------------------
    def _connect(self) -> tuple[Any, str]:
        """A DB-API connection and its dialect ('sqlite' or 'postgresql')."""
        if self.conn_id is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return sqlite3.connect(self.path, timeout=120, isolation_level=None), "sqlite"
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(self.conn_id)
        if conn.conn_type == "sqlite":
            return sqlite3.connect(conn.host, timeout=120, isolation_level=None), "sqlite"
        if conn.conn_type in ("postgres", "postgresql"):
            try:
                from airflow.providers.postgres.hooks.postgres import PostgresHook
            except ImportError:
                raise ConfigurationError("sink: PostgreSQL needs pip install 'fphot-provider[postgres]'") from None
            return PostgresHook(postgres_conn_id=self.conn_id).get_conn(), "postgresql"
        raise ConfigurationError(f"sink: connection type {conn.conn_type!r} is not supported (sqlite, postgres)")

    def _ensure_table(self, connection: Any, dialect: str) -> None:
        """Create the table and index once, in their own short transaction.

        PostgreSQL's ``CREATE TABLE IF NOT EXISTS`` races between concurrent writers: an
        advisory lock on the table name serializes only this step.
        """
        cursor = connection.cursor()
        if dialect == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (zlib.crc32(self.table.encode()),))
        cursor.execute(ddl(self.table))
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {self.table}_service_mjd ON {self.table} (target, service, mjd)")
        self._ensure_catalogue(cursor)
        if dialect == "postgresql":
            connection.commit()

    def _ensure_catalogue(self, cursor: Any) -> None:
        """Create the target catalogue; fill it once from a table written before it existed."""
        cursor.execute(catalogue_ddl(self.table))
        cursor.execute(f"SELECT 1 FROM {self.table}_targets LIMIT 1")
        if cursor.fetchone() is None:
            cursor.execute(
                f"INSERT INTO {self.table}_targets (target) SELECT DISTINCT target FROM {self.table} "
                "WHERE true ON CONFLICT (target) DO NOTHING"
            )

    # --- write ----------------------------------------------------------------------------------
    def write(self, table: pd.DataFrame) -> WriteResult:
        return sum(self._write_pairs(table).values(), WriteResult(0, 0, 0))

    def write_products(self, items: list[tuple[pd.DataFrame, dict[str, Any]]]) -> list[WriteResult]:
        """One transaction per kind of table (same columns: one service) for the whole chunk.

        Each item gets the counts of its (target, service); a pair listed by two items is
        counted once, on the first.
        """
        groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for index, (table, _) in enumerate(items):
            if len(table):
                groups[tuple(table.columns)].append(index)
        counts: dict[tuple[str, str], WriteResult] = {}
        for indexes in groups.values():
            counts |= self._write_pairs(pd.concat([items[i][0] for i in indexes], ignore_index=True))
        results = []
        for table, _ in items:
            pair = (str(table["target"].iloc[0]), str(table["service"].iloc[0])) if len(table) else None
            results.append(counts.pop(pair, WriteResult(0, 0, 0)))
        return results

    def _write_pairs(self, table: pd.DataFrame) -> dict[tuple[str, str], WriteResult]:
        """Upsert ``table``; what the write did per (target, service)."""
        rows = conform(table).drop_duplicates(subset=KEY, keep="last")
        if rows.empty:
            return {}
        frame = to_rows(rows)
        connection, dialect = self._connect()
        with closing(connection):
            try:
                return self._upsert(connection, dialect, frame)
            except Exception as err:
                connection.rollback() if dialect == "postgresql" else connection.execute("ROLLBACK")
                if isinstance(err, (SinkError, ConfigurationError)):
                    raise
                raise SinkError(f"{self.describe()}: write failed: {err}") from err

    def _upsert(self, connection: Any, dialect: str, frame: pd.DataFrame) -> dict[tuple[str, str], WriteResult]:
        self._ensure_table(connection, dialect)
        cursor = connection.cursor()
        if dialect == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")  # take the write lock now: no upgrade deadlocks
        stage = "fphot_stage"
        cursor.execute(f"DROP TABLE IF EXISTS {stage}")
        cursor.execute(ddl(stage, temporary=True))
        self._stage(cursor, dialect, stage, frame)
        counts = self._merge(cursor, dialect, stage)
        self._touch(cursor, dialect, sorted({t for (t, _), r in counts.items() if r.inserted or r.updated}))
        cursor.execute(f"DROP TABLE {stage}")
        connection.commit() if dialect == "postgresql" else cursor.execute("COMMIT")
        return counts

    def _merge(self, cursor: Any, dialect: str, stage: str) -> dict[tuple[str, str], WriteResult]:
        """Insert new keys, update changed rows; what each (target, service) got.

        Counted first, in the same transaction. Two plain statements are about twice as fast as
        one ``ON CONFLICT`` upsert for the usual nightly write (mostly new rows). If a concurrent
        writer inserts one of our keys in between, the insert fails on the key: counted again,
        and the one-statement upsert takes over.
        """
        counts = self._pair_counts(cursor, dialect, stage)
        cursor.execute("SAVEPOINT fphot_merge")
        try:
            cursor.execute(insert_new_sql(self.table, stage))
        except Exception as err:
            if not _is_key_violation(err):
                raise
            cursor.execute("ROLLBACK TO SAVEPOINT fphot_merge")
            counts = self._pair_counts(cursor, dialect, stage)
            cursor.execute(upsert_sql(self.table, stage, dialect))
            return counts
        if any(result.updated for result in counts.values()):
            cursor.execute(update_changed_sql(self.table, stage, dialect))
        return counts

    def _pair_counts(self, cursor: Any, dialect: str, stage: str) -> dict[tuple[str, str], WriteResult]:
        """Per (target, service) of the staged rows: how many are new, changed, the same."""
        group = "GROUP BY s.target, s.service"
        cursor.execute(f"SELECT s.target, s.service, COUNT(*) FROM {stage} s {group}")
        staged = {(t, v): n for t, v, n in cursor.fetchall()}
        cursor.execute(
            f"SELECT s.target, s.service, COUNT(*) FROM {stage} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {self.table} WHERE {_same_key(self.table, 's')}) {group}"
        )
        new = {(t, v): n for t, v, n in cursor.fetchall()}
        cursor.execute(
            f"SELECT s.target, s.service, COUNT(*) FROM {stage} s JOIN {self.table} "
            f"ON {_same_key(self.table, 's')} WHERE {_differs(self.table, 's', dialect)} {group}"
        )
        changed = {(t, v): n for t, v, n in cursor.fetchall()}
        return {
            pair: WriteResult(new.get(pair, 0), changed.get(pair, 0), n - new.get(pair, 0) - changed.get(pair, 0))
            for pair, n in staged.items()
        }

    def _touch(self, cursor: Any, dialect: str, targets: list[str]) -> None:
        """Stamp the catalogue rows of the targets this write changed (in name order: no deadlock)."""
        mark = "?" if dialect == "sqlite" else "%s"
        now = utc_now()
        cursor.executemany(
            f"INSERT INTO {self.table}_targets (target, updated_at) VALUES ({mark}, {mark}) "
            "ON CONFLICT (target) DO UPDATE SET updated_at = excluded.updated_at",
            [(name, now) for name in targets],
        )

    def record_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """Keep each alerted target's newest alert in the catalogue (one short transaction)."""
        newest = newest_alerts(alerts, utc_now())
        if not newest:
            return
        connection, dialect = self._connect()
        with closing(connection):
            self._ensure_table(connection, dialect)
            mark = "?" if dialect == "sqlite" else "%s"
            connection.cursor().executemany(
                f"INSERT INTO {self.table}_targets (target, alert_at, alert) VALUES ({mark}, {mark}, {mark}) "
                "ON CONFLICT (target) DO UPDATE SET alert_at = excluded.alert_at, alert = excluded.alert",
                [(name, alert["at"], json.dumps(alert)) for name, alert in sorted(newest.items())],
            )
            connection.commit()

    def _stage(self, cursor: Any, dialect: str, stage: str, frame: pd.DataFrame) -> None:
        if dialect == "postgresql":
            buffer = copy_payload(frame)
            copy = f"COPY {stage} ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (flags))"
            if hasattr(cursor, "copy_expert"):  # psycopg2
                cursor.copy_expert(copy, buffer)
            else:  # psycopg 3, which PostgresHook may hand out instead
                with cursor.copy(copy) as stream:
                    stream.write(buffer.getvalue())
            return
        marks = ", ".join("?" for _ in COLUMNS)
        values = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
        cursor.executemany(f"INSERT INTO {stage} ({', '.join(COLUMNS)}) VALUES ({marks})", values)

    # --- read -------------------------------------------------------------------------------------
    def last_epochs_of(self, targets: list[str], service: str) -> dict[str, float]:
        """One query for every target: ``MAX(mjd)`` per target of one service (uses the index)."""
        rows = self._select("SELECT target, MAX(mjd) FROM {table} WHERE service = {mark} GROUP BY target", service)
        wanted = set(targets)
        return {name: float(mjd) for name, mjd in rows if name in wanted and mjd is not None}

    def read(self, target: str) -> pd.DataFrame:
        sql = f"SELECT {', '.join(COLUMNS)} FROM {{table}} WHERE target = {{mark}} ORDER BY mjd, service, exposure_id"
        return _table(self._select(sql, target))

    def read_many(self, targets: list[str], *, service: str | None = None, raw: bool = True) -> pd.DataFrame:
        """A few queries for any number of targets (``IN`` lists of :data:`READ_BATCH` names)."""
        columns = ", ".join(COLUMNS if raw else [*SCHEMA, "NULL AS raw"])
        rows: list[tuple] = []
        with self._reading() as select:
            for start in range(0, len(targets), READ_BATCH):
                names = list(dict.fromkeys(targets[start : start + READ_BATCH]))
                where = f"target IN ({', '.join(['{mark}'] * len(names))})"
                if service is not None:
                    where += " AND service = {mark}"
                    names.append(service)
                rows += select(f"SELECT {columns} FROM {{table}} WHERE {where}", *names)
        return _table(rows)

    def list_targets(self, *, offset: int = 0, limit: int = 50, search: str = "", sort: str = "name") -> TargetPage:
        """Three queries on one connection: a page of the catalogue, its count, the page's counts per
        service (through the table's index)."""
        check_listing(offset, limit, sort)
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", search.strip().lower()) + "%"
        where = "WHERE LOWER(target) LIKE {mark} ESCAPE '\\'"
        with self._reading() as select:
            page = select(
                f"SELECT target, updated_at, alert FROM {{table}}_targets {where} "
                f"ORDER BY {LIST_ORDER[sort]} LIMIT {limit:d} OFFSET {offset:d}",
                pattern,
            )
            total = select(f"SELECT COUNT(*) FROM {{table}}_targets {where}", pattern)[0][0]
            marks = ", ".join(["{mark}"] * len(page))
            sql = (
                f"SELECT target, service, COUNT(*), MAX(mjd) FROM {{table}} "
                f"WHERE target IN ({marks}) GROUP BY target, service"
            )
            counted = select(sql, *[row[0] for row in page]) if page else []
        points: dict[str, dict[str, int]] = defaultdict(dict)
        last: dict[str, float] = {}
        for name, service, count, mjd in counted:
            points[name][service] = int(count)
            last[name] = max(float(mjd), last.get(name, float(mjd)))
        items = [
            TargetSummary(name, dict(points[name]), last.get(name), updated, json.loads(alert) if alert else None)
            for name, updated, alert in page
        ]
        return TargetPage(items, int(total), offset, limit)

    def _select(self, sql: str, *values: Any) -> list[tuple]:
        """Run one parameterized SELECT (``{table}``, ``{mark}`` filled in) in its own short transaction."""
        with self._reading() as select:
            return select(sql, *values)

    @contextmanager
    def _reading(self) -> Iterator[Callable[..., list[tuple]]]:
        """A SELECT runner for a few queries on one connection, in one short transaction.

        A page of the target list is three queries: on PostgreSQL, opening a connection per query
        cost more than the queries.
        """
        connection, dialect = self._connect()
        with closing(connection):
            self._ensure_table(connection, dialect)
            cursor = connection.cursor()
            mark = "?" if dialect == "sqlite" else "%s"

            def select(sql: str, *values: Any) -> list[tuple]:
                cursor.execute(sql.format(table=self.table, mark=mark), values)
                return cursor.fetchall()

            yield select
            if dialect == "postgresql":
                connection.commit()


def _table(rows: list[tuple]) -> pd.DataFrame:
    return from_rows(pd.DataFrame(rows, columns=COLUMNS)) if rows else conform(empty_table())


def copy_payload(frame: pd.DataFrame) -> io.BytesIO:
    """The rows as CSV for COPY, written by Arrow's C++ writer (5-8x faster than pandas').

    Nulls come out empty (NULL to COPY), strings quoted (so an empty ``flags`` stays "").
    """
    buffer = io.BytesIO()
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    pa_csv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), buffer, write_options=options)
    buffer.seek(0)
    return buffer


def _is_key_violation(err: Exception) -> bool:
    code = getattr(err, "sqlstate", None) or getattr(err, "pgcode", None)
    return code == "23505" or isinstance(err, sqlite3.IntegrityError)


def _same_key(table: str, other: str) -> str:
    return " AND ".join(f"{table}.{c} = {other}.{c}" for c in KEY)


def _differs(table: str, other: str, dialect: str) -> str:
    values = [c for c in COLUMNS if c not in KEY]
    if dialect == "postgresql":
        left, right = ", ".join(f"{table}.{c}" for c in values), ", ".join(f"{other}.{c}" for c in values)
        return f"({left}) IS DISTINCT FROM ({right})"
    return "(" + " OR ".join(f"{table}.{c} IS NOT {other}.{c}" for c in values) + ")"


def insert_new_sql(table: str, stage: str) -> str:
    """Insert the staged rows whose key the table does not have yet."""
    names = ", ".join(COLUMNS)
    return (
        f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {_same_key(table, 's')})"
    )


def update_changed_sql(table: str, stage: str, dialect: str) -> str:
    """Update the stored rows whose staged version differs in some value."""
    sets = ", ".join(f"{c} = s.{c}" for c in COLUMNS if c not in KEY)
    return f"UPDATE {table} SET {sets} FROM {stage} s WHERE {_same_key(table, 's')} AND {_differs(table, 's', dialect)}"


def upsert_sql(table: str, stage: str, dialect: str) -> str:
    """One statement: INSERT from staging; on a key conflict, update only where a value differs."""
    names = ", ".join(COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c not in KEY)
    return (
        f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} WHERE true "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {updates} WHERE {_differs(table, 'excluded', dialect)}"
    )


def to_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Schema columns as plain values, plus the raw columns as one JSON object per row."""
    frame = pd.DataFrame(
        {name: table[name].astype(object) if SCHEMA[name] == "category" else table[name] for name in SCHEMA}
    )
    raw_columns = [c for c in table.columns if c.startswith(RAW_PREFIX)]
    if raw_columns:
        lines = table[raw_columns].rename(columns=lambda c: c[len(RAW_PREFIX) :]).to_json(orient="records", lines=True)
        frame["raw"] = lines.splitlines()
    else:
        frame["raw"] = None
    frame["detected"] = frame["detected"].astype(bool)
    frame["good"] = frame["good"].astype(bool)
    return frame


def from_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows read back -> the schema table with the raw columns restored (``raw_<name>``)."""
    raw = frame.pop("raw")
    table = frame.assign(detected=frame["detected"].astype(bool), good=frame["good"].astype(bool))
    present = raw.notna()
    if present.any():
        parsed = pd.DataFrame([json.loads(text) for text in raw[present]], index=raw.index[present])
        parsed.columns = [RAW_PREFIX + c for c in parsed.columns]
        table = table.join(parsed)
    for name in ("mjd", "flux_ujy", "flux_err_ujy", "mag", "mag_err", "limit_mag", "snr"):
        table[name] = pd.to_numeric(table[name]).astype(float).replace({None: np.nan})
    return conform(table)
