"""The claims of docs/service-facts.md, checked against the real services (``make test-live``).

PanSTARRS needs no credentials. ATLAS needs ``FPHOT_LIVE_ATLAS_TOKEN``; ZTF needs
``FPHOT_LIVE_ZTF_EMAIL`` and ``FPHOT_LIVE_ZTF_USERPASS``. Each test sends one request at a time
and waits politely within a bound; the ATLAS task is deleted afterwards.
"""

from __future__ import annotations

import os
import time

import pytest

from fphot_provider.hooks.atlas import AtlasHook
from fphot_provider.hooks.panstarrs import PanstarrsHook
from fphot_provider.hooks.ztf import ZtfHook
from fphot_provider.parsers.atlas import parse_atlas
from fphot_provider.parsers.panstarrs import parse_panstarrs
from fphot_provider.parsers.ztf import parse_ztf
from fphot_provider.targets import QueryWindow, Target
from fphot_provider.wire import panstarrs as ps1_wire
from fphot_provider.wire import ztf as ztf_wire
from tests.live.conftest import ATLAS_URL, PS1_URL, ZTF_URL, need

pytestmark = pytest.mark.live
# The object of the recorded MAST answer (tests/data/panstarrs/): 72 detections in DR2.
PS1_OBJECT = (229.9620403, 34.8442757, 149812299620603702)
SN2023IXF = Target.parse("SN 2023ixf", 210.910674, 54.3117)


def wait_for(check, *, minutes: float, every: float):  # noqa: ANN001, ANN201
    """Call ``check`` every ``every`` seconds until it returns something, for at most ``minutes``."""
    deadline = time.monotonic() + minutes * 60
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    return None


def test_panstarrs_cone_and_detection_page(live_connection) -> None:
    need(PS1_URL)
    live_connection("panstarrs", {"host": PS1_URL})
    ra, dec, obj_id = PS1_OBJECT
    cone = PanstarrsHook().cone("mean", ra, dec, 1 / 3600, columns=ps1_wire.OBJECT_COLUMNS, **{"nDetections.gt": "1"})
    assert obj_id in set(cone["objID"])
    _, pages = PanstarrsHook(page_size=50).query_pages(
        "detection", {"objID": str(obj_id)}, columns=ps1_wire.DETECTION_COLUMNS
    )  # one page at most is read here
    table = parse_panstarrs(pages[0], target="live")
    assert len(table) > 0 and set(table["filter"]) <= {"PS1.g", "PS1.r", "PS1.i", "PS1.z", "PS1.y"}
    assert table["mjd"].between(55000, 57500).all()  # TAI midpoints of 2010-2015, converted to UTC


def test_atlas_one_target_a_few_nights(live_connection) -> None:
    token = need(ATLAS_URL, "FPHOT_LIVE_ATLAS_TOKEN")["FPHOT_LIVE_ATLAS_TOKEN"]
    live_connection("atlas", {"host": ATLAS_URL, "password": token})
    hook = AtlasHook()
    task = hook.submit(SN2023IXF, QueryWindow.parse(60080, 60085), comment="fphot_provider live test")
    try:
        done = wait_for(lambda: (t := hook.get_task(task.url)).is_terminal and t, minutes=15, every=30)
        assert done is not None, f"ATLAS task {task.url} not finished within 15 minutes"
        if not done.is_empty:
            table = parse_atlas(hook.download_result(done.result_url), target="live")
            assert len(table) > 0 and set(table["filter"]) <= {
                "ATLAS.c",
                "ATLAS.o",
                "ATLAS.w",
                "ATLAS.r",
                "ATLAS.i",
                "ATLAS.H",
            }
    finally:
        hook.delete_task(task.url)


def test_ztf_submit_find_on_its_page_download(live_connection) -> None:
    creds = need(ZTF_URL, "FPHOT_LIVE_ZTF_EMAIL", "FPHOT_LIVE_ZTF_USERPASS")
    live_connection(
        "ztf", {"host": ZTF_URL, "login": creds["FPHOT_LIVE_ZTF_EMAIL"], "password": creds["FPHOT_LIVE_ZTF_USERPASS"]}
    )
    hook = ZtfHook()
    window = QueryWindow.parse(60080, 60090)
    echo = hook.submit(SN2023IXF, window)
    assert abs(echo["ra"] - SN2023IXF.ra) < 1e-5 and abs(echo["jdstart"] - window.jd_min) < 1e-5

    def find() -> ztf_wire.ZtfRequest | None:
        row = ztf_wire.match_request(hook.get_requests(), echo["ra"], echo["dec"], echo["jdstart"], echo["jdend"])
        return row if row is not None and row.is_terminal else None

    minutes = float(os.environ.get("FPHOT_LIVE_ZTF_WAIT_MINUTES", "75"))  # the page refreshes hourly
    row = wait_for(find, minutes=minutes, every=120)
    assert row is not None, f"request not listed as done on getForcedPhotometryRequests.cgi within {minutes} min"
    assert not hook.get_requests(batch=True) or all(r.req_id != row.req_id for r in hook.get_requests(batch=True))
    if row.has_lightcurve:
        table = parse_ztf(hook.download_lightcurve(row.lightcurve), target="live")
        assert set(table["filter"]) <= {"ZTF.g", "ZTF.r", "ZTF.i"}
    else:
        assert row.exitcode == ztf_wire.EXIT_NO_EPOCHS, row.describe_exit()
