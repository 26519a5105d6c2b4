#!/usr/bin/env bash
# Creates the git-ignored .venv for the Python trainers (trainers/*/requirements.txt) and
# installs their pinned requirements. Reinstalls only when a requirements file changes: the
# stamp file holds the sha256 of all of them. Prints the venv's python on success.
#   SLIPWAY_PYTHON   interpreter to build the venv from (default: python3, then python)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.requirements.sha256"
mapfile -t reqs < <(cd "$root" && ls trainers/*/requirements.txt 2>/dev/null | sort)
if [ "${#reqs[@]}" -eq 0 ]; then echo "python-env: no trainers/*/requirements.txt" >&2; exit 1; fi

python="${SLIPWAY_PYTHON:-}"
if [ -n "$python" ] && ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "python-env: SLIPWAY_PYTHON=$python is not a Python 3.11+ interpreter" >&2
  exit 1
fi
if [ -z "$python" ]; then
  for candidate in python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      python="$candidate"; break
    fi
  done
fi
if [ -z "$python" ]; then
  echo "python-env: Python 3.11+ not found (set SLIPWAY_PYTHON). The scikit-learn trainers need it;" >&2
  echo "            without it, run the built-in trainer alone: pipeline flight-delay-builtin." >&2
  exit 1
fi

want="$(cd "$root" && cat "${reqs[@]}" | sha256sum | cut -d' ' -f1) $("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$venv/bin/python"; exit 0
fi

echo "python-env: creating $venv with $("$python" --version 2>&1) and installing ${reqs[*]}" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
args=()
for r in "${reqs[@]}"; do args+=(-r "$root/$r"); done
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "${args[@]}" >&2
"$venv/bin/python" -m pip check >&2
# Compile once now, so the first training run does not pay for it (and a read-only tree still works).
"$venv/bin/python" -m compileall -q "$venv/lib" >/dev/null 2>&1 || true
echo "$want" >"$stamp"
echo "$venv/bin/python"
