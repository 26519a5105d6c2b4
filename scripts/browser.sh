#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser end-to-end test (never a
# downloaded browser). Prints its path.
set -euo pipefail
bin="${SLIPWAY_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$bin" ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Chromium not found at $bin; install Debian's chromium package (apt-get install chromium) or set SLIPWAY_CHROMIUM" >&2
    exit 1
  fi
  echo "Installing Debian's chromium for the browser test..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
fi
echo "$bin"
