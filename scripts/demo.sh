#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds mutua, generates a sample world and runs the
# pre-flight validator on its first envoi, shows it as a tree, then imports the world's
# reference data into the embedded SQLite store and adjudicates every envoi as the fund would.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
rm -rf out/sample
build/mutua gen --seed 7 --members 20000 --providers 200 --lines 50000 --error-rate 0.03 --out out/sample
envois=(out/sample/envois/*.efact)  # a glob, not `ls | head`: head closing the pipe kills ls (pipefail)
first=${envois[0]}
echo
echo "== mutua validate $first"
build/mutua validate --today 2026-11-23 --list 5 "$first" || true
echo
echo "== mutua show $first (first 2 invoices)"
build/mutua show --max-invoices 2 "$first" | head -n 80 || true
echo
echo "== mutua refdata import out/sample/refdata (SQLite store out/sample/mutua.db)"
rm -f out/sample/mutua.db*
build/mutua refdata import out/sample/refdata --db out/sample/mutua.db
echo
echo "== mutua adjudicate out/sample/envois/*.efact (responses in out/sample/responses)"
build/mutua adjudicate --db out/sample/mutua.db --today 2026-11-23 --out out/sample/responses \
  out/sample/envois/*.efact | grep -E '^out/|error rate|accepted:' | head -n 40 || true
echo "(generated envois carry injected file errors, so most are rejected: see out/sample/responses/*.json)"
