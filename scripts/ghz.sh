#!/usr/bin/env bash
# Prints the path of ghz (a gRPC load generator written in Go, github.com/bojand/ghz), building
# it once into the git-ignored .tools/bin. bench:oip drives the model server's gRPC port with it:
# a Node @grpc/grpc-js client saturates its own event loop long before the server does.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh"
go_tool ghz github.com/bojand/ghz/cmd/ghz v0.93.0 "about a minute"
