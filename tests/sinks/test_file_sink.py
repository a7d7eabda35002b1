"""The file sink passes the shared conformance suite, in both formats."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from fphot_provider.exceptions import ConfigurationError, SinkError
from fphot_provider.sinks import get_sink, parse_spec
from fphot_provider.sinks.file import FileSink
from tests.sinks.conformance import SinkConformance, table


class TestFileSinkParquet(SinkConformance):
    @pytest.fixture
    def sink_factory(self, tmp_path: Path):
        return functools.partial(FileSink, tmp_path / "data", "parquet")

    @pytest.fixture
    def sink(self, sink_factory):
        return sink_factory()


class TestFileSinkCsv(TestFileSinkParquet):
    @pytest.fixture
    def sink_factory(self, tmp_path: Path):
        return functools.partial(FileSink, tmp_path / "data", "csv")


def test_unchanged_rerun_does_not_rewrite_the_file(tmp_path: Path) -> None:
    sink = FileSink(tmp_path)
    sink.write(table())
    path = sink.path_for("T")
    before = path.stat().st_mtime_ns
    sink.write(table())
    assert path.stat().st_mtime_ns == before
    assert not list(path.parent.glob("*.tmp"))  # no temp file left behind


def test_specs() -> None:
    assert parse_spec("file") == ("file", {})
    assert parse_spec("file:format=csv,root=/x") == ("file", {"format": "csv", "root": "/x"})
    assert isinstance(get_sink("file:format=csv"), FileSink)
    with pytest.raises(ConfigurationError, match="sink: unknown kind 'ftp'"):
        parse_spec("ftp")
    with pytest.raises(ConfigurationError, match="not key=value"):
        parse_spec("file:csv")
    with pytest.raises(SinkError, match="format must be one of"):
        get_sink("file:format=xlsx")
    with pytest.raises(ConfigurationError, match="bad options"):
        get_sink("file:colour=blue")


def test_csv_keeps_a_numeric_looking_target_name(tmp_path: Path) -> None:
    """A CSV file is read as text: target "007" stays "007" (it came back as 7, and a rerun then
    stored its rows a second time under the other name)."""
    sink = FileSink(tmp_path, format="csv")
    sink.write(table(target="007", n=2))
    again = sink.write(table(target="007", n=2))
    assert (again.inserted, again.unchanged) == (0, 2)
    assert sink.read("007")["target"].tolist() == ["007", "007"]
    assert [t.target for t in sink.list_targets().items] == ["007"]
