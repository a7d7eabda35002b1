"""The emulated sky: positions within 1 arcsec of each other see the same light curve."""

from __future__ import annotations

import pytest

from fphot_provider.emulators.sky import SkyAnchors, separation_arcsec
from fphot_provider.hooks.atlas import AtlasHook
from fphot_provider.hooks.panstarrs import PanstarrsHook
from fphot_provider.hooks.ztf import ZtfHook
from fphot_provider.operators.job import bounded_key
from fphot_provider.parsers.atlas import parse_atlas
from fphot_provider.parsers.ztf import parse_ztf
from fphot_provider.targets import QueryWindow, Target
from fphot_provider.wire import panstarrs as ps1_wire
from tests.helpers import wait_until

RA, DEC = 123.4567849, -12.3456789  # NEAR rounds to another 1e-5 grid point: the old seeding split them
NEAR = (RA + 0.02 / 3600 / 0.977, DEC + 0.01 / 3600)  # about 0.02" away
WINDOW = QueryWindow.parse(59000, 59400)


def test_anchors_join_positions_within_one_arcsec() -> None:
    anchors = SkyAnchors()
    assert anchors.anchor(RA, DEC) == (RA, DEC)
    assert anchors.anchor(*NEAR) == (RA, DEC)
    away = (RA, DEC + 1.5 / 3600)
    assert anchors.anchor(*away) == away and separation_arcsec(RA, DEC, *away) > 1
    assert anchors.anchor(359.99999, 0.0) == (359.99999, 0.0)  # across RA = 0 too
    assert anchors.anchor(0.0000001, 0.0) == (359.99999, 0.0)


def _atlas_rows(ra: float, dec: float):  # noqa: ANN202
    hook = AtlasHook()
    task = hook.submit(Target.parse("x", ra, dec), WINDOW)
    done = wait_until(lambda: (t := hook.get_task(task.url)).is_terminal and t)
    return parse_atlas(hook.download_result(done.result_url), target="x")


def test_atlas_sees_the_same_sky_within_one_arcsec(atlas_emulator) -> None:
    first, second = _atlas_rows(RA, DEC), _atlas_rows(*NEAR)
    assert len(first) > 10
    assert first[["mjd", "flux_ujy", "exposure_id"]].equals(second[["mjd", "flux_ujy", "exposure_id"]])


def _ztf_rows(ra: float, dec: float):  # noqa: ANN202
    hook = ZtfHook()
    hook.submit(Target.parse("x", ra, dec), WINDOW)
    rows = wait_until(lambda: [r for r in hook.get_requests() if r.is_terminal and abs(r.dec - round(dec, 6)) < 1e-7])
    return parse_ztf(hook.download_lightcurve(rows[0].lightcurve), target="x")


def test_ztf_sees_the_same_sky_within_one_arcsec(ztf_emulator) -> None:
    first, second = _ztf_rows(RA, DEC), _ztf_rows(*NEAR)
    assert len(first) > 10
    assert first[["mjd", "flux_ujy", "exposure_id"]].equals(second[["mjd", "flux_ujy", "exposure_id"]])


def test_panstarrs_sees_the_same_objects_within_one_arcsec(panstarrs_emulator) -> None:
    cones = [
        PanstarrsHook().cone("mean", ra, dec, 10 / 3600, columns=ps1_wire.OBJECT_COLUMNS)
        for ra, dec in ((RA, DEC), NEAR)
    ]
    assert list(cones[0]["objID"]) == list(cones[1]["objID"])


@pytest.mark.parametrize("length", [10, 300, 301, 800])
def test_job_keys_fit_the_atlas_comment_limit(length: int) -> None:
    key = "k" * length
    bounded = bounded_key(key)
    assert len(bounded) <= 300
    assert (bounded == key) is (length <= 300)
    assert bounded_key(key + "x") != bounded or length < 300  # two long keys stay apart
