"""The tom sink against a real TOM Toolkit server (see tests/tom/server.py): the shared contract,
then what only a TOM has: data products, reduced datums, its error messages."""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import requests

from fphot_provider.emulators.common import Fault
from fphot_provider.exceptions import ConfigurationError, ServiceUnavailableError, SinkError, TomApiError
from fphot_provider.hooks.tom import TomHook
from fphot_provider.parsers.atlas import parse_atlas
from fphot_provider.sinks import get_sink
from fphot_provider.sinks.tom import TomSink
from tests.conftest import DATA
from tests.sinks.conformance import SinkConformance, table

TARGETS = {"T": (10.0, 20.0), "A": (11.0, 21.0), "B": (12.0, 22.0)}


def reset(server) -> None:  # noqa: ANN001
    """Empty the TOM of data (deleting a product deletes its datums) and make sure T, A, B exist."""
    headers = {"Authorization": f"Token {server.token()}"}
    products = requests.get(
        f"{server.url}/api/dataproducts/", params={"limit": 10000}, headers=headers, timeout=30
    ).json()
    for product in products["results"]:
        requests.delete(
            f"{server.url}/api/dataproducts/{product['id']}/", headers=headers, timeout=30
        ).raise_for_status()
    hook = TomHook("fphot_tom")
    for name, (ra, dec) in TARGETS.items():
        if hook.find_target(name) is None:
            hook.create_target(name, ra, dec)


def points(server, target: str) -> list[dict]:  # noqa: ANN001
    """The target's photometry as the TOM's API lists it."""
    target_id = TomHook("fphot_tom").find_target(target)["id"]  # the API's name filter is a substring match
    return server.api("/api/reduceddatums/", target__id=target_id, data_type="photometry", limit=100000)["results"]


@pytest.fixture
def sink(tom) -> TomSink:  # noqa: ANN001
    reset(tom)
    return TomSink()


@pytest.fixture
def sink_factory(sink: TomSink):
    return functools.partial(TomSink, "fphot_tom")


class TestTomSinkConformance(SinkConformance):
    lists_targets = False  # the TOM has its own target pages


def test_points_are_the_good_rows_with_tom_fields(sink: TomSink, tom) -> None:  # noqa: ANN001
    rows = table(n=6).assign(detected=[True, True, False, False, True, True], limit_mag=19.5, good=True, flags="")
    sink.write(rows)
    listed = points(tom, "T")
    assert len(listed) == 6
    detections = [p for p in listed if p["value"]["brightness"] is not None]
    assert len(detections) == 4 and {p["value"]["bandpass"] for p in listed} == {"ATLAS.o"}
    assert {p["source_name"] for p in listed} == {"ATLAS"} and {p["value"]["telescope"] for p in listed} == {"ATLAS"}
    assert sorted(p["source_location"] for p in listed) == [f"fphot:atlas:atlas-{i}" for i in range(6)]
    # The API does not show limits; the TOM's own ORM does.
    limits = tom.shell(
        "from tom_dataproducts.models import PhotometryReducedDatum as P;"
        "print(sorted(P.objects.filter(target__name='T', brightness__isnull=True).values_list('limit', flat=True)))"
    )
    assert limits == "[19.5, 19.5]"


def test_flagged_rows_stay_in_the_file_but_are_not_drawn(sink: TomSink, tom) -> None:  # noqa: ANN001
    sink.write(table(n=5))  # rows 1 and 3 are flagged "edge"
    assert len(points(tom, "T")) == 3
    assert len(sink.read("T")) == 5
    TomSink(include_flagged="true").write(table(n=5, start=5))
    assert len(points(tom, "T")) == 3 + 5


def test_a_changed_row_replaces_its_point(sink: TomSink, tom) -> None:  # noqa: ANN001
    sink.write(table(n=3).assign(good=True))
    result = sink.write(table(n=1).assign(good=True, mag=17.5))
    assert (result.inserted, result.updated) == (0, 1)
    listed = sorted(points(tom, "T"), key=lambda p: p["timestamp"])
    assert [p["value"]["brightness"] for p in listed] == [17.5, 18.9, 18.9]
    assert len(tom.api("/api/dataproducts/", target_name="T")["results"]) == 1  # the old batch is gone


def test_a_type_the_tom_reduces_itself_is_refused_and_rolled_back(sink: TomSink, tom, tmp_path: Path) -> None:  # noqa: ANN001
    """Every TOM maps ``photometry`` to its PhotometryProcessor: that upload makes points of its own."""
    raw = tmp_path / "mine.csv"
    raw.write_text("time,magnitude,error,filter\n60000.1,18.2,0.1,g\n60001.1,18.3,0.1,g\n")
    product = {"service": "atlas", "data_product_type": "photometry", "target": {"name": "T"}, "raw_paths": [str(raw)]}
    with pytest.raises(ConfigurationError, match="reduced the 'photometry' file itself.*DATA_PROCESSORS"):
        sink.write_product(table(), product)
    assert tom.api("/api/dataproducts/", target_name="T")["count"] == 0 and points(tom, "T") == []


def test_yes_no_options_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="option create_targets must be true or false, got 'ture'"):
        get_sink("tom:create_targets=ture")


