#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds mutua, generates a sample world and runs the
# pre-flight validator on its first envoi, then shows the envoi as a tree.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
rm -rf out/sample
build/mutua gen --seed 7 --members 20000 --providers 200 --lines 50000 --error-rate 0.03 --out out/sample
first=$(ls out/sample/envois/*.efact | head -n 1)
echo
echo "== mutua validate $first"
build/mutua validate --today 2026-11-23 --list 5 "$first" || true
echo
echo "== mutua show $first (first 2 invoices)"
build/mutua show --max-invoices 2 "$first" | head -n 80 || true
