#!/usr/bin/env bash
# Makes sure curl is installed (Debian's package): the README's quickstart talks to the model server
# with curl, and test/docs/quickstart.e2e.test.ts runs those commands as written. Prints its path.
set -euo pipefail
if ! command -v curl >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "curl not found; install it (apt-get install curl) for the README quickstart and its test" >&2
    exit 1
  fi
  echo "Installing Debian's curl for the quickstart test..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >&2
fi
command -v curl
