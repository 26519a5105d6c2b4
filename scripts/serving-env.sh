# Sourced by worker.sh and model-server.sh: the model server's address and admin token for
# local use. A token is generated once into data/run/serve-admin-token unless
# SLIPWAY_SERVE_ADMIN_TOKEN is set; the worker reaches the server at SLIPWAY_SERVE_URL.
run="${run:?}"
if [ -z "${SLIPWAY_SERVE_ADMIN_TOKEN:-}" ]; then
  if [ ! -s "$run/serve-admin-token" ]; then
    (umask 077; node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))' >"$run/serve-admin-token")
  fi
  SLIPWAY_SERVE_ADMIN_TOKEN="$(cat "$run/serve-admin-token")"
fi
export SLIPWAY_SERVE_ADMIN_TOKEN
export SLIPWAY_SERVE_PORT="${SLIPWAY_SERVE_PORT:-8090}"
export SLIPWAY_SERVE_URL="${SLIPWAY_SERVE_URL:-http://127.0.0.1:$SLIPWAY_SERVE_PORT}"
