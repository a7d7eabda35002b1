#!/usr/bin/env bash
# The Light curves pages on `make demo`'s data: Airflow's own API server (the whole UI) on loopback.
# Log in as admin (the password Airflow generated is printed); Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

DEMO=$PWD/.demo
if [ ! -d "$DEMO/data/photometry" ]; then
  echo "no demo data in $DEMO/data: run make demo first" >&2; exit 1
fi
PORT=${FPHOT_UI_PORT:-8080}
export AIRFLOW_HOME=$DEMO/airflow
export AIRFLOW__CORE__DAGS_FOLDER=$PWD/dags
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__API__BASE_URL=http://127.0.0.1:$PORT
export FPHOT_DATA_DIR=$DEMO/data
PASSWORDS=$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated

echo "== Light curves on http://127.0.0.1:$PORT/plugin/light-curves (also http://127.0.0.1:$PORT/fphot/)"
echo "   user admin, password: see $PASSWORDS (written when the server starts)"
echo "   the demo run's plot task has the \"Light curve\" link: Dags > fphot_target > plot > Details"
exec .venv/bin/airflow api-server --host 127.0.0.1 --port "$PORT"
