#!/usr/bin/env bash
# DuckDB's httpfs extension for remote sources (s3://, gs://, https://): duckdb-extension-httpfs
# from PyPI (the wheel's sha256 pinned in scripts/test-tools/duckdb-extensions.txt) in its own
# git-ignored venv (.tools/venvs/duckdb-extensions), linked to .tools/duckdb-extensions/, where
# the worker looks by default (SLIPWAY_HTTPFS_EXTENSION). The worker checks the file's own sha256
# before loading it (src/data/httpfs-extension.ts). Prints the extension's path.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib/venv.sh"
venv="$root/.tools/venvs/duckdb-extensions"
python="$(venv_python duckdb-extensions)"
# --no-deps: the wheel only carries the extension file; its declared dependency (Python duckdb) is never imported.
VENV_PIP_ARGS=--no-deps venv_ensure duckdb-extensions "$venv" "$python" "$root/scripts/test-tools/duckdb-extensions.txt"
file="$(ls "$venv"/lib/python*/site-packages/duckdb_extension_httpfs/extensions/v*/httpfs.duckdb_extension | head -1)"
mkdir -p "$root/.tools/duckdb-extensions"
ln -sfn "$file" "$root/.tools/duckdb-extensions/httpfs.duckdb_extension"
echo "$root/.tools/duckdb-extensions/httpfs.duckdb_extension"
