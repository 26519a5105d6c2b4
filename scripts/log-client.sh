#!/usr/bin/env bash
# KServe payload-logger test client: the CloudEvents SDK (cloudevents) from PyPI in its own git-ignored
# venv (.tools/log-client-venv; SLIPWAY_LOG_CLIENT_VENV overrides), so the trainers' .venv stays as their requirements say.
#
#   scripts/log-client.sh     install if needed; prints the venv's python
#
# Reinstalls only when scripts/log-client/requirements.txt changes (sha256 in a stamp file).
#   SLIPWAY_PYTHON   interpreter to build the venv from (default: python3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${SLIPWAY_LOG_CLIENT_VENV:-$root/.tools/log-client-venv}"
reqs="$root/scripts/log-client/requirements.txt"
stamp="$venv/.requirements.sha256"
python="${SLIPWAY_PYTHON:-python3}"

want="$(sha256sum "$reqs" | cut -d' ' -f1)"
if ! [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  command -v "$python" >/dev/null || { echo "log-client: $python not found (set SLIPWAY_PYTHON)" >&2; exit 1; }
  echo "log-client: creating $venv with $("$python" --version 2>&1) and installing $reqs" >&2
  rm -rf "$venv"
  mkdir -p "$root/.tools"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$reqs" >&2
  "$venv/bin/python" -m pip check >&2
  echo "$want" >"$stamp"
fi
echo "$venv/bin/python"
