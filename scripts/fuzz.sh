#!/usr/bin/env bash
# Builds the fuzzers with clang 14 (libFuzzer + ASan + UBSan) and runs each for the given time:
#   reader_fuzz   any bytes through the reader and every file check;
#   engine_fuzz   any bytes through the whole adjudication, against a small generated world
#                 (made here with build/mutua gen: half its envois become the store's history,
#                 the other half the seeds of the corpus);
#   refdata_fuzz  any bytes as one reference file of that world (first byte: which file), through
#                 import, the store and the engine judging one of its envois.
#   scripts/fuzz.sh [seconds per fuzzer]   (default 60)
# A crash is kept: copy the crash-* file into tests/regressions/ under a name that says what
# it is; the test suite reads every file there.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMUTUA_BUILD_TESTS=OFF -DMUTUA_BUILD_BENCH=OFF -DMUTUA_BUILD_FUZZ=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" >/dev/null
cmake --build build-fuzz --target reader_fuzz engine_fuzz refdata_fuzz -j"$(nproc)" | tail -n 1
[ -x build/mutua ] || bash scripts/build.sh

# The engine's world: 300 members, 30 providers, envois of at most 12 lines (a few KB each).
world=build-fuzz/world
rm -rf "$world"
build/mutua gen --seed 11 --members 300 --providers 30 --lines 720 --envoi-lines 12 --out "$world" >/dev/null
# Only the nomenclature codes the world uses (its envois and its other files): the engine builds
# its index of the nomenclature for each envoi, and 27k codes for a 12-line envoi would make
# the fuzzer judge a few inputs a second instead of a few dozen.
nomenclature=$world/refdata/nomenclature.csv
tail -n +2 "$nomenclature" | cut -d, -f1 | sort -u > "$world/all-codes"
find "$world/envois" "$world/refdata" -type f ! -name nomenclature.csv -exec cat {} + |
  grep -o -F -f "$world/all-codes" | sort -u > "$world/used-codes"
awk -F, 'NR == FNR { used[$1]; next } FNR == 1 || ($1 in used)' "$world/used-codes" "$nomenclature" > "$world/n.csv"
mv "$world/n.csv" "$nomenclature"
mkdir -p "$world/seeds"
i=0
for f in "$world"/envois/*.efact; do
  if [ $((i % 2)) -eq 1 ]; then mv "$f" "$world/seeds/"; fi
  i=$((i + 1))
done

# The reference fuzzer's seeds: each file of the world, behind the byte that names it.
mkdir -p "$world/refdata-seeds"
i=0
for name in members insurability providers provider_destinations nomenclature cumulations prerequisites \
  hospitalisations care_pathways medical_houses agreements palliative commitments detentions ct_codes \
  tariff_commitments parameters; do  # the order of model::refdata_files()
  if [ -f "$world/refdata/$name.csv" ]; then
    { printf "\\$(printf '%03o' "$i")"; head -n 150 "$world/refdata/$name.csv"; } > "$world/refdata-seeds/$name"
  fi
  i=$((i + 1))
done

# parameters.csv: a seed with every parameter (gen writes none), and a dictionary of their names
# and of numbers at the edges of their bounds.
{
  printf "\\$(printf '%03o' 16)"
  echo "name,value"
  awk -F'\t' '!/^#/ && $1 != "name" && $2 != "" { print $1 "," $2 }' data/rules/parameters.tsv
} > "$world/refdata-seeds/parameters-all"
{
  awk -F'\t' '!/^#/ && $1 != "name" { print "\"" $1 "\"" }' data/rules/parameters.tsv
  printf '"%s"\n' 0 -1 10000 10001 99999999999999999999 1e309 nan ";" ","
} > "$world/refdata.dict"

status=0
run() {  # run NAME MAX_LEN CORPUS_DIRS...   (FUZZ_DICT: a libFuzzer dictionary)
  local name=$1 max_len=$2
  shift 2
  rm -rf "build-fuzz/corpus-$name" "build-fuzz/artifacts-$name"
  mkdir -p "build-fuzz/corpus-$name" "build-fuzz/artifacts-$name"
  for d in "$@"; do find "$d" -type f ! -name '*.md' -exec cp {} "build-fuzz/corpus-$name/" \;; done
  echo "fuzz: running $name for ${seconds}s"
  local s=0
  MUTUA_FUZZ_WORLD="$world" "build-fuzz/fuzz/$name" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
    ${FUZZ_DICT:+-dict="$FUZZ_DICT"} \
    -rss_limit_mb=2048 -artifact_prefix="build-fuzz/artifacts-$name/" -print_final_stats=1 \
    "build-fuzz/corpus-$name" > "build-fuzz/$name.log" 2>&1 || s=$?
  tail -n 8 "build-fuzz/$name.log"
  if [ "$s" -ne 0 ]; then
    echo "fuzz: $name FAILED (exit $s); crash input in build-fuzz/artifacts-$name/:"
    ls "build-fuzz/artifacts-$name/"
    grep -m1 -E "ERROR|what\(\)|engine_fuzz:" "build-fuzz/$name.log" || true
    status=1
  else
    echo "fuzz: $name, no crash in ${seconds}s"
  fi
}
run reader_fuzz 20000 fuzz/corpus tests/regressions
run engine_fuzz 16000 "$world/seeds" tests/regressions
FUZZ_DICT="$world/refdata.dict" run refdata_fuzz 16000 "$world/refdata-seeds"
exit "$status"
