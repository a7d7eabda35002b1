"""A survey chunk's store step: one write for the chunk, bad products alone, changes found per chunk."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from fphot_provider.emulators import atlas_data
from fphot_provider.sinks.base import WriteResult
from fphot_provider.sinks.sql import SqlSink
from fphot_provider.survey_store import chunk_alerts, store_chunk
from tests.sinks.conformance import table

LOG = logging.getLogger("test")
ALERTS = {"min_sigma": 5.0, "min_delta_mag": 0.5}


class CountingSink(SqlSink):
    """The real SQLite sink, counting its transactions."""

    writes = 0

    def _write_pairs(self, table):  # noqa: ANN001, ANN202
        type(self).writes += 1
        return super()._write_pairs(table)


def _atlas_product(tmp_path: Path, name: str, text: str) -> dict:
    path = tmp_path / f"{name}.txt"
    path.write_text(text)
    return {
        "service": "atlas",
        "data_product_type": "atlas_photometry",
        "target": {"name": name, "ra": 10.0, "dec": -5.0},
        "window": {"mjd_min": 60000.0, "mjd_max": 60060.0},
        "raw_paths": [str(path)],
    }


def test_a_chunk_is_one_write_and_a_bad_file_is_reported_alone(tmp_path: Path) -> None:
    products = [
        _atlas_product(tmp_path, f"T{i}", atlas_data.generate(10.0 + i, -5.0, 60000.0, 60060.0)) for i in range(20)
    ]
    products.insert(5, _atlas_product(tmp_path, "broken", "###MJD m dm\n60001.1 abc\n"))
    sink = CountingSink(root=tmp_path / "data")
    CountingSink.writes = 0
    out = store_chunk(products, sink, {}, LOG, ALERTS)
    assert CountingSink.writes == 1
    assert [(f["target"], f["service"]) for f in out["failures"]] == [("broken", "atlas")]
    assert len(out["results"]) == 20
    assert all(r["inserted"] == r["rows"] > 0 for r in out["results"])
    assert {r["target"]: r["rows"] for r in out["results"]} == {
        name: len(sink.read(name)) for name in (f"T{i}" for i in range(20))
    }
    again = store_chunk(products, sink, {}, LOG, ALERTS)
    assert all(r["inserted"] == 0 and r["unchanged"] == r["rows"] for r in again["results"])


def test_a_failing_chunk_write_falls_back_to_one_product_at_a_time(tmp_path: Path) -> None:
    """One product the sink refuses must not cost the other products of the chunk."""
    from fphot_provider.exceptions import SinkError

    class Picky(SqlSink):
        def write_products(self, items):  # noqa: ANN001, ANN202
            raise SinkError("refused")

        def write_product(self, table, product):  # noqa: ANN001, ANN202
            if product["target"]["name"] == "T1":
                raise SinkError("no such target")
            return super().write_product(table, product)

    products = [
        _atlas_product(tmp_path, f"T{i}", atlas_data.generate(20.0 + i, 5.0, 60000.0, 60060.0)) for i in range(3)
    ]
    result = store_chunk(products, Picky(root=tmp_path / "data"), {}, LOG)
    assert [f["target"] for f in result["failures"]] == ["T1"]
    assert [r["target"] for r in result["results"]] == ["T0", "T2"]


def test_changes_are_found_per_target_against_its_own_history(tmp_path: Path) -> None:
    sink = SqlSink(root=tmp_path)
    sink.write(table(target="A", n=30, flux=100.0))  # MJD 60000-60029, quiet
    sink.write(table(target="B", n=30, flux=100.0))
    night = {"service": "atlas", "window": {"mjd_min": 60030.0}}
    bright = table(target="A", n=4, start=30, flux=900.0).assign(good=True)
    quiet = table(target="B", n=4, start=30, flux=100.0).assign(good=True)
    items = [(bright, {**night, "target": {"name": "A"}}), (quiet, {**night, "target": {"name": "B"}})]
    results = sink.write_products(items)
    alerts = chunk_alerts(sink, items, results, ALERTS)
    assert [(a.target, a.kind) for a in alerts] == [("A", "brightening")]
    assert alerts[0].sigma > 5


def test_unchanged_products_are_not_checked_again(tmp_path: Path) -> None:
    sink = SqlSink(root=tmp_path)
    bright = table(target="A", n=4, start=30, flux=900.0).assign(good=True)
    item = (bright, {"service": "atlas", "window": {"mjd_min": 60030.0}, "target": {"name": "A"}})
    assert chunk_alerts(sink, [item], [WriteResult(0, 0, 4)], ALERTS) == []


def test_store_chunks_travel_as_manifest_files(tmp_path: Path) -> None:
    """A night's products are megabytes: each store task gets a path and reads its own chunk."""
    from fphot_provider.exceptions import ConfigurationError
    from fphot_provider.survey_store import forget_manifests, read_manifest, write_manifests

    chunks = [[{"service": "atlas", "target": {"name": f"T{k}"}}] for k in range(3)]
    paths = write_manifests(chunks, "scheduled__2026-12-02T00:00:00+00:00", root=tmp_path)
    assert len(paths) == 3 and all(len(p) < 200 for p in paths)
    assert [read_manifest(p) for p in paths] == chunks and read_manifest(chunks[0]) == chunks[0]
    forget_manifests(paths)
    assert not any(Path(p).exists() for p in paths) and not Path(paths[0]).parent.exists()
    with pytest.raises(ConfigurationError, match="cannot be read"):
        read_manifest(paths[0])
