"""The brokers' wire, purely: requests as the services take them, answers as they come."""

from __future__ import annotations

import pytest

from fphot_provider.exceptions import InvalidQueryError, RemoteServiceError
from fphot_provider.wire import alerce, fink
from fphot_provider.wire.http import HttpResponse


def answer(status: int, text: str) -> HttpResponse:
    return HttpResponse(status, {}, text.encode())


def test_fink_requests_are_json_posts_with_ids_as_strings() -> None:
    cone = fink.cone_request("https://fink", 150.1, -20.3, 2.0)
    assert (cone.method, cone.url) == ("POST", "https://fink/api/v1/conesearch")
    assert cone.json["radius"] == "2.0" and cone.json["output-format"] == "json"
    fp = fink.fp_request("https://fink", ["169298433216610349"])
    assert fp.url == "https://fink/api/v1/fp" and fp.json["diaObjectId"] == "169298433216610349"
    with pytest.raises(InvalidQueryError, match="radius_arcsec"):
        fink.cone_request("https://fink", 1.0, 2.0, 20000.0)


def test_fink_400_is_a_python_repr_not_json() -> None:
    body = str({"status": "error", "text": "A value for `diaObjectId` is required. See https://api.fink-portal.org \n"})
    with pytest.raises(RemoteServiceError, match="refused: A value for `diaObjectId` is required") as err:
        fink.check(answer(400, body), "forced photometry")
    assert err.value.status == 400


def test_fink_cone_keeps_ids_exact_and_nearest_first() -> None:
    text = (
        '[{"r:diaObjectId":9007199254740993,"r:ra":10.0,"r:dec":0.0,"v:separation_degree":0.0005},'
        '{"r:diaObjectId":169298433216610349,"r:ra":10.0,"r:dec":0.0,"v:separation_degree":0.0001}]'
    )
    objects = fink.read_cone(text, 10.0, 0.0)
    assert [o.id for o in objects] == ["169298433216610349", "9007199254740993"]
    assert objects[0].separation_arcsec == pytest.approx(0.36)


def test_alerce_lsst_asks_one_object_twice_against_the_ten_row_cut() -> None:
    request = alerce.lsst_fp_request("https://alerce", "169298433216610349")
    assert request.params == {"survey_id": "lsst", "oid": ["169298433216610349", "169298433216610349"]}
    cone = alerce.lsst_cone_request("https://alerce", 1.0, 2.0, 2.0)
    assert cone.url.endswith("/object_api/list_objects") and cone.params["survey"] == "lsst"


def test_alerce_objects_listed_once_per_classifier_are_one_object() -> None:
    text = (
        '{"total": 3, "next": null, "has_next": false, "prev": null, "has_prev": false, "current_page": 1,'
        ' "items": [{"oid": 169298433216610349, "meanra": 10.0, "meandec": 0.0, "classifier_name": "a"},'
        ' {"oid": 169298433216610349, "meanra": 10.0, "meandec": 0.0, "classifier_name": "b"},'
        ' {"oid": 169298433216610350, "meanra": 10.001, "meandec": 0.0, "classifier_name": "a"}],'
        ' "info_message": null}'
    )
    objects, more = alerce.read_objects_page(text, "ALeRCE LSST cone", 10.0, 0.0)
    assert not more and [o.id for o in alerce.unique_nearest(objects)] == ["169298433216610349", "169298433216610350"]


def test_alerce_ztf_urls_and_errors() -> None:
    assert alerce.ztf_fp_request("https://api", "ZTF23aaklqou").url == (
        "https://api/v2/lightcurve/forced-photometry/ZTF23aaklqou"
    )
    with pytest.raises(RemoteServiceError, match='HTTP 500: {"detail": "An error occurred"}'):
        alerce.check(answer(500, '{"detail": "An error occurred"}'), "LSST forced photometry")
    with pytest.raises(RemoteServiceError, match="no 'items' list"):
        alerce.read_objects_page("{}", "ALeRCE ZTF cone", 0.0, 0.0)
