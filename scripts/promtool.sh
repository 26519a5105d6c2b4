#!/usr/bin/env bash
# Makes sure promtool (Debian's prometheus package) is installed for the alert-rule tests, and
# prints its path. Only the promtool binary is used: a Prometheus daemon the package may have
# started is stopped and disabled, so the machine is not left scraping.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/debian-package.sh"
bin="${SLIPWAY_PROMTOOL:-/usr/bin/promtool}"
if [ ! -x "$bin" ]; then
  ensure_debian_package "$bin" prometheus "promtool in the alert-rule tests (or set SLIPWAY_PROMTOOL)" --no-install-recommends
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
    systemctl disable --now prometheus >&2 || true
  fi
fi
echo "$bin"
