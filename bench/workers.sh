#!/usr/bin/env bash
# Workers on PostgreSQL at the size issue 21 names: a world of 1M members and 10k providers,
# 20M history lines, 100 envois of 50k lines (5M lines), judged by 1 and then by 2 workers
# (`mutua receive`, then `mutua worker --until-empty`), and by one process on SQLite (`mutua
# adjudicate`) on the same data; each run on a fresh copy of the same base database, the three
# interleaved ROUNDS times (default 1; 0 builds the world only). Reports lines/s, the workers' CPU, the rest of the
# machine's CPU (the server's, on this machine) and its idle time, peak RSS, the statements the
# server spent its time on (pg_stat_statements), and checks that every run gave the same answers.
# A throw-away PostgreSQL 15 (scripts/pg.sh). Writes build/workers-report.md.
# Needs about 20 GB under MUTUA_WORKERS_DIR (default /tmp/mutua-workers-bench); WORKER_ENVOIS
# (default 100) and WORKER_LINES (default 50000) change the stream (WORKER_MEMBERS and WORKER_HISTORY
# the world, to try the script on a small one); WORKER_REUSE=1 keeps the world
# and base databases of an earlier run with the same stream (only the runs are done again).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/build.sh >/dev/null
dir=${MUTUA_WORKERS_DIR:-/tmp/mutua-workers-bench}
envois=${WORKER_ENVOIS:-100}
per=${WORKER_LINES:-50000}
rounds=${ROUNDS:-1}
members=${WORKER_MEMBERS:-1000000}  # smaller worlds only to try the script
history=${WORKER_HISTORY:-20000000}
report=build/workers-report.md
export MUTUA_PG_OPTIONS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.max=1000"
bash scripts/pg.sh stop "$dir/pg" 2>/dev/null || true
stamp="$members members, $history history lines, $envois x $per"
reuse=0
if [ "${WORKER_REUSE:-0}" = 1 ] && [ "$(cat "$dir/ready" 2>/dev/null)" = "$stamp" ]; then reuse=1; fi
if [ "$reuse" = 0 ]; then
  rm -rf "$dir"
  mkdir -p "$dir"
