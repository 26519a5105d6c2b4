#!/usr/bin/env bash
# Creates the git-ignored .venv for the Python trainers (trainers/*/requirements.txt) and
# installs their pinned requirements, only when a requirements file changes (scripts/lib/venv.sh).
# Prints the venv's python on success.
#   SLIPWAY_PYTHON   interpreter to build the venv from (default: python3, then python)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib/venv.sh"
venv="$root/.venv"
mapfile -t reqs < <(cd "$root" && ls trainers/*/requirements.txt 2>/dev/null | sort | sed "s|^|$root/|")
if [ "${#reqs[@]}" -eq 0 ]; then echo "python-env: no trainers/*/requirements.txt" >&2; exit 1; fi

if ! python="$(venv_python python-env)"; then
  echo "            The scikit-learn trainers need it; without it, run the built-in trainer alone: pipeline flight-delay-builtin." >&2
  exit 1
fi
stamp_before="$(cat "$venv/.requirements.sha256" 2>/dev/null || true)"
venv_ensure python-env "$venv" "$python" "${reqs[@]}"
# Compile once after a (re)install, so the first training run does not pay for it (and a read-only tree still works).
if [ "$stamp_before" != "$(cat "$venv/.requirements.sha256")" ]; then "$venv/bin/python" -m compileall -q "$venv/lib" >/dev/null 2>&1 || true; fi
echo "$venv/bin/python"
