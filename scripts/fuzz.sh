#!/usr/bin/env bash
# Builds the reader fuzzer with clang 14 (libFuzzer + ASan + UBSan) and runs it.
#   scripts/fuzz.sh [seconds]   (default 60)
# A crash is kept: copy the crash-* file into tests/regressions/ under a name that says what
# it is; the test suite reads every file there.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMUTUA_BUILD_TESTS=OFF -DMUTUA_BUILD_BENCH=OFF -DMUTUA_BUILD_FUZZ=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" >/dev/null
cmake --build build-fuzz --target reader_fuzz -j"$(nproc)" | tail -n 1
rm -rf build-fuzz/corpus build-fuzz/artifacts
mkdir -p build-fuzz/corpus build-fuzz/artifacts
cp fuzz/corpus/* build-fuzz/corpus/
find tests/regressions -type f ! -name '*.md' -exec cp {} build-fuzz/corpus/ \;
echo "fuzz: running reader_fuzz for ${seconds}s"
status=0
build-fuzz/fuzz/reader_fuzz -max_total_time="$seconds" -max_len=20000 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix=build-fuzz/artifacts/ -print_final_stats=1 build-fuzz/corpus > build-fuzz/fuzz.log 2>&1 || status=$?
tail -n 8 build-fuzz/fuzz.log
if [ "$status" -ne 0 ]; then
  echo "fuzz: FAILED (exit $status); crash input in build-fuzz/artifacts/:"
  ls build-fuzz/artifacts/
  grep -m1 -E "ERROR|what\(\)" build-fuzz/fuzz.log || true
  exit 1
fi
echo "fuzz: no crash in ${seconds}s"
