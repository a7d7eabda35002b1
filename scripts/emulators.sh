# Sourced by the demos: start the service emulators (ATLAS, ZTF, PanSTARRS, Fink, ALeRCE) on loopback (stopped when the
# sourcing script exits) and point the fphot Connections at them. Needs $DEMO and .venv on PATH.
# start_emulator runs in this shell (never in a $(...) subshell), so the EXIT trap knows every PID.
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT
start_emulator() {  # service -> starts it and waits until it listens (its URL in $DEMO/<service>.url)
  rm -f "$DEMO/$1.url"
  fphot emulator "$1" --port 0 --url-file "$DEMO/$1.url" --queue-seconds 2 --run-seconds 3 > "$DEMO/$1-emulator.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do [ -s "$DEMO/$1.url" ] && break; sleep 0.1; done
  [ -s "$DEMO/$1.url" ] || { echo "the $1 emulator did not start: $DEMO/$1-emulator.log" >&2; return 1; }
  echo "   $1: $(cat "$DEMO/$1.url")" >&2
}
start_emulator atlas && ATLAS_URL=$(cat "$DEMO/atlas.url")
start_emulator ztf && ZTF_URL=$(cat "$DEMO/ztf.url")
start_emulator panstarrs && PS1_URL=$(cat "$DEMO/panstarrs.url")
# The only change to go live: point these Connections at the real services (see README).
export AIRFLOW_CONN_FPHOT_ATLAS_DEFAULT="{\"conn_type\": \"fphot_atlas\", \"host\": \"$ATLAS_URL\", \"password\": \"demo-token\"}"
export AIRFLOW_CONN_FPHOT_PANSTARRS_DEFAULT="{\"conn_type\": \"fphot_panstarrs\", \"host\": \"$PS1_URL/api/v0.1/panstarrs\"}"
export AIRFLOW_CONN_FPHOT_ZTF_DEFAULT="{\"conn_type\": \"fphot_ztf\", \"host\": \"$ZTF_URL\", \"login\": \"demo@example.org\", \"password\": \"demo-userpass\"}"
# The brokers are public (no credentials): without these Connections the public APIs are used.
for broker in fink_lsst alerce_lsst alerce_ztf; do
  start_emulator "$broker"
  export "AIRFLOW_CONN_FPHOT_${broker^^}_DEFAULT={\"conn_type\": \"fphot_$broker\", \"host\": \"$(cat "$DEMO/$broker.url")\"}"
done
