#!/usr/bin/env bash
# Runs the Slipway worker in the background: `worker.sh restart` (start fresh, so code
# changes take effect) or `worker.sh stop`. Logs go to data/run/worker.log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run="$root/data/run"
pidfile="$run/worker.pid"
mkdir -p "$run"
# The model server the canary, promote and rollback steps drive (scripts/model-server.sh).
# shellcheck source=scripts/serving-env.sh
source "$root/scripts/serving-env.sh"

stop() {
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill -TERM "$(cat "$pidfile")"
    for _ in $(seq 1 30); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.5; done
    echo "worker stopped"
  fi
  rm -f "$pidfile"
}

case "${1:-restart}" in
  stop) stop ;;
  restart)
    stop
    cd "$root"
    [ -f "$run/worker.log" ] && mv "$run/worker.log" "$run/worker.log.1"
    nohup node --import tsx src/worker.ts >>"$run/worker.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 60); do
      if grep -q 'worker started' "$run/worker.log" 2>/dev/null && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        echo "worker running (pid $(cat "$pidfile")), logs: data/run/worker.log"; exit 0
      fi
      kill -0 "$(cat "$pidfile")" 2>/dev/null || { echo "worker exited; last log lines:" >&2; tail -20 "$run/worker.log" >&2; exit 1; }
      sleep 0.5
    done
    echo "worker did not report started in 30 s; see $run/worker.log" >&2; exit 1 ;;
  *) echo "usage: worker.sh restart|stop" >&2; exit 2 ;;
esac
