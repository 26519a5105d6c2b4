# Sourced by worker.sh, model-server.sh and `make demo`: the model server's address, admin token
# and label-source token for local use. Each token is generated once into data/run/ unless
# SLIPWAY_SERVE_ADMIN_TOKEN / SLIPWAY_SERVE_LABELER_TOKEN is set; the worker reaches the server
# at SLIPWAY_SERVE_URL, and the demo's replay posts labels with the labeler token (the server
# takes labels only from authenticated sources).
run="${run:?}"
if [ -z "${SLIPWAY_SERVE_ADMIN_TOKEN:-}" ]; then
  if [ ! -s "$run/serve-admin-token" ]; then
    (umask 077; node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))' >"$run/serve-admin-token")
  fi
  SLIPWAY_SERVE_ADMIN_TOKEN="$(cat "$run/serve-admin-token")"
fi
export SLIPWAY_SERVE_ADMIN_TOKEN
if [ -z "${SLIPWAY_SERVE_LABELER_TOKEN:-}" ]; then
  if [ ! -s "$run/serve-labeler-token" ]; then
    (umask 077; node -e 'process.stdout.write(require("crypto").randomBytes(24).toString("hex"))' >"$run/serve-labeler-token")
  fi
  SLIPWAY_SERVE_LABELER_TOKEN="$(cat "$run/serve-labeler-token")"
fi
export SLIPWAY_SERVE_LABELER_TOKEN
export SLIPWAY_SERVE_PORT="${SLIPWAY_SERVE_PORT:-8090}"
export SLIPWAY_SERVE_URL="${SLIPWAY_SERVE_URL:-http://127.0.0.1:$SLIPWAY_SERVE_PORT}"
