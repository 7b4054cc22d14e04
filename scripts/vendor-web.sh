#!/usr/bin/env bash
# Takes the portal's front-end libraries from the npm registry at pinned versions and keeps
# them in the repository (data/portal/assets/vendor/, with their licences and VERSIONS), so
# that building and running mutua fetch nothing. Run it only to change a version.
set -euo pipefail
cd "$(dirname "$0")/.."
pico=2.1.1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
npm install --prefix "$work" --no-audit --no-fund --silent "@picocss/pico@$pico"
out=data/portal/assets/vendor
mkdir -p "$out"
cp "$work/node_modules/@picocss/pico/css/pico.min.css" "$out/pico.min.css"
cp "$work/node_modules/@picocss/pico/LICENSE.md" "$out/pico.LICENSE.md"
{
  echo "# The portal's front-end libraries, from the npm registry (scripts/vendor-web.sh)"
  echo "@picocss/pico $pico MIT css/pico.min.css -> pico.min.css"
} > "$out/VERSIONS"
echo "vendor-web: $(wc -c < "$out/pico.min.css") bytes of pico.min.css $pico"
