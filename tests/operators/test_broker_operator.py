"""Position -> objects -> forced photometry through each broker, on the loopback emulators."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web

from fphot_provider.emulators.common import EmulatorServer, base_app
from fphot_provider.exceptions import RemoteServiceError
from fphot_provider.hooks.alerce import AlerceZtfHook
from fphot_provider.hooks.fink import FinkLsstHook
from fphot_provider.operators.brokers import BrokerChunkOperator, BrokerForcedPhotometryOperator
from fphot_provider.processing import process_product

SOUTH = {"target_name": "south", "ra": 150.1, "dec": -20.3}
NORTH = {"target_name": "SN 2023ixf", "ra": 210.910674, "dec": 54.3117}


def fetch(service: str, where: dict, **kwargs) -> dict:  # noqa: ANN003
    return BrokerForcedPhotometryOperator(task_id="fetch", service=service, **where, **kwargs).execute({})


@pytest.mark.parametrize("service", ["fink_lsst", "alerce_lsst"])
def test_rubin_photometry_of_the_nearest_object(broker_emulators, service: str) -> None:  # noqa: ANN001
    product = fetch(service, SOUTH)
    assert product["service"] == service and len(product["objects"]) == 1 and len(product["raw_paths"]) == 1
    assert Path(product["raw_paths"][0]).name == f"fp_{product['objects'][0]['id']}.json"
    table = process_product(product)
    assert (
        len(table) > 10
        and set(table["time_ref"]) == {"mid"}
        and set(table["filter"]) <= {f"LSST.{b}" for b in "ugrizy"}
    )
    assert all(int(i) > 2**53 for i in table["exposure_id"])


def test_both_rubin_brokers_give_the_same_measurements(broker_emulators) -> None:  # noqa: ANN001
    """ALeRCE's one object asked twice escapes its 10-row cut: every diaForcedSource comes back."""
    fink = process_product(fetch("fink_lsst", SOUTH))
    alerce = process_product(fetch("alerce_lsst", SOUTH))
    assert sorted(fink["exposure_id"]) == sorted(alerce["exposure_id"])
    assert fink.set_index("exposure_id")["flux_ujy"].sort_index().tolist() == pytest.approx(
        alerce.set_index("exposure_id")["flux_ujy"].sort_index().tolist()
    )


def test_an_empty_cone_is_a_valid_empty_result(broker_emulators) -> None:  # noqa: ANN001
    product = fetch("fink_lsst", NORTH)  # north of Rubin's sky
    assert product["objects"] == [] and product["raw_paths"] == []
    assert process_product(product).empty


def test_alerce_ztf_alert_photometry_within_the_window(broker_emulators) -> None:  # noqa: ANN001
    product = fetch("alerce_ztf", NORTH, mjd_min=60090, mjd_max=60120)
    table = process_product(product)
    assert product["objects"][0]["id"] == "ZTF23aaklqou"
    assert len(table) > 5 and table["mjd"].between(60090, 60120).all() and set(table["time_ref"]) == {"start"}


def test_a_malformed_answer_fails_naming_the_service_before_anything_is_stored(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    async def cone(request: web.Request) -> web.Response:
        return web.json_response([{"r:diaObjectId": 169298433216610349, "r:ra": 150.1, "r:dec": -20.3}])

    async def fp(request: web.Request) -> web.Response:
        return web.Response(text='[{"r:diaForcedSourceId": 1, "r:psfFlux": 1.0}]')  # columns missing

    app = base_app()
    app.router.add_post("/api/v1/conesearch", cone)
    app.router.add_post("/api/v1/fp", fp)
    with EmulatorServer(app) as server:
        monkeypatch.setenv(
            "AIRFLOW_CONN_FPHOT_FINK_LSST_DEFAULT", f'{{"conn_type": "fphot_fink_lsst", "host": "{server.url}"}}'
        )
        with pytest.raises(RemoteServiceError, match="fink_lsst: row 0 lacks"):
            fetch("fink_lsst", SOUTH)
    assert not (data_dir / "raw").exists()


def test_public_services_need_no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk.exceptions import AirflowNotFoundException

    monkeypatch.delenv("AIRFLOW_CONN_FPHOT_FINK_LSST_DEFAULT", raising=False)
    assert FinkLsstHook().base_url == "https://api.lsst.fink-portal.org"
    assert AlerceZtfHook().base_url == "https://api.alerce.online"
    with pytest.raises(AirflowNotFoundException):
        FinkLsstHook("my_fink").base_url  # noqa: B018 - a named Connection must exist


def test_a_chunk_reports_a_bad_target_and_fetches_the_rest(broker_emulators) -> None:  # noqa: ANN001
    queries = [{"target_name": f"S{k}", "ra": 20.0 + k * 0.37, "dec": -10.0, "mjd_min": 60900.0} for k in range(12)]
    queries.append({"target_name": "bad", "ra": 20.0, "dec": 95.0})
    result = BrokerChunkOperator(task_id="chunk", service="alerce_lsst", queries=queries, workers=3).execute({})
    assert [f["target"] for f in result["failures"]] == ["bad"] and "dec" in result["failures"][0]["error"]
    assert len(result["products"]) == 12 and any(p["raw_paths"] for p in result["products"])
