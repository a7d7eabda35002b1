"""The TOM datums fphot writes, and how TOM refusals read (pure functions)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fphot_provider.wire.tom import content_id, datums, distinct_points, error_message, timestamps
from tests.sinks.conformance import table


def test_timestamps_are_utc_iso_with_microseconds() -> None:
    assert timestamps(pd.Series([60000.5, 40587.0])) == ["2023-02-25T12:00:00.000000Z", "1970-01-01T00:00:00.000000Z"]


def test_a_detection_and_a_limit() -> None:
    rows = table(service="ztf", n=2).assign(
        detected=[True, False], limit_mag=[np.nan, 20.25], good=True, mag_err=[np.nan, 0.1]
    )
    detection, limit = datums(rows, 7, 3)
    assert detection["value"] == {
        "filter": "ATLAS.o",
        "telescope": "ZTF",
        "reduction_version": "fphot-ztf",
        "magnitude": 18.9,
        "error": None,
        "flux_ujy": 100.0,
        "flux_err_ujy": 10.0,
        "flags": "",
    }
    assert (detection["target"], detection["data_product"], detection["source_name"]) == (7, 3, "ZTF")
    assert detection["source_location"] == "fphot:ztf:ztf-0"
    assert limit["value"]["limit"] == 20.25 and "magnitude" not in limit["value"]


def test_flagged_and_undrawable_rows_are_left_out() -> None:
    rows = table(n=4).assign(detected=[True, True, False, False], limit_mag=[np.nan, np.nan, np.nan, 19.0])
    # rows 1 and 3 are flagged; row 2 is a non-detection without a limit
    assert [d["source_location"] for d in datums(rows, 1, 1)] == ["fphot:atlas:atlas-0"]
    assert len(datums(rows, 1, 1, include_flagged=True)) == 3


def test_points_equal_on_the_toms_key_count_once() -> None:
    points = datums(table(n=3).assign(good=True), 1, 1)
    assert distinct_points(points + points) == 3


def test_content_ids_differ_by_content_and_service() -> None:
    assert content_id(1, "atlas", "raw", b"a") != content_id(1, "atlas", "raw", b"b")
    assert content_id(1, "atlas", "raw", b"a").startswith("fphot-1-atlas-raw-")


def test_error_messages_read_like_the_tom_wrote_them() -> None:
    assert (
        error_message({"name": ["target with this Name already exists."]})
        == "name: target with this Name already exists."
    )
    assert error_message({"detail": "Invalid token."}) == "detail: Invalid token."


def test_broker_points_name_the_broker_and_the_telescope() -> None:
    for service, source, telescope, band in (
        ("fink_lsst", "Fink", "Rubin/LSST", "LSST.g"),
        ("alerce_lsst", "ALeRCE", "Rubin/LSST", "LSST.y"),
        ("alerce_ztf", "ALeRCE", "ZTF", "ZTF.r"),
    ):
        rows = table(service=service, n=1).assign(filter=band, good=True, exposure_id="313853029089984513")
        (point,) = datums(rows, 7, 3)
        assert (point["source_name"], point["value"]["telescope"], point["value"]["filter"]) == (
            source,
            telescope,
            band,
        )
        assert point["source_location"] == f"fphot:{service}:313853029089984513"
