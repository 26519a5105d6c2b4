#!/usr/bin/env bash
# Makes sure promtool (Debian's prometheus package) is installed for the alert-rule tests, and
# prints its path. Only the promtool binary is used: a Prometheus daemon the package may have
# started is stopped and disabled, so the machine is not left scraping.
set -euo pipefail
bin="${SLIPWAY_PROMTOOL:-/usr/bin/promtool}"
if [ ! -x "$bin" ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "promtool not found at $bin; install Debian's prometheus package (apt-get install prometheus) or set SLIPWAY_PROMTOOL" >&2
    exit 1
  fi
  echo "Installing Debian's prometheus package for promtool..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
    systemctl disable --now prometheus >&2 || true
  fi
fi
echo "$bin"
