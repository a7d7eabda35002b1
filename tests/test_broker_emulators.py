"""The broker emulators tell the truth DESIGN recorded (each claim here is a row of service-facts)."""

from __future__ import annotations

import ast

import requests

SOUTH = (150.1, -20.3)  # Rubin's sky: the emulated sky has an object there
NORTH = (210.910674, 54.3117)  # SN 2023ixf: north of Rubin, an alert object of ZTF


def test_fink_refuses_with_a_python_repr(broker_emulators) -> None:  # noqa: ANN001
    answer = requests.post(f"{broker_emulators['fink_lsst'].url}/api/v1/fp", json={}, timeout=10)
    assert answer.status_code == 400
    assert ast.literal_eval(answer.text)["text"].startswith("A value for `diaObjectId` is required")
    too_big = requests.post(
        f"{broker_emulators['fink_lsst'].url}/api/v1/conesearch", json={"ra": 1, "dec": 1, "radius": 20000}, timeout=10
    )
    assert too_big.status_code == 400 and "18,000" in too_big.text


def test_fink_objects_with_one_detection_have_no_forced_photometry(broker_emulators) -> None:  # noqa: ANN001
    from fphot_provider.emulators import broker_sky

    url = broker_emulators["fink_lsst"].url
    counts = {}
    for k in range(200):
        ra, dec = 20.0 + k * 0.37, -10.0
        cone = requests.post(f"{url}/api/v1/conesearch", json={"ra": ra, "dec": dec, "radius": 2}, timeout=10).json()
        for row in cone:
            fp = requests.post(f"{url}/api/v1/fp", json={"diaObjectId": str(row["r:diaObjectId"])}, timeout=10).json()
            n_det = next(o.n_detections for o in broker_sky.rubin_objects(ra, dec))
            counts[n_det >= 2] = counts.get(n_det >= 2, []) + [len(fp)]
    assert counts[False] and set(counts[False]) == {0}
    assert counts[True] and min(counts[True]) > 0


def test_alerce_lsst_cuts_one_oid_at_ten_unordered_rows(broker_emulators) -> None:  # noqa: ANN001
    url = broker_emulators["alerce_lsst"].url
    page = requests.get(
        f"{url}/object_api/list_objects",
        params={"survey": "lsst", "ra": SOUTH[0], "dec": SOUTH[1], "radius": 2},
        timeout=10,
    ).json()
    assert {"total", "next", "has_next", "prev", "has_prev", "current_page", "items", "info_message"} <= set(page)
    oids = [item["oid"] for item in page["items"]]
    assert len(oids) == 2 and len(set(oids)) == 1  # listed once per classifier
    one = requests.get(
        f"{url}/lightcurve_api/forced-photometry", params={"survey_id": "lsst", "oid": oids[0]}, timeout=10
    )
    both = requests.get(
        f"{url}/lightcurve_api/forced-photometry", params={"survey_id": "lsst", "oid": [oids[0]] * 2}, timeout=10
    )
    assert len(one.json()) == 10 and len(both.json()) > 10
    assert {r["measurement_id"] for r in one.json()} < {r["measurement_id"] for r in both.json()}
    unknown = requests.get(
        f"{url}/lightcurve_api/forced-photometry", params={"survey_id": "lsst", "oid": "1"}, timeout=10
    )
    assert unknown.status_code == 500 and unknown.json() == {"detail": "An error occurred"}


def test_alerce_ztf_unknown_oid_is_an_empty_list(broker_emulators) -> None:  # noqa: ANN001
    url = broker_emulators["alerce_ztf"].url
    page = requests.get(
        f"{url}/ztf/v1/objects", params={"ra": NORTH[0], "dec": NORTH[1], "radius": 2}, timeout=10
    ).json()
    assert [item["oid"] for item in page["items"]] == ["ZTF23aaklqou"]
    rows = requests.get(f"{url}/v2/lightcurve/forced-photometry/ZTF23aaklqou", timeout=10).json()
    assert rows and {"pid", "oid", "mjd", "fid", "mag", "e_mag", "isdiffpos", "extra_fields"} <= set(rows[0])
    assert requests.get(f"{url}/v2/lightcurve/forced-photometry/ZTF99zzzzzzz", timeout=10).json() == []
