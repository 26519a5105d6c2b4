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
# The worker never posts labels: keep the label-source token out of its (and its trainers') environment.
unset SLIPWAY_SERVE_LABELER_TOKEN

# shellcheck source=scripts/dev-identity.sh
source "$root/scripts/dev-identity.sh"

# shellcheck source=scripts/lib/background.sh
source "$root/scripts/lib/background.sh"

case "${1:-restart}" in
  stop) bg_stop worker "$pidfile" ;;
  restart)
    bg_stop worker "$pidfile"
    cd "$root"
    bg_start worker "$pidfile" "$run/worker.log" 'worker started' node --import tsx src/worker.ts
    echo "worker running (pid $(cat "$pidfile")), logs: data/run/worker.log" ;;
  *) echo "usage: worker.sh restart|stop" >&2; exit 2 ;;
esac
