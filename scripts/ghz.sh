#!/usr/bin/env bash
# Prints the path of ghz (a gRPC load generator written in Go, github.com/bojand/ghz), building
# it once into the git-ignored .tools/bin. bench:oip drives the model server's gRPC port with it:
# a Node @grpc/grpc-js client saturates its own event loop long before the server does.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools/bin"
version="v0.93.0"

if [ -x "$tools/ghz" ]; then echo "$tools/ghz"; exit 0; fi
command -v go >/dev/null 2>&1 || { echo "ghz is built with Go, which is not installed; install Go and re-run" >&2; exit 1; }
mkdir -p "$tools"
exec 9>"$tools/.ghz.lock"
flock 9
if [ -x "$tools/ghz" ]; then echo "$tools/ghz"; exit 0; fi
echo "Building ghz $version with Go into $tools (once per machine, about a minute)..." >&2
GOBIN="$tools" go install "github.com/bojand/ghz/cmd/ghz@$version" >&2
echo "$tools/ghz"
