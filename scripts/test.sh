#!/usr/bin/env bash
# Set up everything on a fresh Debian 12 machine, then build Hearth twice
# (an optimised build, and one with AddressSanitizer + UBSan) and run the
# whole suite: C unit tests (cmocka), the fuzz replay, integration tests
# (node --test against a real server) and browser tests (Chromium), the
# last three against the sanitized server. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

setup() { # dir, options...
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then meson setup --reconfigure "$dir" "$@" >/dev/null
  else meson setup "$dir" "$@" >/dev/null; fi
}
setup build
setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
ninja -C build
ninja -C build-asan

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
meson test -C build --suite unit --print-errorlogs || status=1
meson test -C build-asan --print-errorlogs --num-processes 2 || status=1

# one closing line for the whole run, counted from meson's own log
python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json <<'PY'
import json, sys
ok = bad = skip = 0
for f in sys.argv[1:]:
    for line in open(f):
        r = json.loads(line)["result"]
        if r == "OK" or r == "EXPECTEDFAIL": ok += 1
        elif r == "SKIP": skip += 1
        else: bad += 1
print(f"{ok} passed, {bad} failed, {skip} skipped")
PY
exit $status
