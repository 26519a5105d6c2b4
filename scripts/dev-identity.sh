# Local development identity (sourced by scripts/worker.sh and `make demo`): runs started from the
# Temporal Web UI or `temporal` CLI, and unsigned approvals, act as the admin dev:local; the API, CLI
# and worker share a run-signing key generated once under data/run. Never source this in production
# (docs/trust-boundary.md).
export SLIPWAY_DEV_PRINCIPAL="${SLIPWAY_DEV_PRINCIPAL-local}"
if [ -z "${SLIPWAY_RUN_SIGNING_KEY:-}" ]; then
  _key_file="${run:-data/run}/run-signing-key"
  mkdir -p "$(dirname "$_key_file")"
  [ -s "$_key_file" ] || (umask 077 && node -e "process.stdout.write(require('crypto').randomBytes(36).toString('base64url'))" > "$_key_file")
  SLIPWAY_RUN_SIGNING_KEY="$(cat "$_key_file")"
  export SLIPWAY_RUN_SIGNING_KEY
fi
