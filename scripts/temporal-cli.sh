#!/usr/bin/env bash
# Prints the path of a Temporal CLI binary (which contains the dev server), building it
# once when none is found. Search order: $TEMPORAL_CLI_PATH, `temporal` on PATH, the
# git-ignored .tools/bin, otherwise `go install` into .tools/bin (a few minutes, once).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh"
version="v1.5.1" # newer tags carry a replace directive and cannot be `go install`ed

if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
  [ -x "$TEMPORAL_CLI_PATH" ] || { echo "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file" >&2; exit 1; }
  echo "$TEMPORAL_CLI_PATH"; exit 0
fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
if ! command -v go >/dev/null 2>&1 && [ ! -x "$(dirname "${BASH_SOURCE[0]}")/../.tools/bin/temporal" ]; then
  cat >&2 <<MSG
No Temporal CLI found and no Go toolchain to build one.
Install the CLI (brew install temporal, or a release binary from Temporal's site) and put
it on PATH or set TEMPORAL_CLI_PATH; or install Go and re-run this script.
MSG
  exit 1
fi
go_tool temporal github.com/temporalio/cli/cmd/temporal "$version" "a few minutes"
