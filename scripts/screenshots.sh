#!/usr/bin/env bash
# Screenshots of every portal page into docs/screenshots/ (one language each, all four for the
# main pages), taken by the browser tests on a generated world (tests/browser/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
rm -rf docs/screenshots
bash tests/browser/run.sh build/mutua build/portal-screenshots "$PWD/docs/screenshots"
