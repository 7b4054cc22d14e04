#!/usr/bin/env bash
# The test command: builds mutua, runs the whole test suite (ctest), then the three fuzzers
# (reader, engine, refdata) for 60 seconds each (MUTUA_FUZZ_SECONDS to change, 0 to skip).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
seconds="${MUTUA_FUZZ_SECONDS:-60}"
if [ "$seconds" -gt 0 ]; then
  bash scripts/fuzz.sh "$seconds"
fi
