#!/usr/bin/env bash
# Makes sure curl is installed (Debian's package): the README's quickstart talks to the model server
# with curl, and test/docs/quickstart.e2e.test.ts runs those commands as written. Prints its path.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/debian-package.sh"
bin="$(command -v curl || echo /usr/bin/curl)"
ensure_debian_package "$bin" curl "the README quickstart and its test"
echo "$bin"
