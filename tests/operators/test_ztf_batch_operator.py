"""The ZTF batch operator (the monitor's way to ZTF) in real Airflow against the ZTF emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from fphot_provider.parsers.ztf import parse_ztf
from fphot_provider.wire import ztf as wire
from tests.conftest import ZtfEmulator


def test_match_batch_finds_each_position_and_only_newer_rows() -> None:
    def row(req_id: int, ra: float, dec: float, code: int | None = 0) -> wire.ZtfRequest:
        return wire.ZtfRequest(req_id, ra, dec, 2460000.5, 2460100.5, None, None, None, code, "/x")

    rows = [row(5, 10.0, 20.0), row(11, 10.0, 20.0), row(12, 11.0, 21.0, None), row(13, 10.000004, 19.999996)]
    found = wire.match_batch(rows, [[10.0, 20.0], [11.0, 21.0], [12.0, 22.0]], 2460000.5, 2460100.5, after_id=10)
    assert [r.req_id if r else None for r in found] == [13, 12, None]  # newest within 1e-5; none for the third
    assert wire.match_batch(rows, [[10.0, 20.0]], 2460000.5, 2460100.5, after_id=13) == [None]


@pytest.mark.airflow
def test_a_batch_is_one_request_and_one_product_per_position(run_dag, ztf_emulator: ZtfEmulator) -> None:
    ztf_emulator.state.config.max_pending = 2  # the single-request cap does not apply to batch positions
    targets = [{"name": f"z{i}", "ra": 100 + i, "dec": 10 + i / 10} for i in range(6)]
    ztf_emulator.state.outcomes.append((102.0, 10.2, 64))  # one position fails alone
    state, tasks, dr = run_dag("fphot_test_ztf_batch", {"targets": targets})
    assert state == "success", tasks
    result = next(t for t in dr.get_task_instances()).xcom_pull(task_ids="fetch")
    assert [f["target"] for f in result["failures"]] == ["z2"] and "catastrophic" in result["failures"][0]["error"]
    by_name = {p["target"]["name"]: p for p in result["products"]}
    assert sorted(by_name) == ["z0", "z1", "z3", "z4", "z5"]
    for name, product in by_name.items():
        (path,) = product["raw_paths"]
        table = parse_ztf(Path(path).read_text(), target=name)
        assert len(table) > 0 and "batchfp_req" in path
        assert product["requests"][0]["ra"] == pytest.approx(next(t["ra"] for t in targets if t["name"] == name))
    stats = ztf_emulator.stats()
    assert stats["POST batch_submit"] == 1 and "GET submit" not in stats and "GET status" not in stats
