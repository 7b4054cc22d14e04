#!/usr/bin/env bash
# Whole-run measurements of the adjudication engine for docs/performance.md, at the issue's
# sizes: a world of 1M members and 10k providers, 20M history lines, ten envois of 100k lines.
#  1. mutua gen (10 senders, envois filled to 100k lines, no test files, no injected errors: the
#     envois are accepted, so their 1M lines are written to history as in production);
#  2. mutua refdata import into an SQLite store; load_history puts 20M lines in it (and makes
#     the large history's filter, as a compact would: migration 31);
#  3. Google Benchmark of the engine core (rules only, data in memory, one core), with the
#     preparation steps and the cost of each rule family;
#  4. mutua adjudicate on the ten envois, on a copy of the store: wall time and peak RSS;
#  5. mutua db compact: the recent history those envois wrote merged into the large one.
# Writes a report to build/engine-report.md. Needs about 6 GB of disk under MUTUA_BENCH_DIR.
# ENGINE_PAGE_SIZE: the page size of the store (`mutua db init --page-size`; default 4096).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
dir=${MUTUA_BENCH_DIR:-/tmp/mutua-engine-bench}
report=build/engine-report.md
timed() { /usr/bin/time -f 'wall %e s, peak RSS %M KiB' "$@"; }
rm -rf "$dir"
mkdir -p "$dir/bin"
# The binaries measured are copies: a rebuild during the run does not change them.
cp build/mutua build/bench/engine_bench build/bench/load_history "$dir/bin/"
bin=$dir/bin
{
  echo "# bench/engine.sh report ($(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
  echo
  echo "## world: mutua gen (1M members, 10k providers, ten envois of 100k lines)"
  timed $bin/mutua gen --seed 7 --members 1000000 --providers 10000 --lines 1000000 --envoi-lines 100000 \
    --senders 10 --test-files 0 --error-rate 0 --out "$dir/world" 2>&1 | tail -n 2
  echo
  echo "## mutua refdata import (pages of ${ENGINE_PAGE_SIZE:-4096} bytes)"
  $bin/mutua db init --page-size "${ENGINE_PAGE_SIZE:-4096}" --db "$dir/base.db" >/dev/null
  timed $bin/mutua refdata import "$dir/world/refdata" --db "$dir/base.db" 2>&1 | tail -n 2
  echo
  echo "## 20M history lines into the store (load_history)"
  timed $bin/load_history "$dir/base.db" "$dir/world/refdata" 20000000 2>&1 | tail -n 2
  ls -l "$dir/base.db" | awk '{printf "store file: %.2f GB\n", $5 / 1e9}'
  echo
  echo "## engine core (Google Benchmark, one core)"
  echo '```'
  MUTUA_BENCH_DIR="$dir/world" MUTUA_BENCH_DB="$dir/base.db" taskset -c 0 $bin/engine_bench \
    --benchmark_min_time=5 2>&1 | grep -E 'BM_|Run on|CPU|^\||^###|^$' | sed -n '1,200p'
  echo '```'
  echo
  echo "## mutua adjudicate: the ten envois, whole run (persistence and responses included)"
  cp "$dir/base.db" "$dir/work.db"
  timed $bin/mutua adjudicate --db "$dir/work.db" --today 2026-11-23 --out "$dir/responses" "$dir"/world/envois/*.efact \
    2>&1 | tail -n 12
  echo
  echo "responses: $(ls "$dir/responses" | grep -c 'efact$') files; messages: $(ls "$dir/responses" | grep -o '9209[0-9][0-9]' | sort | uniq -c | xargs)"
  echo
  echo "## mutua db compact: the ten envois' accepted lines merged from recent history into the 20M-line history"
  echo "(what a fund runs while no envoi is judged; adjudicate does it on its own past --merge-history-at lines)"
  timed $bin/mutua db compact --db "$dir/work.db" 2>&1 | tail -n 2
} | tee "$report"
