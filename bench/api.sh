#!/usr/bin/env bash
# The API under load (issue 22): `mutua serve` on an SQLite store of 10M history lines, driven
# by wrk (Debian's package) on loopback with 50 connections: requests/s and p50 / p99 latency
# per resource (an envoi's status, its rejected lines, a payment by reference, an insurability
# consultation) and per page of the portal, errors, and the time to export 100k rows as CSV and
# as .xlsx. Writes
# build/api-report.md. API_HISTORY (default 10000000), API_CLIENTS (50), API_SECONDS (20),
# MUTUA_API_DIR (default /tmp/mutua-api-bench); API_REUSE=1 keeps the world of a previous run
# there (a copy of its store before the server's first start) instead of making it again.
# MUTUA_BIN: the program serving (default build/mutua), to compare two builds in one run.
# API_ONLY: a pattern; only the resources whose name matches it are measured.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/build.sh >/dev/null
dir=${MUTUA_API_DIR:-/tmp/mutua-api-bench}
history=${API_HISTORY:-10000000}
clients=${API_CLIENTS:-50}
seconds=${API_SECONDS:-20}
report=build/api-report.md
db=$dir/m.db
step() { echo "== $*" >&2; }
timed() { /usr/bin/time -f '%e' "$@" 2>&1 >/dev/null | tail -n 1; }

if [ "${API_REUSE:-0}" = 1 ] && [ -f "$dir/world.db" ]; then
  step "world of a previous run, in $dir"
  rm -f "$db" "$db-wal" "$db-shm"
  cp "$dir/world.db" "$db"
  [ ! -f "$dir/world.db-wal" ] || cp "$dir/world.db-wal" "$db-wal"
  sync  # the copy's gigabyte is on disk before the server is measured, not written meanwhile
  load_s=$(cat "$dir/load_s")
else
rm -rf "$dir"
mkdir -p "$dir"
# Ten envois of 10k lines with errors (most are rejected: their rejected lines are searched),
# and, from the same world's reference data (same seed and sizes), one error-free envoi of 100k
# lines: accepted, paid, and exported whole.
step "world: 200k members; ten envois of 10k lines and one of 100k; $history history lines"
build/mutua gen --seed 7 --members 200000 --providers 2000 --lines 100000 --envoi-lines 10000 --senders 10 \
  --error-rate 0.02 --test-files 0 --out "$dir/small" >/dev/null
build/mutua gen --seed 7 --members 200000 --providers 2000 --lines 100000 --envoi-lines 100000 --senders 1 \
  --error-rate 0 --test-files 0 --out "$dir/large" >/dev/null
