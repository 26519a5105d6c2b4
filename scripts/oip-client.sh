#!/usr/bin/env bash
# Open Inference Protocol test client: tritonclient[http,grpc] from PyPI in its own git-ignored
# venv (.tools/venvs/oip-client, see scripts/lib/venv.sh), so the trainers' .venv stays as their
# requirements say. Reinstalls only when scripts/test-tools/oip-client.txt changes.
#
#   scripts/oip-client.sh     install if needed; prints the venv's python
#   SLIPWAY_PYTHON            interpreter to build the venv from (default: python3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib/venv.sh"
venv="$root/.tools/venvs/oip-client"
python="$(venv_python oip-client)"
venv_ensure oip-client "$venv" "$python" "$root/scripts/test-tools/oip-client.txt"
echo "$venv/bin/python"
