#!/usr/bin/env bash
# Make the secrets docker-compose.yaml refuses to start without, once, in a git-ignored .env
# (mode 600): the Fernet key that encrypts Connections in the metadata DB, the API's JWT secret
# and the web secret key. An existing .env keeps its values; only missing ones are added.
set -euo pipefail
cd "$(dirname "$0")/.."
touch .env && chmod 600 .env
add() {  # name value: append unless already set
  grep -q "^$1=" .env || echo "$1=$2" >> .env
}
secret() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }
fernet() { python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'; }
add AIRFLOW_FERNET_KEY "$(fernet)"
add AIRFLOW_JWT_SECRET "$(secret)"
add AIRFLOW_API_SECRET_KEY "$(secret)"
echo ".env holds the deployment's secrets (keep it; a new Fernet key cannot read Connections stored with the old one)"
