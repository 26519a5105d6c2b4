#!/usr/bin/env bash
# KServe payload-logger test client: the CloudEvents SDK (cloudevents) from PyPI in its own git-ignored
# venv (.tools/venvs/log-client, see scripts/lib/venv.sh), so the trainers' .venv stays as their
# requirements say. Reinstalls only when scripts/test-tools/log-client.txt changes.
#
#   scripts/log-client.sh     install if needed; prints the venv's python
#   SLIPWAY_PYTHON            interpreter to build the venv from (default: python3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib/venv.sh"
venv="$root/.tools/venvs/log-client"
python="$(venv_python log-client)"
venv_ensure log-client "$venv" "$python" "$root/scripts/test-tools/log-client.txt"
echo "$venv/bin/python"