build/mutua refdata import "$dir/small/refdata" --db "$db" >/dev/null
load_s=$(timed build/bench/load_history "$db" "$dir/small/refdata" "$history")
build/mutua adjudicate --db "$db" --today 2026-11-23 --threshold 100 --out "$dir/responses" "$dir"/small/envois/*.efact >/dev/null || true
large=$(ls "$dir"/large/envois/*.efact | head -n 1)
build/mutua adjudicate --db "$db" --today 2026-11-23 --threshold 100 --out "$dir/responses" "$large" >/dev/null || true
build/mutua settle --date 2026-11-30 --budget 100000000 --db "$db" --config data/sample/mutua-payments.json --out "$dir/run" >/dev/null
build/mutua db migrate --db "$db" >/dev/null
cp "$db" "$dir/world.db"
[ ! -f "$db-wal" ] || cp "$db-wal" "$dir/world.db-wal"
echo "$load_s" > "$dir/load_s"
fi

step "server, a staff account and its token"
"${MUTUA_BIN:-build/mutua}" serve --db "$db" --listen 127.0.0.1:0 --connections 8 --slow-ms "${API_SLOW_MS:-1000}" > "$dir/serve.log" 2>&1 &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "one-time password" "$dir/serve.log" && break; sleep 0.1; done
port=$(grep -o 'http://127.0.0.1:[0-9]*' "$dir/serve.log" | head -n 1 | cut -d: -f3)
once=$(grep -o 'one-time password: [a-z0-9]*' "$dir/serve.log" | cut -d' ' -f3)
token=$(/usr/bin/python3 - "$port" "$once" <<'PY'
import base64, hashlib, hmac, json, struct, sys, time, urllib.request
port, once = sys.argv[1], sys.argv[2]
def call(method, path, token=None, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())
def totp(b32):
    key = base64.b32decode(b32 + "=" * (-len(b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(time.time() // 30)), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)
def ready(user, password):
    t = call("POST", "/api/v1/sessions", body={"username": user, "password": password})["token"]
    call("POST", "/api/v1/me/password", t, {"current": password, "new": user + "-bench-password"})
    secret = call("POST", "/api/v1/me/second-factor", t)["secret"]
    call("POST", "/api/v1/me/second-factor/confirm", t, {"code": totp(secret)})
    return t
admin = ready("admin", once)
staff = call("POST", "/api/v1/users", admin, {"username": "staff", "kind": "staff"})
call("PUT", f"/api/v1/users/{staff['id']}/memberships", admin, {"provider": "*", "role": "staff"})
t = ready("staff", staff["one_time_password"])
print(call("POST", "/api/v1/tokens", t, {"name": "bench"})["token"])
PY
)
auth="Authorization: Bearer $token"
api() { curl -sf -H "$auth" "http://127.0.0.1:$port$1"; }
small_id=$(api "/api/v1/envois?per_page=500" | /usr/bin/python3 -c 'import json,sys; print(min(e["id"] for e in json.load(sys.stdin)["items"] if e["lines"] <= 10000 and e["rejected_lines"] > 0))')
large_id=$(api "/api/v1/envois?per_page=500&status=accepted" | /usr/bin/python3 -c 'import json,sys; print(max(e["id"] for e in json.load(sys.stdin)["items"] if e["lines"] >= 100000))')
reference=$(api "/api/v1/payments?billed_month=$(api "/api/v1/envois/$large_id" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["billed_month"])')" |
  /usr/bin/python3 -c 'import json,sys; print(next(p["reference"] for p in json.load(sys.stdin)["items"] if p.get("reference")))')
patient=$(api "/api/v1/envois/$small_id/lines?per_page=1" | /usr/bin/python3 -c 'import json,sys; i=json.load(sys.stdin)["items"][0]; print(i["niss"], i["date"])')
provider=$(api "/api/v1/envois/$small_id" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["provider"])')
echo "{\"niss\": \"${patient% *}\", \"date\": \"${patient#* }\", \"provider\": \"$provider\"}" > "$dir/insurability.json"
rm -f "$dir/first.txt"
cat > "$dir/insurability.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"niss": "${patient% *}", "date": "${patient#* }", "provider": "$provider"}'
LUA

{
  echo "# bench/api.sh report ($(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD), $(nproc) cores)"
  echo
  echo "SQLite store: $history history lines (loaded in ${load_s} s), 200k members, ten envois of 10k lines and one of"
  echo "100k, paid. \`mutua serve --connections 8\`; wrk with $clients connections on 2 threads for $seconds s per"
  echo "resource, on the same 2-core machine as the server. Every request is authorised and every read of"
  echo "a patient's data audited (one audit write per request)."
  echo
  echo "| resource | requests/s | p50 ms | p99 ms | non-2xx | socket errors |"
  echo "|---|---:|---:|---:|---:|---:|"
  run() {
    local name=$1 path=$2; shift 2
    [[ "$name" =~ ${API_ONLY:-.} ]] || return 0
    step "wrk: $name"
    # The first request of a resource pays once for what the server then keeps (an envoi's
    # parsed lines): timed on its own, then wrk measures the steady state.
    local first
    first=$(curl -s -o /dev/null -w '%{time_total}' -H "$auth" -H 'Content-Type: application/json' \
      $( [ "${1:-}" = -s ] && printf -- '-d @%s' "$dir/insurability.json" ) "http://127.0.0.1:$port$path")
    echo "$name: first request $first s" >> "$dir/first.txt"
    wrk -t2 -c"$clients" -d"${seconds}s" --latency -H "$auth" "$@" "http://127.0.0.1:$port$path" > "$dir/wrk.out" 2>&1 || true
    cp "$dir/wrk.out" "$dir/wrk-${name%% *}-${name#* }.out" 2>/dev/null || true
    /usr/bin/python3 - "$name" "$dir/wrk.out" <<'PY'
import re, sys
name, text = sys.argv[1], open(sys.argv[2]).read()
def ms(label):
    m = re.search(r"^\s*" + label + r"\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m: return "-"
    v = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    return f"{v:.1f}"
rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
sock = re.search(r"Socket errors: (.*)", text)
print(f"| {name} | {float(rps.group(1)):.0f} | {ms('50%')} | {ms('99%')} | {non2xx.group(1) if non2xx else 0} | "
      f"{sock.group(1).strip() if sock else 'none'} |" if rps else f"| {name} | failed | | | | |")
PY
  }
  run "envoi status" "/api/v1/envois/$small_id"
  run "rejected lines of a 10k-line envoi (page of 50)" "/api/v1/envois/$small_id/lines?status=rejected"
  run "payment by reference" "/api/v1/payments?reference=$reference"
  run "insurability consultation (POST)" "/api/v1/insurability" -s "$dir/insurability.lua"
  # The portal's pages (issue 24), with the same session as a cookie: each page calls the API in
  # its name (GET /api/v1/me, then what it shows) and renders its template.
  cookie="Cookie: mutua_session=$token"
  run "page: home" "/" -H "$cookie"
  run "page: submissions (first 50 envois)" "/submissions" -H "$cookie"
  run "page: an envoi with its rejected lines (50 shown)" "/submissions/$small_id" -H "$cookie"
  run "page: payment by reference" "/payments?reference=$reference" -H "$cookie"
  run "page: a provider at a glance (charts)" "/statistics?provider=$provider" -H "$cookie"
  run "page: sign-in (no session)" "/sign-in"
  echo
  echo "First request of each resource, before wrk (what the server then keeps is built here):"
  echo
  sed 's/^/- /' "$dir/first.txt"
  echo
  echo "Export of every line of the 100k-line envoi (one request):"
  echo
  for format in csv xlsx; do
    step "export $format"
    t=$( { /usr/bin/time -f '%e' curl -sf -H "$auth" -o "$dir/export.$format" \
          "http://127.0.0.1:$port/api/v1/envois/$large_id/lines?format=$format"; } 2>&1 | tail -n 1)
    rows=$([ "$format" = csv ] && echo $(( $(wc -l < "$dir/export.csv") - 1 )) || echo "-")
    echo "- $format: ${t} s, $(du -h "$dir/export.$format" | cut -f1)B, rows: $rows"
  done
} | tee "$report"
echo "report: $report" >&2
