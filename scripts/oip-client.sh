#!/usr/bin/env bash
# Open Inference Protocol test client: tritonclient[http,grpc] from PyPI in its own git-ignored
# venv (.tools/oip-venv), so the trainers' .venv stays as their requirements say.
#
#   scripts/oip-client.sh     install if needed; prints the venv's python
#
# Reinstalls only when scripts/oip-client/requirements.txt changes (sha256 in a stamp file).
#   SLIPWAY_PYTHON   interpreter to build the venv from (default: python3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.tools/oip-venv"
reqs="$root/scripts/oip-client/requirements.txt"
stamp="$venv/.requirements.sha256"
python="${SLIPWAY_PYTHON:-python3}"

want="$(sha256sum "$reqs" | cut -d' ' -f1)"
if ! [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  command -v "$python" >/dev/null || { echo "oip-client: $python not found (set SLIPWAY_PYTHON)" >&2; exit 1; }
  echo "oip-client: creating $venv with $("$python" --version 2>&1) and installing $reqs" >&2
  rm -rf "$venv"
  mkdir -p "$root/.tools"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$reqs" >&2
  "$venv/bin/python" -m pip check >&2
  echo "$want" >"$stamp"
fi
echo "$venv/bin/python"
