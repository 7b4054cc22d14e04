#!/usr/bin/env bash
# Whole-run measurements for docs/performance.md:
#  1. mutua gen of 1M lines (envois of 100k lines): wall time and peak RSS;
#  2. Google Benchmark: parse only, parse + validation, write (one core);
#  3. mutua validate on a 2 GB file: peak RSS (streaming).
# Writes a report to build/bench-report.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
dir=${MUTUA_BENCH_DIR:-/tmp/mutua-bench}
report=build/bench-report.md
rm -rf "$dir"
{
  echo "# bench/run.sh report ($(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
  echo
  echo "## mutua gen: 1M lines, 100k-line envois"
  /usr/bin/time -f 'wall %e s, peak RSS %M KiB' build/mutua gen --seed 7 --members 100000 --providers 10 \
    --lines 1000000 --envoi-lines 100000 --error-rate 0.03 --out "$dir" 2>&1 | tail -n 2
  echo
  echo "## 2000 providers (the issue's command)"
  /usr/bin/time -f 'wall %e s, peak RSS %M KiB' build/mutua gen --seed 7 --members 100000 --providers 2000 \
    --lines 1000000 --error-rate 0.03 --out "$dir-2000" 2>&1 | tail -n 2
  rm -rf "$dir-2000"
  echo
  echo "## codec (Google Benchmark, one core)"
  echo '```'
  MUTUA_BENCH_DIR="$dir" taskset -c 0 build/bench/codec_bench --benchmark_min_time=3 2>&1 | grep -E 'BM_|Run on|CPU'
  echo '```'
  echo
  echo "## memory bandwidth reference (dd from page cache to /dev/null)"
  cat "$dir"/envois/*.efact > "$dir/all.bin"
  dd if="$dir/all.bin" of=/dev/null bs=4M 2>&1 | tail -n 1
  echo
  echo "## mutua validate, 1M lines: wall and peak RSS"
  /usr/bin/time -f 'wall %e s, peak RSS %M KiB' build/mutua validate --today 2026-11-23 --list 3 "$dir"/envois/*.efact 2>&1 >/dev/null | tail -n 1 || true
  echo
  echo "## mutua validate on a 2 GB file: peak RSS"
  python3 - "$dir/big.efact" <<'PY'
import sys, glob
src = sorted(glob.glob(sys.argv[1].rsplit('/',1)[0] + '/envois/*.efact'))[0]
data = open(src, 'rb').read()
header, body = data[:227], data[227:]
records = [body[i:i+350] for i in range(0, len(body), 350)]
middle = b''.join(r for r in records if r[:2] not in (b'10', b'90', b'95', b'96'))
with open(sys.argv[1], 'wb') as out:
    out.write(header + records[0])
    size = 227 + 350
    while size < 2 * 1024**3:
        out.write(middle); size += len(middle)
    out.write(b''.join(r for r in records if r[:2] in (b'90', b'95', b'96')))
PY
  ls -l "$dir/big.efact" | awk '{print "size", $5, "bytes"}'
  /usr/bin/time -f 'wall %e s, peak RSS %M KiB' build/mutua validate --today 2026-11-23 --list 3 "$dir/big.efact" 2>&1 >/dev/null | tail -n 1 || true
  rm -f "$dir/big.efact" "$dir/all.bin"
} | tee "$report"
