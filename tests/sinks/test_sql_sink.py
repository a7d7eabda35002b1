"""The SQL sink passes the shared conformance suite on SQLite and on PostgreSQL (the tests' own server)."""

from __future__ import annotations

import functools
import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from fphot_provider.exceptions import ConfigurationError
from fphot_provider.sinks import get_sink
from fphot_provider.sinks.sql import SqlSink, upsert_sql
from tests.sinks.conformance import SinkConformance, table
from tests.ui_data import many_targets


@pytest.fixture(scope="module")
def pg_database(postgres) -> str:
    """A database of this module's own on the tests' PostgreSQL."""
    return postgres.create_database("fphot_sink")


@pytest.fixture
def pg_table(postgres, pg_database: str, monkeypatch: pytest.MonkeyPatch):
    """A fresh table, reached through the Airflow Connection ``fphot_pg``; dropped afterwards."""
    monkeypatch.setenv("AIRFLOW_CONN_FPHOT_PG", json.dumps(postgres.airflow_connection(pg_database)))
    name = f"fphot_test_{uuid.uuid4().hex[:10]}"
    yield name
    with postgres.connect(pg_database) as conn, conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {name}")
        cur.execute(f"DROP TABLE IF EXISTS {name}_targets")


class TestSqliteSink(SinkConformance):
    @pytest.fixture
    def sink_factory(self, tmp_path: Path):
        return functools.partial(SqlSink, None, "fphot_photometry", tmp_path / "db")

    @pytest.fixture
    def sink(self, sink_factory):
        return sink_factory()


class TestPostgresSink(SinkConformance):
    @pytest.fixture
    def sink_factory(self, pg_table: str):
        return functools.partial(SqlSink, "fphot_pg", pg_table)

    @pytest.fixture
    def sink(self, sink_factory):
        return sink_factory()


def test_a_page_of_the_target_list_reads_only_that_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Light curves list of a big sink: no query brings back more than the page needs."""
    sink = SqlSink(root=tmp_path)
    sink.write(many_targets(600, 3))
    fetched: list[int] = []
    reading = SqlSink._reading

    @contextmanager
    def counted(self: SqlSink) -> Iterator[Callable[..., list[tuple]]]:
        with reading(self) as select:

            def counting(sql: str, *values: object) -> list[tuple]:
                rows = select(sql, *values)
                fetched.append(len(rows))
                return rows

            yield counting

    monkeypatch.setattr(SqlSink, "_reading", counted)
    page = sink.list_targets(offset=300, limit=50)
    assert page.total == 600 and [t.target for t in page.items][:2] == ["T00300", "T00301"]
    assert max(fetched) <= 50 * 3  # the page, its count, its (target, service) counts: never 600 targets


def test_a_table_from_before_the_catalogue_is_listed(tmp_path: Path) -> None:
    """A sink written by an older release has no catalogue: it is filled on first use."""
    sink = SqlSink(root=tmp_path)
    sink.write(many_targets(3, 2))
    with closing(sqlite3.connect(sink.path)) as db:  # a bare `with` commits but never closes
        db.execute("DROP TABLE fphot_photometry_targets")
        db.commit()
    assert [t.target for t in sink.list_targets().items] == ["T00000", "T00001", "T00002"]


def test_raw_columns_round_trip(tmp_path: Path) -> None:
    rows = table().assign(raw_chi_N=[1.5, 2.0, None, 4.0, 5.0], raw_Obs_unit="01a")
    sink = SqlSink(root=tmp_path)
    sink.write(rows)
    got = sink.read("T")
    assert got["raw_chi_N"].tolist()[:2] == [1.5, 2.0] and got["raw_Obs_unit"].eq("01a").all()


def test_postgres_overlapping_windows_and_indexes(pg_table: str, postgres, pg_database: str) -> None:
    sink = SqlSink("fphot_pg", pg_table)
    first = sink.write(table(n=100))
    second = sink.write(table(n=100, start=50))
    assert (first.inserted, second.inserted, second.unchanged) == (100, 50, 50)
    assert sink.last_epochs("T") == {"atlas": 60149.0}
    with postgres.connect(pg_database) as conn, conn.cursor() as cur:
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", (pg_table,))
        names = {row[0] for row in cur.fetchall()}
        cur.execute(f"SELECT count(*) FROM {pg_table}")
        assert cur.fetchone()[0] == 150
    assert f"{pg_table}_service_mjd" in names and f"{pg_table}_pkey" in names


def test_table_names_are_checked_and_values_parameterized(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="table name"):
        SqlSink(table="photometry; DROP TABLE x")
    sink = SqlSink(root=tmp_path)
    sink.write(table(target="O'Brien; DROP TABLE fphot_photometry --"))
    assert len(sink.read("O'Brien; DROP TABLE fphot_photometry --")) == 5
    assert "IS DISTINCT FROM" in upsert_sql("t", "s", "postgresql") and "IS NOT" in upsert_sql("t", "s", "sqlite")


def test_spec_and_unsupported_connection(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert isinstance(get_sink("sql", root=str(tmp_path)), SqlSink)
    monkeypatch.setenv("AIRFLOW_CONN_FPHOT_MYSQL", json.dumps({"conn_type": "mysql", "host": "127.0.0.1"}))
    with pytest.raises(ConfigurationError, match="not supported"):
        get_sink("sql:conn_id=fphot_mysql").write(table())
