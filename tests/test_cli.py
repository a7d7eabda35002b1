"""The ``fphot`` console script."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import requests

from fphot_provider.cli import main
from tests.conftest import DATA, REPO
from tests.helpers import wait_until

TOM_FILE = DATA / "atlas" / "fp_tom_base_ra65.00_decm54.94_southern_units.txt"


def test_parse_atlas_to_csv_on_stdout(capsys) -> None:
    assert main(["parse", "atlas", str(TOM_FILE), "--target", "AT x"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith("target,service,filter,mjd,")
    assert len(lines) == 33 and "32 rows" in err


def test_parse_atlas_to_json_and_parquet(tmp_path: Path, capsys) -> None:
    assert main(["parse", "atlas", str(TOM_FILE), "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 32 and rows[0]["exposure_id"] == "04a60316o0180o"
    out = tmp_path / "t.parquet"
    assert main(["parse", "atlas", str(TOM_FILE), "--format", "parquet", "-o", str(out)]) == 0
    assert len(pd.read_parquet(out)) == 32


def test_parse_refuses_a_file_that_is_not_atlas(capsys) -> None:
    assert main(["parse", "atlas", str(DATA / "atlas" / "queue_201_response.json")]) == 2
    assert "not ATLAS forced photometry output" in capsys.readouterr().err


@pytest.mark.parametrize("service", ["atlas", "ztf", "panstarrs"])
@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"", "is empty"),
        (b"  \r\n\n", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is binary"),
        (b"MJD \xff\xfe caf\xe9", "is not UTF-8 text"),
    ],
)
def test_unreadable_files_get_one_line_and_exit_2_for_every_service(tmp_path, capsys, service, content, said) -> None:
    path = tmp_path / "answer.txt"
    path.write_bytes(content)
    assert main(["parse", service, str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert said in err and service in err and "Traceback" not in err


def test_emulator_command_serves_the_protocol(tmp_path: Path) -> None:
    url_file = tmp_path / "url"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fphot_provider.cli",
            "emulator",
            "atlas",
            "--port",
            "0",
            "--url-file",
            str(url_file),
            "--base-path",
            "/forcedphot",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ,
    )
    try:
        url = wait_until(lambda: url_file.exists() and url_file.read_text(), timeout=30)
        assert url.endswith("/forcedphot")
        answer = requests.post(
            f"{url}/queue/",
            data={"ra": 1, "dec": 2, "send_email": "false"},
            headers={"Authorization": "Token demo-token"},
            timeout=10,
        )
        assert answer.status_code == 201 and answer.json()["url"].startswith(f"{url}/queue/")
        assert requests.get(f"{url}/queue/", headers={"Authorization": "Token x"}, timeout=10).status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def test_demo_emulators_stop_with_the_demo(tmp_path: Path) -> None:
    """scripts/emulators.sh: the emulators the demo starts end when the demo's shell ends."""
    script = f"DEMO={tmp_path}; PATH={Path(sys.executable).parent}:$PATH; source scripts/emulators.sh; echo $ATLAS_URL"
    done = subprocess.run(["bash", "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    urls = [(tmp_path / f"{s}.url").read_text() for s in ("atlas", "ztf", "panstarrs")]
    assert done.stdout.strip() == urls[0]

    def all_down() -> bool:
        for url in urls:
            try:
                requests.get(f"{url}/_emulator/stats", timeout=1)
            except requests.ConnectionError:
                continue
            return False
        return True

    wait_until(all_down, timeout=20)


def test_plot_draws_a_stored_target_and_names_an_unknown_one(data_dir: Path, capsys) -> None:
    from fphot_provider.sinks.sql import SqlSink
    from tests.sinks.conformance import table

    SqlSink().write(table(target="SN 1", n=6))
    assert main(["plot", "SN 1", "--sink", "sql"]) == 0
    assert (data_dir / "plots" / "SN_1.png").stat().st_size > 1000
    assert main(["plot", "nobody", "--sink", "sql"]) == 2
    assert "'nobody' has no rows in sink 'sql'" in capsys.readouterr().err


@pytest.mark.parametrize("service", ["fink_lsst", "alerce_lsst", "alerce_ztf"])
def test_parse_a_saved_broker_answer(tmp_path: Path, capsys, service: str) -> None:
    from tests.parsers.test_broker_parsers import ALERCE_LSST, ALERCE_ZTF, FINK

    path = tmp_path / f"{service}.json"
    path.write_text({"fink_lsst": FINK, "alerce_lsst": ALERCE_LSST, "alerce_ztf": ALERCE_ZTF}[service])
    assert main(["parse", service, str(path), "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows and {row["service"] for row in rows} == {service}
    assert all(isinstance(row["exposure_id"], str) for row in rows)
