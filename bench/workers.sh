#!/usr/bin/env bash
# Workers on PostgreSQL at the size issue 21 names: a world of 1M members and 10k providers,
# 20M history lines, 100 envois of 50k lines (5M lines), judged by 1 and then by 2 workers
# (`mutua receive`, then `mutua worker --until-empty`), each run on a fresh copy of the same
# base database. Reports lines/s, CPU and peak RSS per worker, and checks that both runs gave
# the same answers. A throw-away PostgreSQL 15 (scripts/pg.sh). Writes build/workers-report.md.
# Needs about 15 GB under MUTUA_WORKERS_DIR (default /tmp/mutua-workers-bench); WORKER_ENVOIS
# (default 100) and WORKER_LINES (default 50000) change the stream.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/build.sh >/dev/null
dir=${MUTUA_WORKERS_DIR:-/tmp/mutua-workers-bench}
envois=${WORKER_ENVOIS:-100}
per=${WORKER_LINES:-50000}
report=build/workers-report.md
bash scripts/pg.sh stop "$dir/pg" 2>/dev/null || true
rm -rf "$dir"
mkdir -p "$dir/bin"
cp build/mutua build/bench/load_history "$dir/bin/"
bin=$dir/bin
url=$(bash scripts/pg.sh start "$dir/pg")
trap 'bash "$root/scripts/pg.sh" stop "$dir/pg" >/dev/null 2>&1 || true' EXIT
server=${url%/*}
timed() { /usr/bin/time -f 'wall %e s, user %U s, sys %S s, peak RSS %M KiB' "$@"; }
sql() { psql -q -v ON_ERROR_STOP=1 "$1" -c "$2"; }
step() { echo "== $*" >&2; }
{
  echo "# bench/workers.sh report ($(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD), $(nproc) cores, PostgreSQL 15 on the same machine)"
  echo
  step "world: $envois envois of $per lines"
  echo "## world: mutua gen (1M members, 10k providers, $envois envois of $per lines)"
  timed $bin/mutua gen --seed 7 --members 1000000 --providers 10000 --lines $((envois * per)) --envoi-lines "$per" \
    --senders "$envois" --test-files 0 --error-rate 0 --out "$dir/world" 2>&1 | tail -n 2
  echo
  step "reference data and 20M history lines into PostgreSQL"
  echo "## reference data (COPY) and 20M history lines (load_history, COPY)"
  timed $bin/mutua refdata import "$dir/world/refdata" --db "$url" 2>&1 | tail -n 2
  timed $bin/load_history "$url" "$dir/world/refdata" 20000000 2>&1 | tail -n 2
  sql "$url" "VACUUM ANALYZE"
  sql "$server/postgres" "CREATE DATABASE base TEMPLATE mutua"
  echo
  echo "| workers | envois | lines | wall s | **lines/s** | CPU s of the workers | peak RSS per worker MiB | answers |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---|"
  for workers in 1 2; do
    step "$workers worker(s)"
    sql "$server/postgres" "DROP DATABASE IF EXISTS run" >/dev/null
    sql "$server/postgres" "CREATE DATABASE run TEMPLATE base" >/dev/null
    run="$server/run"
    $bin/mutua receive --today 2026-11-23 --db "$run" "$dir"/world/envois/*.efact > "$dir/receive-$workers.log"
    start=$(date +%s.%N)
    pids=()
    for i in $(seq "$workers"); do
      /usr/bin/time -f '%e %U %S %M' -o "$dir/time-$workers-$i" \
        $bin/mutua worker --until-empty --name "w$i" --db "$run" > "$dir/worker-$workers-$i.log" 2>&1 &
      pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    end=$(date +%s.%N)
    cpu=$(cat "$dir"/time-"$workers"-* | awk '{s += $2 + $3} END {printf "%.1f", s}')
    rss=$(cat "$dir"/time-"$workers"-* | awk '{if ($4 > m) m = $4} END {printf "%.0f", m / 1024}')
    answers=$(psql -At "$run" -c "SELECT message || ' ' || COUNT(*) FROM queue GROUP BY message ORDER BY message" | xargs)
    psql -At "$run" -c "SELECT id, message FROM queue ORDER BY id" > "$dir/answers-$workers"
    lines=$((envois * per))
    awk -v w="$workers" -v n="$envois" -v l="$lines" -v s="$start" -v e="$end" -v c="$cpu" -v r="$rss" -v a="$answers" \
      'BEGIN {t = e - s; printf "| %d | %d | %d | %.1f | **%.0f** | %s | %s | %s |\n", w, n, l, t, l / t, c, r, a}'
    $bin/mutua queue --db "$run" | tail -n 1 >&2
  done
  echo
  if cmp -s "$dir/answers-1" "$dir/answers-2"; then
    echo "The same answer for every envoi with 1 and with 2 workers."
  else
    echo "**The answers differ between 1 and 2 workers** (see $dir/answers-*)."
  fi
} | tee "$report"
