"""The contract every sink passes: subclass :class:`SinkConformance` and supply a ``sink`` fixture.

Like fsspec's shared backend tests: one suite, each sink brings only its fixture.
"""

from __future__ import annotations

import multiprocessing

import numpy as np
import pandas as pd
import pytest

from fphot_provider.exceptions import ConfigurationError
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


def alert(target: str, mjd: float, sigma: float) -> dict:
    """A ChangeAlert as the report hands it to the sink."""
    return {
        "target": target,
        "service": "atlas",
        "filter": "ATLAS.o",
        "kind": "brightening",
        "mjd": mjd,
        "flux_ujy": 500.0,
        "baseline_ujy": 10.0,
        "sigma": sigma,
        "delta_mag": -1.5,
    }


class SinkConformance:
    """Behaviour every sink must have. The subclass provides ``sink`` and ``sink_factory`` fixtures.

    ``lists_targets``: the sink keeps a target catalogue for the Light curves pages.
    """

    lists_targets = True

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

    def test_target_list_pages_with_counts_and_epochs(self, sink: Sink) -> None:
        if not self.lists_targets:
            with pytest.raises(ConfigurationError, match="cannot list"):
                sink.list_targets()
            return
        sink.write(pd.concat([table("Alpha", n=3), table("Beta", n=2), table("Gamma 1", n=1)]))
        sink.write(table("Beta", service="ztf", n=4, start=10))
        first = sink.list_targets(limit=2)
        assert first.total == 3 and [t.target for t in first.items] == ["Alpha", "Beta"]
        beta = first.items[1]
        assert beta.points == {"atlas": 2, "ztf": 4} and beta.last_mjd == 60013.0 and beta.updated_at
        assert [t.target for t in sink.list_targets(offset=2, limit=2).items] == ["Gamma 1"]
        found = sink.list_targets(search="gAmMa 1")
        assert (found.total, [t.target for t in found.items]) == (1, ["Gamma 1"])
        assert sink.list_targets(search="100%").total == 0  # a wildcard is a character, not a pattern

    def test_target_list_orders_by_update_and_alert(self, sink: Sink) -> None:
        if not self.lists_targets:
            return
        for name in ("Alpha", "Beta", "Gamma"):
            sink.write(table(name, n=2))
        before = {t.target: t.updated_at for t in sink.list_targets().items}
        sink.write(table("Alpha", n=2))  # nothing new: not an update
        sink.write(table("Beta", n=3))  # one new row
        after = sink.list_targets(sort="updated")
        assert after.items[0].target == "Beta" and after.items[0].updated_at > before["Beta"]
        assert {t.target: t.updated_at for t in after.items}["Alpha"] == before["Alpha"]
        sink.record_alerts([alert("Gamma", 60010, 8.0), alert("Gamma", 60005, 30.0), alert("Alpha", 60001, 6.0)])
        by_alert = sink.list_targets(sort="alert")
        assert [t.target for t in by_alert.items][2] == "Beta"  # never alerted: last
        gamma = next(t for t in by_alert.items if t.target == "Gamma")
        assert gamma.last_alert["mjd"] == 60010 and gamma.last_alert["at"]  # the latest epoch wins

    def test_target_list_refuses_a_bad_page(self, sink: Sink) -> None:
        if not self.lists_targets:
            return
        with pytest.raises(ConfigurationError, match="limit: must be 1 to 500"):
            sink.list_targets(limit=0)
        with pytest.raises(ConfigurationError, match="sort: must be one of"):
            sink.list_targets(sort="size")
