#!/usr/bin/env bash
# Runs the HTTP API and its web console in the background: `api.sh restart` or `api.sh stop`.
# Logs go to data/run/api.log. Unless SLIPWAY_API_TOKENS is set, a local admin token is made
# once and kept in data/run/console-token (mode 600) for signing in to the console.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run="$root/data/run"
pidfile="$run/api.pid"
mkdir -p "$run"
# shellcheck source=scripts/serving-env.sh
source "$root/scripts/serving-env.sh"
# shellcheck source=scripts/lib/background.sh
source "$root/scripts/lib/background.sh"
# shellcheck source=scripts/dev-identity.sh
source "$root/scripts/dev-identity.sh"

case "${1:-restart}" in
  stop) bg_stop api "$pidfile" ;;
  restart)
    bg_stop api "$pidfile"
    if [ -z "${SLIPWAY_API_TOKENS:-}" ]; then
      tokenfile="$run/console-token"
      if [ ! -s "$tokenfile" ]; then (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tokenfile"); fi
      export SLIPWAY_API_TOKENS="local:$(cat "$tokenfile")"
    fi
    cd "$root"
    bg_start api "$pidfile" "$run/api.log" 'Slipway console' node --import tsx src/api/main.ts
    echo "Slipway console: http://${SLIPWAY_API_HOST:-127.0.0.1}:${SLIPWAY_API_PORT:-8080}/ui (sign in with the token in data/run/console-token)" ;;
  *) echo "usage: api.sh restart|stop" >&2; exit 2 ;;
esac