fi
mkdir -p "$dir/bin"
cp build/mutua build/bench/load_history "$dir/bin/"
bin=$dir/bin
url=$(bash scripts/pg.sh start "$dir/pg")
trap 'bash "$root/scripts/pg.sh" stop "$dir/pg" >/dev/null 2>&1 || true' EXIT
server=${url%/*}
timed() { /usr/bin/time -f 'wall %e s, user %U s, sys %S s, peak RSS %M KiB' "$@"; }
sql() { psql -q -v ON_ERROR_STOP=1 "$1" -c "$2"; }
step() { echo "== $*" >&2; }
# The machine's busy and idle CPU seconds so far (all cores), from /proc/stat.
machine_cpu() { awk '/^cpu / {t = $2 + $3 + $4 + $7 + $8 + $9; printf "%.2f %.2f\n", t / 100, ($5 + $6) / 100}' /proc/stat; }
{
  echo "# bench/workers.sh report ($(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD), $(nproc) cores, PostgreSQL 15 on the same machine)"
  echo
  if [ "$reuse" = 1 ]; then
    echo "World and base databases of an earlier run ($stamp), reused."
  else
    step "world: $envois envois of $per lines"
    echo "## world: mutua gen ($members members, 10k providers, $envois envois of $per lines)"
    timed $bin/mutua gen --seed 7 --members "$members" --providers 10000 --lines $((envois * per)) --envoi-lines "$per" \
      --senders "$envois" --test-files 0 --error-rate 0 --out "$dir/world" 2>&1 | tail -n 2
    echo
    step "reference data and $history history lines into PostgreSQL"
    echo "## reference data and $history history lines: PostgreSQL (COPY), then SQLite"
    timed $bin/mutua refdata import "$dir/world/refdata" --db "$url" 2>&1 | tail -n 2
    timed $bin/load_history "$url" "$dir/world/refdata" "$history" 2>&1 | tail -n 2
    sql "$url" "VACUUM ANALYZE"
    sql "$url" "CREATE EXTENSION pg_stat_statements"
    sql "$server/postgres" "CREATE DATABASE base TEMPLATE mutua"
    step "the same into SQLite"
    timed $bin/mutua refdata import "$dir/world/refdata" --db "$dir/base.db" 2>&1 | tail -n 2
    timed $bin/load_history "$dir/base.db" "$dir/world/refdata" "$history" 2>&1 | tail -n 2
    echo "$stamp" > "$dir/ready"
  fi
  # A base of an earlier run brought to this build's schema first, not inside a timed run.
  $bin/mutua db migrate --db "$server/base" >&2
  psql -q "$server/base" -c "VACUUM ANALYZE" >&2
  if [ "$rounds" = 0 ]; then exit 0; fi  # the world and base databases only
  echo
  echo "| round | run | envois | lines | wall s | **lines/s** | CPU s of mutua | CPU s of the rest (server) | idle CPU s | peak RSS per process MiB | answers |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  lines=$((envois * per))
  for round in $(seq "$rounds"); do
    for run in sqlite 1 2; do
      rm -rf "$dir"/time-* "$dir/responses"  # every run writes its responses as files, as adjudicate does
      if [ "$run" = sqlite ]; then
        step "round $round: one process on SQLite"
        rm -rf "$dir"/run.db*
        cp "$dir/base.db" "$dir/run.db"
        sync
        read -r busy0 idle0 < <(machine_cpu)
        start=$(date +%s.%N)
        # No merge of the recent history inside the run (the workers have none): timed after it.
        /usr/bin/time -f '%e %U %S %M' -o "$dir/time-1" $bin/mutua adjudicate --today 2026-11-23 --merge-history-at 0 \
          --db "$dir/run.db" --out "$dir/responses" "$dir"/world/envois/*.efact > "$dir/adjudicate.log" 2>&1
        end=$(date +%s.%N)
        read -r busy1 idle1 < <(machine_cpu)
        sed -n 's/^[^ ]*: \([0-9A-Z]*\) (envoi.*reception \([0-9]*\)).*/\2|\1/p' "$dir/adjudicate.log" > "$dir/answers-sqlite"
        answers=$(cut -d'|' -f2 "$dir/answers-sqlite" | sort | uniq -c | awk '{printf("%s%s × %s", NR > 1 ? " " : "", $2, $1)}')
        label="SQLite, one process"
      else
        step "round $round: $run worker(s) on PostgreSQL"
        sql "$server/postgres" "DROP DATABASE IF EXISTS run" >/dev/null
        sql "$server/postgres" "CREATE DATABASE run TEMPLATE base" >/dev/null
        db="$server/run"
        $bin/mutua receive --today 2026-11-23 --db "$db" "$dir"/world/envois/*.efact > "$dir/receive-$run.log"
        psql -q "$db" -c "SELECT pg_stat_statements_reset()" >/dev/null
        read -r busy0 idle0 < <(machine_cpu)
        start=$(date +%s.%N)
        pids=()
        for i in $(seq "$run"); do
          /usr/bin/time -f '%e %U %S %M' -o "$dir/time-$i" \
            $bin/mutua worker --until-empty --timings --name "w$i" --db "$db" --out "$dir/responses" \
            > "$dir/worker-$run-$i.log" 2>&1 &
          pids+=($!)
        done
        for p in "${pids[@]}"; do wait "$p"; done
        end=$(date +%s.%N)
        read -r busy1 idle1 < <(machine_cpu)
        psql -At "$db" -c "SELECT id || '|' || message FROM queue ORDER BY id" > "$dir/answers-$run"
        answers=$(psql -At "$db" -c "SELECT message || ' × ' || COUNT(*) FROM queue GROUP BY message ORDER BY message" | xargs)
        # The statements by the server's time, the 16 history partitions' reads as one.
        psql -At -F $'\t' "$db" -c "SELECT calls, total_exec_time, regexp_replace(query, '\s+', ' ', 'g')
            FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'run')" | python3 -c '
import re, sys
total = {}
for line in sys.stdin:
    calls, ms, query = line.rstrip("\n").split("\t", 2)
    query = re.sub(r"history_p[0-9]+", "history_pNN", query)
    query = re.sub(r"^SELECT (.{30}).*? FROM ", r"SELECT \1... FROM ", query)
    c, t = total.get(query, (0, 0.0))
    total[query] = (c + int(calls), t + float(ms))
for query, (c, t) in sorted(total.items(), key=lambda kv: -kv[1][1])[:8]:
    print(f"{c} | {t / 1000:.1f} | {t / c:.1f} | {query[:140]}")' > "$dir/statements-$run"
        label="PostgreSQL, $run worker(s)"
      fi
      cpu=$(cat "$dir"/time-* | awk '{s += $2 + $3} END {printf "%.1f", s}')
      rss=$(cat "$dir"/time-* | awk '{if ($4 > m) m = $4} END {printf "%.0f", m / 1024}')
      awk -v round="$round" -v label="$label" -v n="$envois" -v l="$lines" -v s="$start" -v e="$end" -v c="$cpu" \
        -v r="$rss" -v a="$answers" -v b0="$busy0" -v b1="$busy1" -v i0="$idle0" -v i1="$idle1" \
        'BEGIN {t = e - s; f = "| %d | %s | %d | %d | %.1f | **%.0f** | %s | %.1f | %.1f | %s | %s |\n";
                printf f, round, label, n, l, t, l / t, c, b1 - b0 - c, i1 - i0, r, a}'
    done
  done
  rm -rf "$dir/responses"
  echo
  for run in 1 2; do
    if cmp -s "$dir/answers-sqlite" "$dir/answers-$run"; then
      echo "- $run worker(s) on PostgreSQL: the same answer for every envoi as one process on SQLite."
    else
      echo "- **$run worker(s) on PostgreSQL: answers differ from one process on SQLite** (see $dir/answers-*)."
    fi
  done
  echo
  step "the SQLite run's recent history merged (db compact)"
  echo "The SQLite run's accepted lines merged into its large history afterwards (\`mutua db compact\`, not in the figures above):"
  timed $bin/mutua db compact --db "$dir/run.db" 2>&1 | tail -n 1
  echo
  for run in 1 2; do
    echo "### where the server's time went, $run worker(s) (last round, pg_stat_statements)"
    echo
    echo "| calls | total s | mean ms | statement |"
    echo "|---:|---:|---:|---|"
    sed 's/^/| /; s/$/ |/' "$dir/statements-$run"
    echo
    echo "Worker steps (seconds summed over the envois, \`mutua worker --timings\`):"
    echo
    cat "$dir"/worker-$run-*.log | python3 -c '
import sys
total = {}
for line in sys.stdin:
    if "timings (s):" not in line:
        continue
    name = []
    for token in line.split("timings (s):", 1)[1].split():
        try:
            value = float(token)
        except ValueError:
            name.append(token)
            continue
        key = " ".join(name)
        total[key] = total.get(key, 0.0) + value
        name = []
print(", ".join(f"{k} {v:.1f}" for k, v in total.items()))'
    echo
  done
} | tee "$report"
