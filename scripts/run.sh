#!/usr/bin/env bash
# Set up everything on a fresh Debian 12 machine, build, and start Hearth
# on http://127.0.0.1:8080 with its data in ./var. Extra arguments go to
# `hearth serve` (e.g. --demo, --listen 0.0.0.0:8080, --config FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --run
[ -f build-release/build.ninja ] || meson setup build-release --buildtype=release >/dev/null
ninja -C build-release server/hearth >/dev/null
exec build-release/server/hearth serve --data ./var "$@"
