# Sourced by every script that owns a Python venv (python-env.sh, s3-test-server.sh, oip-client.sh,
# duckdb-extensions.sh): one way to create a venv from pinned requirements files and to reinstall
# it only when they change (a stamp file holds their sha256 and the interpreter's version).
#
#   venv_python NAME                 prints a Python 3.11+ interpreter (SLIPWAY_PYTHON, python3, python)
#   venv_ensure NAME VENV PYTHON REQS...   creates VENV if missing or stale; logs to stderr as NAME
#   VENV_PIP_ARGS    extra pip install arguments (duckdb-extensions.sh: --no-deps, the wheel is a bare file)

venv_python() {
  local name="$1" candidate
  if [ -n "${SLIPWAY_PYTHON:-}" ]; then
    if "$SLIPWAY_PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then echo "$SLIPWAY_PYTHON"; return 0; fi
    echo "$name: SLIPWAY_PYTHON=$SLIPWAY_PYTHON is not a Python 3.11+ interpreter" >&2
    return 1
  fi
  for candidate in python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "$name: Python 3.11+ not found (set SLIPWAY_PYTHON)" >&2
  return 1
}

venv_ensure() {
  local name="$1" venv="$2" python="$3"
  shift 3
  local stamp="$venv/.requirements.sha256" want r
  want="$(cat "$@" | sha256sum | cut -d' ' -f1) $("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  echo "$name: creating $venv with $("$python" --version 2>&1) and installing $*" >&2
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv"
  local args=()
  for r in "$@"; do args+=(-r "$r"); done
  # shellcheck disable=SC2086 # VENV_PIP_ARGS is a word list on purpose
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input ${VENV_PIP_ARGS:-} "${args[@]}" >&2
  # Without dependencies there is nothing consistent to check.
  [[ " ${VENV_PIP_ARGS:-} " == *" --no-deps "* ]] || "$venv/bin/python" -m pip check >&2
  echo "$want" >"$stamp"
}
