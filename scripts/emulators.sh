# Sourced by the demos: start the three service emulators on loopback (stopped when the
# sourcing script exits) and point the fphot Connections at them. Needs $DEMO and .venv on PATH.
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT
start_emulator() {  # service -> prints its base URL once it listens
  rm -f "$DEMO/$1.url"
  fphot emulator "$1" --port 0 --url-file "$DEMO/$1.url" --queue-seconds 2 --run-seconds 3 > "$DEMO/$1-emulator.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do [ -s "$DEMO/$1.url" ] && break; sleep 0.1; done
  echo "   $1: $(cat "$DEMO/$1.url")" >&2
  cat "$DEMO/$1.url"
}
ATLAS_URL=$(start_emulator atlas)
ZTF_URL=$(start_emulator ztf)
PS1_URL=$(start_emulator panstarrs)
# The only change to go live: point these Connections at the real services (see README).
export AIRFLOW_CONN_FPHOT_ATLAS_DEFAULT="{\"conn_type\": \"fphot_atlas\", \"host\": \"$ATLAS_URL\", \"password\": \"demo-token\"}"
export AIRFLOW_CONN_FPHOT_PANSTARRS_DEFAULT="{\"conn_type\": \"fphot_panstarrs\", \"host\": \"$PS1_URL/api/v0.1/panstarrs\"}"
export AIRFLOW_CONN_FPHOT_ZTF_DEFAULT="{\"conn_type\": \"fphot_ztf\", \"host\": \"$ZTF_URL\", \"login\": \"demo@example.org\", \"password\": \"demo-userpass\"}"
