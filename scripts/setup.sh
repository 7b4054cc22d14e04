#!/usr/bin/env bash
# Installs every Debian package mutua needs to build, test, fuzz and benchmark.
# Safe to run again; needs root (or sudo) on Debian 12.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PACKAGES=(
  build-essential cmake ninja-build pkg-config
  clang-14 libclang-rt-14-dev
  libexpected-dev libfmt-dev libspdlog-dev nlohmann-json3-dev libcli11-dev
  libsqlite3-dev libzstd-dev
  postgresql-15 libpqxx-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libxml2-utils wrk
  libcairo2-dev libxlsxwriter-dev fonts-dejavu-core poppler-utils
  libcpp-httplib-dev libargon2-dev liboath-dev libcurl4-openssl-dev libkainjow-mustache-dev libqrencode-dev
  libjemalloc-dev
  chromium
  sqlite3 python3 python3-hypothesis python3-jsonschema python3-aiosmtpd python3-febelfin-coda
)
missing=()
# The machine's Node.js brings npm (the portal's browser tests, the OpenAPI linter); Debian's
# own npm only where there is none.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
