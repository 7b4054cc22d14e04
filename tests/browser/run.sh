#!/usr/bin/env bash
# The portal's browser tests (ctest `portal_browser`): a generated world judged and paid by a
# real fund store, `mutua serve` on it, and tests/browser/portal.test.mjs driving Debian's
# chromium through playwright-core, with axe-core on every page in every language.
#   tests/browser/run.sh MUTUA_BINARY WORK_DIR [SCREENSHOTS_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mutua=$1
work=$2
shots=${3:-}
rm -rf "$work"
mkdir -p "$work" "$work/books"
# playwright-core and axe-core at the versions of package-lock.json; nothing when they are there.
if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/axe-core" ] ||
   ! cmp -s "$here/package-lock.json" "$here/node_modules/.package-lock.json.copy"; then
  (cd "$here" && npm ci --no-audit --no-fund --silent && cp package-lock.json node_modules/.package-lock.json.copy)
fi
"$mutua" gen --seed 7 --members 2000 --providers 20 --lines 3000 --error-rate 0.01 --out "$work/world" >/dev/null
"$mutua" refdata import "$work/world/refdata" --db "$work/fund.db" >/dev/null
"$mutua" adjudicate --db "$work/fund.db" --today 2026-11-23 --out "$work/responses" "$work"/world/envois/*.efact >/dev/null || true
# An advisor agreement for the first line left waiting on one (500434), decided before the
# payment run, so that the lines it settles are paid as complements.
pending=$("$mutua" agreement pending --db "$work/fund.db" | head -n 1)
niss=$(echo "$pending" | awk '{print $9}')
code=$(echo "$pending" | awk '{print $10}')
"$mutua" agreement request --db "$work/fund.db" --niss "$niss" --code "$code" --date 2026-10-01 --from 2026-01-01 \
  --to 2026-12-31 --motivation "soins de plaie" --by dr.wouters >/dev/null
"$mutua" agreement decide --db "$work/fund.db" --id 1 --decision A --date 2026-10-15 --note "accord du médecin-conseil" \
  --by dr.wouters >/dev/null
"$mutua" settle --db "$work/fund.db" --config "$here/../../data/sample/mutua-payments.json" --date 2026-11-30 --budget 50000 \
  --out "$work/payments" >/dev/null || true
"$mutua" serve --db "$work/fund.db" --listen 127.0.0.1:0 --outbox "$work/outbox" --books "$work/books" > "$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "one-time password" "$work/serve.log" && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -n 1)
password=$(grep -o 'one-time password: [a-z0-9]*' "$work/serve.log" | cut -d' ' -f3)
MUTUA_URL=$url MUTUA_ADMIN_PASSWORD=$password MUTUA_WORK=$work MUTUA_SCREENSHOTS=$shots \
  node "$here/portal.test.mjs"
