#!/usr/bin/env bash
# fphot_target into a TOM Toolkit, offline: a new TOM (its own venv, project, SQLite DB, user,
# development server on loopback, built by tests/tom/server.py exactly as the tests build it),
# the three emulators, then the real `airflow dags test fphot_target` with the tom sink, twice.
# The TOM keeps running afterwards so you can look at the target's light curve in a browser.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

DEMO=$PWD/.demo-tom
rm -rf "$DEMO" && mkdir -p "$DEMO"
export AIRFLOW_HOME=$DEMO/airflow
export AIRFLOW__CORE__DAGS_FOLDER=$PWD/dags
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export FPHOT_DATA_DIR=$DEMO/data
export AIRFLOW__FPHOT__ZTF_MIN_POLL_SECONDS=2  # emulators: no need for the real page's 120 s floor
PATH=$PWD/.venv/bin:$PATH

echo "== a new TOM Toolkit (first time: installs tomtoolkit into .cache/, about 1 min)"
python - "$DEMO" <<'PY'
import sys
from pathlib import Path
from tests.tom.server import make_tom
server = make_tom()
Path(sys.argv[1], "tom.url").write_text(server.url)
Path(sys.argv[1], "tom.pid").write_text(str(server.proc.pid))
PY
TOM_URL=$(cat "$DEMO/tom.url")
echo "   $TOM_URL (user fphot, password fphot-tom-test-pw; stop it with: kill -- -$(cat "$DEMO/tom.pid"))"
export AIRFLOW_CONN_FPHOT_TOM="{\"conn_type\": \"fphot_tom\", \"host\": \"$TOM_URL\", \"login\": \"fphot\", \"password\": \"fphot-tom-test-pw\"}"

echo "== metadata DB, service emulators"
airflow db migrate > "$DEMO/db-migrate.log" 2>&1
source scripts/emulators.sh

CONF='{"target_name": "SN 2023ixf", "ra": 210.910674, "dec": 54.3117, "mjd_min": 60000, "mjd_max": 60200, "sink": "tom:create_targets=true"}'
for run in first second; do
  echo "== airflow dags test fphot_target ($run run) --conf '$CONF'"
  airflow dags test fphot_target --conf "$CONF" > "$DEMO/dags-test-$run.log" 2>&1 || {
    tail -40 "$DEMO/dags-test-$run.log"; echo "dags test failed; log: $DEMO/dags-test-$run.log" >&2; exit 1; }
  python - "$TOM_URL" <<'PY'
import sys
from collections import Counter
import requests
url = sys.argv[1]
token = requests.post(f"{url}/api/token-auth/", data={"username": "fphot", "password": "fphot-tom-test-pw"}).json()["token"]
get = lambda path, **p: requests.get(f"{url}{path}", params=p, headers={"Authorization": f"Token {token}"}).json()
points = get("/api/reduceddatums/", target_name="SN 2023ixf", data_type="photometry", limit=100000)["results"]
products = get("/api/dataproducts/", target_name="SN 2023ixf")["results"]
limits = sum(p["value"]["brightness"] is None for p in points)
print(f"   the TOM lists {len(points)} points ({limits} limits) per filter {dict(Counter(p['value']['bandpass'] for p in points))}")
print(f"   data products: {dict(Counter(p['data_product_type'] for p in products))}")
target = get("/api/targets/", name="SN 2023ixf")["results"][0]["id"]
print(f"   light curve: {url}/targets/{target}/?tab=photometry")
PY
done
