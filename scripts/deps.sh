#!/usr/bin/env bash
# Install what Hearth needs on Debian 12, and nothing that is already there.
# Run as root (or with sudo). Safe to run again: it only fills gaps.
#   scripts/deps.sh          build and run dependencies, and the test tools
#   scripts/deps.sh --run    only what building and running the server needs
set -euo pipefail
cd "$(dirname "$0")/.."

build_pkgs=(meson ninja-build pkg-config gcc libc6-dev
  libuv1-dev libwebsockets-dev libwebsockets-evlib-uv libjansson-dev libsqlite3-dev
  libssl-dev libical-dev libcmark-dev libinih-dev libcurl4-openssl-dev tzdata)
test_pkgs=(libcmocka-dev sqlite3 clang libclang-rt-14-dev chromium python3 python3-aiosmtpd
  fonts-dejavu-core openssl curl ca-certificates)

pkgs=("${build_pkgs[@]}")
if [ "${1:-}" != "--run" ]; then pkgs+=("${test_pkgs[@]}"); fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js (the test runner) only if no node is on the PATH at all; npm (for
# `npm ci`) also when a node came without it
if [ "${1:-}" != "--run" ]; then
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" != "--run" ]; then
  # npm packages for the tests, exactly as locked; only when the lock changed
  stamp=node_modules/.hearth-lock
  if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json "$stamp"
  fi
fi
