"""The contract every sink passes: subclass :class:`SinkConformance` and supply a ``sink`` fixture.

Like fsspec's shared backend tests: one suite, each sink brings only its fixture.
"""

from __future__ import annotations

import multiprocessing

import numpy as np
import pandas as pd

from fphot_provider.photometry import COLUMNS, conform, empty_table
from fphot_provider.sinks.base import Sink


def table(target: str = "T", service: str = "atlas", n: int = 5, start: int = 0, flux: float = 100.0) -> pd.DataFrame:
    """A small valid photometry table with distinct exposure ids."""
    ids = [f"{service}-{i}" for i in range(start, start + n)]
    return conform(
        pd.DataFrame(
            {
                "target": target,
                "service": service,
                "filter": "ATLAS.o",
                "mjd": 60000.0 + np.arange(start, start + n),
                "time_ref": "start",
                "flux_ujy": flux,
                "flux_err_ujy": 10.0,
                "mag": 18.9,
                "mag_err": 0.1,
                "limit_mag": np.nan,
                "snr": flux / 10,
                "detected": True,
                "good": [i % 2 == 0 for i in range(start, start + n)],
                "flags": ["" if i % 2 == 0 else "edge" for i in range(start, start + n)],
                "exposure_id": ids,
            }
        )
    )


def _write_in_process(factory, rows: pd.DataFrame) -> None:  # noqa: ANN001 - a picklable sink factory
    factory().write(rows)


class SinkConformance:
    """Behaviour every sink must have. The subclass provides ``sink`` and ``sink_factory`` fixtures."""

    def test_write_then_read(self, sink: Sink) -> None:
        result = sink.write(table())
        assert (result.inserted, result.updated, result.unchanged) == (5, 0, 0)
        got = sink.read("T")
        assert list(got.columns[: len(COLUMNS)]) == COLUMNS
        assert len(got) == 5 and got["exposure_id"].tolist() == [f"atlas-{i}" for i in range(5)]

    def test_rerun_writes_nothing_twice(self, sink: Sink) -> None:
        sink.write(table())
        result = sink.write(table())
        assert (result.inserted, result.updated, result.unchanged) == (0, 0, 5)
        assert len(sink.read("T")) == 5

    def test_overlapping_window_adds_only_new_rows(self, sink: Sink) -> None:
        sink.write(table(n=5))
        result = sink.write(table(n=5, start=3))
        assert (result.inserted, result.unchanged) == (3, 2)
        assert len(sink.read("T")) == 8

    def test_changed_values_replace_the_stored_row(self, sink: Sink) -> None:
        sink.write(table())
        result = sink.write(table(n=2, flux=250.0))
        assert (result.inserted, result.updated) == (0, 2)
        got = sink.read("T").set_index("exposure_id")
        assert got.loc["atlas-0", "flux_ujy"] == 250.0 and got.loc["atlas-4", "flux_ujy"] == 100.0

    def test_same_exposure_id_in_two_services_are_two_rows(self, sink: Sink) -> None:
        a = table(service="atlas")
        b = table(service="atlas_reduced").assign(exposure_id=a["exposure_id"])
        sink.write(a)
        sink.write(b)
        assert len(sink.read("T")) == 10

    def test_empty_table_is_a_no_op(self, sink: Sink) -> None:
        assert sink.write(conform(empty_table())).inserted == 0
        assert len(sink.read("nobody")) == 0

    def test_quality_marks_are_stored(self, sink: Sink) -> None:
        sink.write(table())
        got = sink.read("T")
        assert got["good"].tolist() == [True, False, True, False, True]
        assert got["flags"].tolist() == ["", "edge", "", "edge", ""]
        assert got["limit_mag"].isna().all()

    def test_targets_are_kept_apart(self, sink: Sink) -> None:
        sink.write(pd.concat([table("A"), table("B", n=2)]))
        assert (len(sink.read("A")), len(sink.read("B"))) == (5, 2)

    def test_last_epochs_of_many_targets_at_once(self, sink: Sink) -> None:
        sink.write(table(target="A", n=3))
        sink.write(table(target="B", n=5, start=10))
        sink.write(table(target="B", service="ztf", n=2))
        assert sink.last_epochs_of(["A", "B", "C"], "atlas") == {"A": 60002.0, "B": 60014.0}
        assert sink.last_epochs_of(["A", "B"], "ztf") == {"B": 60001.0}
        assert sink.last_epochs_of(["A"], "panstarrs") == {}

    def test_write_products_counts_each_product(self, sink: Sink) -> None:
        """A survey chunk: many products in one call, each gets the counts of its own rows."""
        sink.write(table(target="A", n=2))

        def product(name: str, service: str) -> dict:
            return {"service": service, "data_product_type": f"{service}_photometry", "target": {"name": name}}

        items = [
            (table(target="A", n=5), product("A", "atlas")),
            (table(target="B", n=3), product("B", "atlas")),
            (conform(empty_table()), product("A", "panstarrs")),
            (table(target="A", service="ztf", n=4), product("A", "ztf")),
        ]
        results = sink.write_products(items)
        assert [(r.inserted, r.updated, r.unchanged) for r in results] == [(3, 0, 2), (3, 0, 0), (0, 0, 0), (4, 0, 0)]
        assert (len(sink.read("A")), len(sink.read("B"))) == (9, 3)
        again = sink.write_products(items[:1] + [(table(target="B", n=3, flux=7.0), product("B", "atlas"))])
        assert [(r.inserted, r.updated, r.unchanged) for r in again] == [(0, 0, 5), (0, 3, 0)]

    def test_read_many_targets_at_once(self, sink: Sink) -> None:
        sink.write(pd.concat([table("A", n=3), table("B", n=2)]))
        sink.write(table("A", service="ztf", n=4))
        got = sink.read_many(["A", "B", "nobody"])
        assert sorted(got.groupby("target", observed=True).size().items()) == [("A", 7), ("B", 2)]
        assert list(got.columns[: len(COLUMNS)]) == COLUMNS
        assert len(sink.read_many(["A", "B"], service="ztf", raw=False)) == 4
        assert sink.read_many([]).empty

    def test_concurrent_writers_lose_nothing(self, sink_factory) -> None:  # noqa: ANN001
        """Two processes writing one target (e.g. the ATLAS and ZTF branches) at the same time."""
        context = multiprocessing.get_context("spawn")
        jobs = [
            context.Process(target=_write_in_process, args=(sink_factory, table(service=s, n=200)))
            for s in ("atlas", "ztf", "panstarrs")
        ]
        for job in jobs:
            job.start()
        for job in jobs:
            job.join(timeout=120)
            assert job.exitcode == 0
        assert len(sink_factory().read("T")) == 600
