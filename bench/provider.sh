#!/usr/bin/env bash
# The provider's side at a large grouping's size (issue 23): 200k attestations of one month
# imported into the book, batched per union with the fund's engine as pre-flight, and posted to
# a local `mutua exchange`. Times each step and writes build/provider-report.md.
# PROVIDER_ATTESTATIONS (default 200000), MUTUA_PROVIDER_DIR (default /tmp/mutua-provider-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
dir=${MUTUA_PROVIDER_DIR:-/tmp/mutua-provider-bench}
n=${PROVIDER_ATTESTATIONS:-200000}
report=build/provider-report.md
rm -rf "$dir"
mkdir -p "$dir"
step() { echo "== $*" >&2; }
# Seconds and peak RSS of a command; what it says on stderr is kept in $dir/last.err.
timed() { { /usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null || true; } | tee "$dir/last.err" | tail -n 1; }

step "world: 250k members, a nursing grouping"
build/mutua gen --seed 21 --members 250000 --providers 200 --lines 1000 --envoi-lines 1000 --senders 1 --error-rate 0 \
  --test-files 0 --out "$dir/g" >/dev/null
step "$n attestations of October 2026 (one nursing visit each, at the right fee)"
/usr/bin/python3 - "$dir/g/refdata" "$n" "$dir/attestations.csv" "$dir/provider.txt" <<'PY'
import csv, sys
ref, n, out, who = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = lambda f: list(csv.DictReader(open(f"{ref}/{f}", encoding="utf-8")))
providers = rows("providers.csv")
grouping = next(p for p in providers if p["kind"] == "grouping" and any(q["grouping"] == p["inami"] and q["kind"] == "nurse" for q in providers))
nurses = [q["inami"] for q in providers if q["grouping"] == grouping["inami"] and q["kind"] == "nurse"]
dest = {d["union"]: d["destination"] for d in rows("provider_destinations.csv") if d["inami"] == grouping["inami"] and d["puc"] == "1"}
fee = next(r["fee_cents"] for r in rows("nomenclature.csv") if r["code"] == "425014")
ct = {r["niss"]: (r["ct1"], r["ct2"]) for r in rows("insurability.csv") if not r["end"]}
members = [m for m in rows("members.csv") if m["niss"] in ct and m["mutuality"][0] + "00" in dest]
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["attestation", "niss", "affiliation", "destination", "ct1", "ct2", "sex", "date", "code", "amount_cents", "units", "performer"])
    for i in range(n):
        m = members[i % len(members)]
        day = 1 + (i // len(members)) % 28
        w.writerow([f"A{i:07d}", m["niss"], m["mutuality"], dest[m["mutuality"][0] + "00"], *ct[m["niss"]], m["sex"],
                    f"2026-10-{day:02d}", "425014", fee, 1, nurses[i % len(nurses)]])
open(who, "w").write(" ".join([grouping["inami"], grouping["iban_a"], grouping["bic_a"], grouping["bce"]]) + "\n")
PY
read -r inami iban bic bce < "$dir/provider.txt"
build/mutua exchange party add --db "$dir/ex.db" --id "$inami" > "$dir/token"
for u in 100 200 300 400 500 600 900; do build/mutua exchange party add --db "$dir/ex.db" --id $u --fund >/dev/null; done
build/mutua exchange serve --db "$dir/ex.db" --listen 127.0.0.1:0 --poll-interval 0 > "$dir/exchange.log" 2>&1 &
ex_pid=$!
trap 'kill $ex_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "on http" "$dir/exchange.log" && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$dir/exchange.log" | head -n 1)
step "import"
import_t=$(timed build/mutua provider import --book "$dir/book.db" "$dir/attestations.csv")
step "batch with pre-flight"
batch_t=$(timed build/mutua provider batch --book "$dir/book.db" --provider "$inami" --iban "$iban" --bic "$bic" --bce "$bce" \
  --refdata "$dir/g/refdata" --today 2026-11-05 --timings)
head -n -1 "$dir/last.err" > "$dir/batch-timings.txt"
step "post"
send_t=$(MUTUA_EXCHANGE_TOKEN=$(cat "$dir/token") timed build/mutua provider send --book "$dir/book.db" --exchange "$url")
envois=$(build/mutua provider status --book "$dir/book.db" | tail -n +2 | wc -l)
held=$(build/mutua provider attestations --book "$dir/book.db" | grep -c "to correct" || true)
{
  echo "# bench/provider.sh report ($(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD), $(nproc) cores)"
  echo
  echo "$n attestations of one month (one nursing visit each) of a grouping, $envois envois (one per union), $held held"
  echo "back by pre-flight. Seconds and peak RSS of each command:"
  echo
  echo "| step | seconds | peak RSS MB |"
  echo "|---|---:|---:|"
  for row in "import:$import_t" "batch with pre-flight:$batch_t" "post to the exchange:$send_t"; do
    name=${row%%:*}; t=${row#*:}
    echo "| $name | ${t% *} | $(( ${t#* } / 1024 )) |"
  done
  total=$(echo "$batch_t $send_t" | awk '{print $1 + $3}')
  echo "| **batched, pre-flighted and posted** | **$total** | |"
  echo
  echo "Target: batched, pre-flighted and posted in <= 10 s (the import apart)."
  echo
  echo "Where the batch's time went (\`provider batch --timings\`):"
  echo
  echo '```'
  cat "$dir/batch-timings.txt"
  echo '```'
} | tee "$report"
echo "report: $report" >&2
