#!/usr/bin/env bash
# mutua side by side with the SQL peer (../shared/bench/sql-peer) on the peer's own data set:
#  1. the peer's generator (1M members, 300 codes, 50k stays, 5M history lines, an envoi of 100k
#     lines and one of 1M, cut here in ten envois of 100k);
#  2. the same data as mutua's inputs (bench/peer/peer_convert: reference CSV files, billing
#     files, history into the store) and as the peer's base database (bench/peer/peer_sqlite.py);
#  3. ROUNDS rounds (default 2), interleaved: the peer then mutua on the 100k envoi, the peer then
#     mutua on the ten envois, each on a fresh copy of its base (copies not timed). Both write the
#     accepted lines to history envoi after envoi; mutua also writes and records its responses;
#  4. bench/peer/check.py: the decisions compared line by line (round 1);
#  5. a report: build/peer-report.md (bench/peer/report.py).
# Needs about 4 GB under MUTUA_PEER_DIR (default /tmp/mutua-peer-bench); about 6 minutes.
# PEER_PAGE_SIZE: the page size of mutua's store (`mutua db init --page-size`; default 4096).
# PEER_PAGE_SIZE=16384 is what a fund that mostly judges batches would choose (README, db init).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
peer=${MUTUA_SQL_PEER:-$root/../shared/bench/sql-peer}
dir=${MUTUA_PEER_DIR:-/tmp/mutua-peer-bench}
rounds=${ROUNDS:-2}
bash scripts/build.sh >/dev/null
mkdir -p "$dir/bin" "$dir/runs"
cp build/mutua build/bench/peer_convert "$dir/bin/"  # copies: a rebuild during the run changes nothing
bin=$dir/bin
timed() { /usr/bin/time -f 'time: wall %e s, user %U s, sys %S s, peak RSS %M KiB' "$@"; }
step() { echo "== $*" >&2; }

if [ ! -f "$dir/data/manifest.json" ]; then
  step "the peer's data set (gen.py)"
  python3 "$peer/gen.py" "$dir/data" >/dev/null
fi
step "mutua's inputs from it (peer_convert), the store (refdata import, 5M history lines)"
rm -rf "$dir/conv" "$dir/base.db"*
{
  timed $bin/peer_convert world "$dir/data" "$dir/conv"
  $bin/mutua db init --page-size "${PEER_PAGE_SIZE:-4096}" --db "$dir/base.db"
  timed $bin/mutua refdata import "$dir/conv/refdata" --db "$dir/base.db" | tail -n 1
  timed $bin/peer_convert history "$dir/data" "$dir/base.db" 2>&1 | tr '\r' '\n' | tail -n 2
} > "$dir/runs/setup-mutua.txt" 2>&1
step "the peer's base database (peer_sqlite.py prepare)"
timed python3 bench/peer/peer_sqlite.py prepare "$dir/data" "$dir/peer" > "$dir/runs/setup-peer.txt" 2>&1

ten_tsv=$(ls "$dir"/peer/envoi_1m_*.tsv)
ten_efact=$(ls "$dir"/conv/envois/envoi_1m_*.efact)
for r in $(seq 1 "$rounds"); do
  for set in 100k ten; do
    if [ "$set" = 100k ]; then tsv="$dir/data/envoi_100k.tsv"; efact="$dir/conv/envois/envoi_100k.efact"
    else tsv=$ten_tsv; efact=$ten_efact; fi
    step "round $r, $set: the peer"
    rm -rf "$dir/runs/peer-$set-$r"
    cp "$dir/peer/peer-base.db" "$dir/p.db"
    # shellcheck disable=SC2086
    timed python3 bench/peer/peer_sqlite.py run "$dir/p.db" "$dir/runs/peer-$set-$r" $tsv > "$dir/runs/peer-$set-$r.txt" 2>&1
    step "round $r, $set: mutua"
    rm -rf "$dir/runs/mutua-$set-$r" "$dir/m.db"*
    cp "$dir/base.db" "$dir/m.db"
    # shellcheck disable=SC2086
    timed $bin/mutua adjudicate --db "$dir/m.db" --today 2026-01-15 --threshold 100 --timings \
      --out "$dir/runs/mutua-$set-$r" $efact > "$dir/runs/mutua-$set-$r.txt" 2>&1 || true
  done
done
rm -f "$dir/p.db" "$dir/m.db"*

step "decisions compared line by line (check.py)"
python3 bench/peer/check.py "$dir/data" "$dir/data/envoi_100k.tsv" "$dir/runs/peer-100k-1/envoi_100k.result.tsv" \
  "$(ls "$dir"/runs/mutua-100k-1/envoi_100k.9209*.json | head -n 1)" > "$dir/runs/check-100k.json" || true
args=()
for k in $(seq -w 1 10); do
  args+=("$dir/peer/envoi_1m_$k.tsv" "$dir/runs/peer-ten-1/envoi_1m_$k.result.tsv"
         "$(ls "$dir"/runs/mutua-ten-1/envoi_1m_$k.9209*.json | head -n 1)")
done
python3 bench/peer/check.py "$dir/data" "${args[@]}" > "$dir/runs/check-ten.json" || true
python3 bench/peer/report.py "$dir" "$rounds" | tee build/peer-report.md
