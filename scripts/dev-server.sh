#!/usr/bin/env bash
# Starts the Temporal dev server in the background (gRPC 7233, Web UI 8233) with its
# state persisted under data/, and registers Slipway's search attributes. Idempotent:
# does nothing when a server already answers.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cli="$("$root/scripts/temporal-cli.sh")"
data="$root/data"
mkdir -p "$data/run"
address="${TEMPORAL_ADDRESS:-localhost:7233}"

if "$cli" operator cluster health --address "$address" >/dev/null 2>&1; then
  echo "Temporal dev server already running at $address"; exit 0
fi
# Loopback only: whoever reaches Temporal can start any workflow (docs/production.md#securing-temporal).
nohup "$cli" server start-dev \
  --ip 127.0.0.1 \
  --db-filename "$data/temporal.db" \
  --port "${address##*:}" --ui-port 8233 \
  --log-level warn \
  --search-attribute SlipwayModel=Keyword \
  --search-attribute SlipwayPipeline=Keyword \
  --search-attribute SlipwayStage=Keyword \
  --search-attribute SlipwayOutcome=Keyword \
  >"$data/run/temporal.log" 2>&1 &
echo $! >"$data/run/temporal.pid"
for _ in $(seq 1 60); do
  if "$cli" operator cluster health --address "$address" >/dev/null 2>&1; then
    echo "Temporal dev server up at $address, Web UI http://localhost:8233 (pid $(cat "$data/run/temporal.pid"))"
    exit 0
  fi
  sleep 1
done
echo "Temporal dev server did not become healthy in 60 s; see $data/run/temporal.log" >&2
exit 1
