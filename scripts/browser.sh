#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser end-to-end test (never a
# downloaded browser). Prints its path. SLIPWAY_CHROMIUM names another binary.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/debian-package.sh"
bin="${SLIPWAY_CHROMIUM:-/usr/bin/chromium}"
ensure_debian_package "$bin" chromium "the browser test (or set SLIPWAY_CHROMIUM)"
echo "$bin"
