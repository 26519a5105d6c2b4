#!/usr/bin/env bash
# An S3-compatible server for tests: moto's server mode from PyPI, in its own git-ignored venv
# (.tools/s3-venv), so the trainers' .venv stays as their requirements say.
#
#   scripts/s3-test-server.sh             install if needed; prints the path of moto_server
#   scripts/s3-test-server.sh start PORT  install if needed, then exec the server on 127.0.0.1:PORT
#
# Reinstalls only when scripts/test-tools/requirements.txt changes (sha256 in a stamp file).
#   SLIPWAY_PYTHON   interpreter to build the venv from (default: python3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.tools/s3-venv"
reqs="$root/scripts/test-tools/requirements.txt"
stamp="$venv/.requirements.sha256"
python="${SLIPWAY_PYTHON:-python3}"

want="$(sha256sum "$reqs" | cut -d' ' -f1)"
if ! [[ -x "$venv/bin/moto_server" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  command -v "$python" >/dev/null || { echo "s3-test-server: $python not found (set SLIPWAY_PYTHON)" >&2; exit 1; }
  echo "s3-test-server: creating $venv with $("$python" --version 2>&1) and installing $reqs" >&2
  rm -rf "$venv"
  mkdir -p "$root/.tools"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$reqs" >&2
  echo "$want" >"$stamp"
fi

case "${1:-path}" in
  path) echo "$venv/bin/moto_server" ;;
  start) exec "$venv/bin/moto_server" -H 127.0.0.1 -p "${2:?port}" ;;
  *) echo "usage: $0 [path | start PORT]" >&2; exit 2 ;;
esac
