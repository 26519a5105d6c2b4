#!/usr/bin/env bash
# Runs the model server in the background: `model-server.sh restart` or `model-server.sh stop`.
# Listens on SLIPWAY_SERVE_PORT (8090); logs go to data/run/model-server.log. Deployments
# persist in data/serving/deployments.json, so a restart serves the same split.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run="$root/data/run"
pidfile="$run/model-server.pid"
log="$run/model-server.log"
mkdir -p "$run"
# shellcheck source=scripts/serving-env.sh
source "$root/scripts/serving-env.sh"

stop() {
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill -TERM "$(cat "$pidfile")"
    for _ in $(seq 1 30); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.5; done
    echo "model server stopped"
  fi
  rm -f "$pidfile"
}

case "${1:-restart}" in
  stop) stop ;;
  restart)
    stop
    cd "$root"
    [ -f "$log" ] && mv "$log" "$log.1"
    nohup node --import tsx src/serving/main.ts >>"$log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 60); do
      if grep -q 'model server listening' "$log" 2>/dev/null && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        echo "model server running at $SLIPWAY_SERVE_URL (pid $(cat "$pidfile")), logs: data/run/model-server.log"; exit 0
      fi
      kill -0 "$(cat "$pidfile")" 2>/dev/null || { echo "model server exited; last log lines:" >&2; tail -20 "$log" >&2; exit 1; }
      sleep 0.5
    done
    echo "model server did not listen in 30 s; see $log" >&2; exit 1 ;;
  *) echo "usage: model-server.sh restart|stop" >&2; exit 2 ;;
esac