def test_a_short_batch_is_completed_on_the_next_write(sink: TomSink, tom) -> None:  # noqa: ANN001
    """A write cut off after its upload: the next write posts the missing points."""
    sink.write(table(n=4).assign(good=True))
    tom.shell(
        "from tom_dataproducts.models import PhotometryReducedDatum as P;"
        "P.objects.filter(target__name='T', source_location='fphot:atlas:atlas-2').delete()"
    )
    assert len(points(tom, "T")) == 3
    result = sink.write(table(n=4).assign(good=True))
    assert result.unchanged == 4 and len(points(tom, "T")) == 4


def test_raw_files_become_data_products_once(sink: TomSink, tom, tmp_path: Path) -> None:  # noqa: ANN001
    raw = tmp_path / "atlas_job.txt"
    shutil.copy(DATA / "atlas" / "fp_job01064_ra68.85_dec55.38_168rows.txt", raw)
    rows = parse_atlas(raw.read_text(), target="T")
    product = {
        "service": "atlas",
        "data_product_type": "atlas_photometry",
        "target": {"name": "T", "ra": 10.0, "dec": 20.0},
        "raw_paths": [str(raw)],
    }
    first = sink.write_product(rows, product)
    second = sink.write_product(rows, product)
    assert first.inserted == len(rows) and (second.inserted, second.unchanged) == (0, len(rows))
    wanted = TomHook("fphot_tom").find_target("T")["id"]
    products = [p for p in tom.api("/api/dataproducts/", target_name="T")["results"] if p["target"] == wanted]
    assert sorted(p["data_product_type"] for p in products) == ["atlas_photometry", "fphot_photometry"]


def test_missing_target_is_created_only_when_asked(sink: TomSink, tom) -> None:  # noqa: ANN001
    product = {
        "service": "atlas",
        "data_product_type": "atlas_photometry",
        "raw_paths": [],
        "target": {"name": "New one", "ra": 150.5, "dec": -20.25},
    }
    with pytest.raises(SinkError, match="no target named 'New one'.*create_targets=true"):
        sink.write_product(table("New one"), product)
    get_sink("tom:create_targets=true").write_product(table("New one"), product)
    found = TomHook("fphot_tom").find_target("New one")
    assert (found["ra"], found["dec"]) == (150.5, -20.25)


def test_a_refusal_carries_the_toms_message(sink: TomSink, tom) -> None:  # noqa: ANN001
    hook = TomHook("fphot_tom")
    target = hook.find_target("T")
    with pytest.raises(TomApiError, match="HTTP 400.*Not a valid data_product_type") as err:
        hook.upload(target["id"], "x", "no_such_type", "x.txt", b"x")
    assert err.value.status == 400


def test_api_token_in_the_password_field(tom, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv(
        "AIRFLOW_CONN_FPHOT_TOM", f'{{"conn_type": "fphot_tom", "host": "{tom.url}", "password": "{tom.token()}"}}'
    )
    assert TomHook("fphot_tom").find_target("T") is not None
    monkeypatch.setenv(
        "AIRFLOW_CONN_FPHOT_TOM", f'{{"conn_type": "fphot_tom", "host": "{tom.url}", "password": "wrong"}}'
    )
    with pytest.raises(TomApiError, match="HTTP 401.*Invalid token"):
        TomHook("fphot_tom").find_target("T")


def test_reads_rows_back_exactly(sink: TomSink) -> None:
    rows = table(n=3)
    sink.write(rows)
    got = sink.read("T")
    pd.testing.assert_frame_equal(
        got[rows.columns].reset_index(drop=True), rows.reset_index(drop=True), check_categorical=False
    )


@pytest.fixture
def proxied(sink: TomSink, tom, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201
    """The TOM behind a fault-injecting proxy, as Connection ``fphot_tom``."""
    from fphot_provider.emulators.common import FAULTS_KEY, EmulatorServer
    from tests.tom.proxy import faulty_proxy
    from tests.tom.server import PASSWORD, USER

    with EmulatorServer(faulty_proxy(tom.url)) as proxy:
        monkeypatch.setenv(
            "AIRFLOW_CONN_FPHOT_TOM",
            json.dumps(
                {
                    "conn_type": "fphot_tom",
                    "host": proxy.url,
                    "login": USER,
                    "password": PASSWORD,
                    "extra": {"backoff_seconds": 0.05, "max_attempts": 4},
                }
            ),
        )
        yield proxy, proxy.app[FAULTS_KEY]


def test_5xx_and_dropped_connections_are_retried_without_duplicates(proxied, tom) -> None:  # noqa: ANN001
    proxy, faults = proxied
    for fault in (
        Fault(503, 2, "/api/reduceddatums/", "POST"),
        Fault(0, 1, "/api/reduceddatums/", "POST"),
        Fault(502, 1, "/api/dataproducts/", "POST"),
        Fault(500, 1, "/api/targets/", "GET"),
    ):
        faults.add(fault)
    result = TomSink().write(table(n=6).assign(good=True))
    assert result.inserted == 6
    assert not faults.pending  # every fault was served
    assert sorted(p["source_location"] for p in points(tom, "T")) == [f"fphot:atlas:atlas-{i}" for i in range(6)]
    # The batch file's URL names the TOM itself, not the proxy: fetched without the token.
    assert TomSink().write(table(n=6).assign(good=True)).unchanged == 6


def test_a_lasting_outage_fails_clearly(proxied) -> None:  # noqa: ANN001
    _, faults = proxied
    faults.add(Fault(503, 10, "/api/targets/", "GET"))
    with pytest.raises(ServiceUnavailableError, match="GET .*/api/targets/ failed with HTTP 503 after 4 attempts"):
        TomSink().write(table())
