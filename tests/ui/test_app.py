"""The Light curves app over real HTTP (uvicorn on loopback), on file and SQL sinks.

Airflow's login is replaced by an anonymous user here (tests/ui_server.py); the real login
through the real API server is in tests/integration/test_light_curves_ui.py.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
import requests

from fphot_provider.sinks import get_sink
from fphot_provider.sinks.file import FileSink
from fphot_provider.ui.data import light_curve, stored_rows
from tests.ui_data import light_curve_table, many_targets
from tests.ui_server import light_curves_app

SPECS = {
    "file": "file:root={root}",
    "sql": "sql:root={root}",
    "sql-connection": "sql:conn_id=fphot_ui_db",  # as the API server reads a deployment's database
}


@pytest.fixture(scope="module", params=list(SPECS))
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """The app over a sink holding one rich target and 120 small ones (with raw service columns)."""
    root = tmp_path_factory.mktemp(request.param)
    connection = json.dumps({"conn_type": "sqlite", "host": str(root / "ui.sqlite")})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_FPHOT_UI_DB", connection)
        spec = SPECS[request.param].format(root=root)
        sink = FileSink(root) if request.param == "file" else get_sink(spec)
        sink.write(light_curve_table("SN 2023ixf", 600).assign(raw_chi_N=1.5))
        sink.write(many_targets(120, 5))
        with light_curves_app(spec) as url:
            yield url


def get(url: str, **params: str | int) -> requests.Response:
    return requests.get(url, params=params, timeout=30)


def test_the_list_pages_through_the_targets(served: str) -> None:
    first = get(f"{served}/api/targets", limit=50).json()
    assert first["total"] == 121 and len(first["items"]) == 50
    assert first["items"][0]["target"] == "SN 2023ixf"
    assert set(first["items"][0]["points"]) == {"atlas", "ztf", "panstarrs"}
    assert sum(first["items"][0]["points"].values()) == 600
    last = get(f"{served}/api/targets", offset=100, limit=50).json()
    assert [t["target"] for t in last["items"]][-1] == "T00119" and len(last["items"]) == 21
    assert get(f"{served}/api/targets", search="t0011").json()["total"] == 10


def test_a_bad_page_request_names_the_field(served: str) -> None:
    too_many = get(f"{served}/api/targets", limit=100000)
    assert too_many.status_code == 422 and "limit" in too_many.text
    bad_sort = get(f"{served}/api/targets", sort="size")
    assert bad_sort.status_code == 400 and "sort: must be one of" in bad_sort.json()["detail"]


def test_points_and_downloads_of_a_target(served: str) -> None:
    answer = get(f"{served}/api/points", target="SN 2023ixf").json()
    assert answer["rows"] == 600 and len(answer["points"]["mjd"]) == 600
    assert answer["points"]["mjd"] == sorted(answer["points"]["mjd"])
    labels = {s["label"]: s["color"] for s in answer["series"]}
    assert labels["ZTF.r"] == "#d62728" and labels["ATLAS.o"] == "#ff7f0e"  # the PNG's colours
    csv = get(f"{served}/api/download", target="SN 2023ixf", format="csv")
    assert 'filename="SN_2023ixf.csv"' in csv.headers["content-disposition"]
    assert len(pd.read_csv(io.StringIO(csv.text))) == 600
    parquet = pd.read_parquet(io.BytesIO(get(f"{served}/api/download", target="SN 2023ixf", format="parquet").content))
    assert len(parquet) == 600 and "raw_chi_N" in parquet.columns  # every stored column, service ones too
    assert get(f"{served}/api/download", target="SN 2023ixf", format="xlsx").status_code == 400
    missing = get(f"{served}/api/points", target="nobody")
    assert missing.status_code == 404 and "nobody" in missing.json()["detail"]


def test_pages_and_static_files(served: str) -> None:
    page = get(f"{served}/target", name="<script>alert(1)</script>")
    assert page.ok and "<script>alert(1)" not in page.text and "&lt;script&gt;" in page.text
    assert 'data-root="/fphot"' in page.text and 'src="/fphot/static/plotly.min.js"' in page.text
    plotly = get(f"{served}/static/plotly.min.js")
    assert plotly.ok and len(plotly.content) > 1_000_000  # plotly.js from the wheel: no CDN
    assert plotly.headers["content-encoding"] == "gzip" and int(plotly.headers["content-length"]) < 2_000_000
    plain = requests.get(f"{served}/static/plotly.min.js", headers={"Accept-Encoding": "identity"}, timeout=30)
    assert "content-encoding" not in plain.headers and plain.content == plotly.content
    assert get(f"{served}/static/..%2Fapp.py").status_code == 404
    assert get(f"{served}/static/list.js").headers["content-type"].startswith("text/javascript")


def test_the_payload_keeps_gaps_as_null(tmp_path: Path) -> None:
    table = light_curve_table("T", 50)
    payload = light_curve(table, "T")
    limits = payload["points"]["limit"]
    detected = payload["points"]["detected"]
    assert all((value is None) == flag for value, flag in zip(limits, detected, strict=True))
    assert {s["service"] for s in payload["series"]} == {"atlas", "ztf", "panstarrs"}
    assert max(payload["points"]["series"]) == len(payload["series"]) - 1
    with pytest.raises(LookupError, match="no rows"):
        stored_rows(FileSink(tmp_path), "T")
