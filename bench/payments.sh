#!/usr/bin/env bash
# Whole-run measurements of settlement for docs/performance.md, at the issue's sizes: a payment
# run over 100k accepted envois declaring 20M lines (200 each), in the store of bench/engine.sh
# (1M members, 10k providers, 20M history lines), letters excluded; then the ledger check, and
# mass insurability on a CSV of 100k NISS + date. Reuses $MUTUA_BENCH_DIR/base.db when
# bench/engine.sh left it there, else builds that world first (about 5 minutes).
# Writes a report to build/payments-report.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
dir=${MUTUA_BENCH_DIR:-/tmp/mutua-engine-bench}
report=build/payments-report.md
timed() { /usr/bin/time -f 'wall %e s, peak RSS %M KiB' "$@"; }
mkdir -p "$dir/bin"
cp build/mutua build/bench/load_envois build/bench/load_history "$dir/bin/"
bin=$dir/bin
{
  echo "# bench/payments.sh report ($(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
  echo
  if [ ! -f "$dir/base.db" ]; then
    echo "## world (as bench/engine.sh): 1M members, 10k providers, 20M history lines"
    timed $bin/mutua gen --seed 7 --members 1000000 --providers 10000 --lines 1000 --test-files 0 --error-rate 0 \
      --out "$dir/world" 2>&1 | tail -n 1
    timed $bin/mutua refdata import "$dir/world/refdata" --db "$dir/base.db" 2>&1 | tail -n 1
    timed $bin/load_history "$dir/base.db" "$dir/world/refdata" 20000000 2>&1 | tail -n 1
    echo
  fi
  rm -f "$dir/pay.db" "$dir/pay.db-wal" "$dir/pay.db-shm"
  cp "$dir/base.db" "$dir/pay.db"
  sync  # the copy's 2 GB of dirty pages would otherwise be written back during the timings
  echo "## 100k accepted envois of 200 lines (20M lines), received 2026-11-01 to 2026-11-14"
  timed $bin/load_envois "$dir/pay.db" 100000 200 2026-11-01 2>&1 | tail -n 2
  echo
  echo "## mutua settle: one run paying all of them (letters excluded)"
  rm -rf "$dir/pay"
  timed $bin/mutua settle --db "$dir/pay.db" --config data/sample/mutua-payments.json --date 2026-11-20 \
    --budget 99999999999.00 --out "$dir/pay" --limit 3 2>&1 | sed -n '1,4p;/^wall/p;/exited with/p' || true
  ls -l "$dir/pay"/*.xml | awk '{printf "payment file: %.1f MB\n", $5 / 1e6}'
  echo
  echo "## mutua ledger check (every figure recomputed, history sums included)"
  timed $bin/mutua ledger check --db "$dir/pay.db" 2>&1 | tail -n 4 || true
  echo
  if [ ! -f "$dir/mass.csv" ]; then
    python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print('niss,date'); [print(f'{n},2026-10-05') for (n,) in c.execute('SELECT niss FROM ref_members LIMIT 100000')]" \
      "$dir/base.db" > "$dir/mass.csv"
  fi
  if [ -f "$dir/mass.csv" ]; then
    echo "## mass insurability: $(($(wc -l < "$dir/mass.csv") - 1)) rows"
    cp "$dir/pay.db" "$dir/ins.db"
    sync
    timed $bin/mutua insurability --db "$dir/ins.db" --csv "$dir/mass.csv" --out "$dir/mass-out.csv" --today 2026-11-23 2>&1 | tail -n 2
  fi
} | tee "$report"
