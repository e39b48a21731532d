#!/usr/bin/env bash
# Node and npm install the pinned JSON-LD contexts and the third-party verifier. Use the machine's Node when it has
# one (a separately installed Node conflicts with Debian's npm package); otherwise install Debian's.
set -euo pipefail
if command -v node >/dev/null && command -v npm >/dev/null; then
    exit 0
fi
"$(dirname "$0")/ensure-debian-packages.sh" nodejs npm
