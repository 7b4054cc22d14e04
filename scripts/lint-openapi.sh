#!/usr/bin/env bash
# Lints the API's OpenAPI document (data/server/openapi.json) with Redocly's CLI from npm,
# installed once into build/npm at the pinned version (nothing is fetched when it is there).
# Rules: data/server/redocly.yaml. Exit 0 when the document is valid with no error.
set -euo pipefail
cd "$(dirname "$0")/.."
version=2.77.0
prefix=build/npm
bin="$prefix/node_modules/.bin/redocly"
if ! command -v npm >/dev/null; then
  echo "lint-openapi: npm is missing (scripts/setup.sh installs it)" >&2
  exit 2
fi
if [ ! -x "$bin" ] || ! grep -q "\"version\": \"$version\"" "$prefix/node_modules/@redocly/cli/package.json" 2>/dev/null; then
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --silent "@redocly/cli@$version" >&2
fi
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  "$bin" lint --config data/server/redocly.yaml data/server/openapi.json
