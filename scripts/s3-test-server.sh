#!/usr/bin/env bash
# An S3-compatible server for tests: moto's server mode from PyPI, in its own git-ignored venv
# (.tools/venvs/s3-server, see scripts/lib/venv.sh), so the trainers' .venv stays as their requirements say.
#
#   scripts/s3-test-server.sh             install if needed; prints the path of moto_server
#   scripts/s3-test-server.sh start PORT  install if needed, then exec the server on 127.0.0.1:PORT
#
# Reinstalls only when scripts/test-tools/s3-server.txt changes.
#   SLIPWAY_PYTHON   interpreter to build the venv from (default: python3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib/venv.sh"
venv="$root/.tools/venvs/s3-server"
python="$(venv_python s3-test-server)"
venv_ensure s3-test-server "$venv" "$python" "$root/scripts/test-tools/s3-server.txt"

case "${1:-path}" in
  path) echo "$venv/bin/moto_server" ;;
  # Through the venv's python, not the script's shebang: a venv shared by several checkouts keeps
  # the absolute path of the one that built it in its shebangs, which may be gone.
  start) exec "$venv/bin/python" "$venv/bin/moto_server" -H 127.0.0.1 -p "${2:?port}" ;;
  *) echo "usage: $0 [path | start PORT]" >&2; exit 2 ;;
esac
