#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds mutua, generates a sample world and runs the
# pre-flight validator on its first envoi, shows it as a tree, then imports the world's
# reference data into the embedded SQLite store and adjudicates every envoi as the fund would,
# makes a payment run over the accepted ones, writes their settlement files with the payment
# references and the payment letters, checks the ledger and
# answers an insurability consultation; ends with the portal served on that store (its address and
# the first administrator's one-time password printed; MUTUA_DEMO_SERVE=0 to stop before).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
rm -rf out/sample
build/mutua gen --seed 7 --members 20000 --providers 200 --lines 50000 --error-rate 0.003 --out out/sample
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
echo "(the generated envois carry injected errors: a blocking one rejects its envoi (920099), others refuse a line; see out/sample/responses/*.json)"
echo
echo "== mutua settle: a payment run on 2026-11-30 with a budget of 50,000.00 euros (pain.001 in out/sample/payments)"
build/mutua settle --db out/sample/mutua.db --config data/sample/mutua-payments.json --date 2026-11-30 \
  --budget 50000 --out out/sample/payments --limit 5 || true
echo
echo "== mutua letters: the payment letters of that run (PDF, CSV, XLSX in out/sample/letters)"
build/mutua letters --db out/sample/mutua.db --config data/sample/mutua-payments.json --run 2026-11-30 \
  --out out/sample/letters || true
echo
echo "== mutua response: the settlement files of the envois paid, with their payment references in ET 91 (out/sample/paid)"
build/mutua response --db out/sample/mutua.db --run 2026-11-30 --out out/sample/paid | tail -n 3 || true
echo
echo "== mutua ledger check"
build/mutua ledger check --db out/sample/mutua.db
echo
first_niss=$(sed -n 2p out/sample/refdata/members.csv | cut -d, -f1)
echo "== mutua insurability --niss $first_niss --date 2026-10-05"
build/mutua insurability --db out/sample/mutua.db --niss "$first_niss" --date 2026-10-05 --today 2026-11-23 || true
echo
if [ "${MUTUA_DEMO_SERVE:-1}" = "1" ]; then
  echo "== mutua serve: the portal and the API on the sample data (Ctrl-C stops it)"
  echo "   Open the address below in a browser and sign in as the first administrator with the one-time"
  echo "   password it prints; choose your own, set up the authenticator app, then make a fund staff"
  echo "   account (Collaborators: kind fund staff, membership '*' staff) to see every page with data."
  exec build/mutua serve --db out/sample/mutua.db --listen "${MUTUA_DEMO_LISTEN:-127.0.0.1:8080}" --outbox out/sample/outbox
fi
