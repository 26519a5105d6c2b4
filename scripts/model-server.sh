#!/usr/bin/env bash
# Runs the model server in the background: `model-server.sh restart` or `model-server.sh stop`.
# Listens on SLIPWAY_SERVE_PORT (8090); logs go to data/run/model-server.log. Deployments
# persist in data/serving/deployments.json, so a restart serves the same split.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run="$root/data/run"
pidfile="$run/model-server.pid"
mkdir -p "$run"
# shellcheck source=scripts/serving-env.sh
source "$root/scripts/serving-env.sh"
# shellcheck source=scripts/lib/background.sh
source "$root/scripts/lib/background.sh"

case "${1:-restart}" in
  stop) bg_stop "model server" "$pidfile" ;;
  restart)
    bg_stop "model server" "$pidfile"
    cd "$root"
    bg_start "model server" "$pidfile" "$run/model-server.log" 'model server listening' node --import tsx src/serving/main.ts
    echo "model server running at $SLIPWAY_SERVE_URL (pid $(cat "$pidfile")), logs: data/run/model-server.log" ;;
  *) echo "usage: model-server.sh restart|stop" >&2; exit 2 ;;
esac
