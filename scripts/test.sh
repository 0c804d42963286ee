#!/usr/bin/env bash
# Every test: type check, lint, the package (build, pack once, publint, attw,
# size budgets), the demo build, unit tests (Node), browser tests (Debian
# Chromium via playwright-core, real Prosody), and fresh consumer apps that
# install the packed tarball.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --system
echo "== type check"; npx tsc --noEmit
echo "== lint"; npx eslint .
echo "== package"
npx tsdown --logLevel warn
pack_dir="$(mktemp -d)"
trap 'rm -rf "$pack_dir"' EXIT
npm pack --ignore-scripts --silent --pack-destination "$pack_dir" >/dev/null
export OFFLINE_EDGE_TARBALL="$(ls "$pack_dir"/*.tgz)"
npx publint run --strict "$OFFLINE_EDGE_TARBALL"
npx attw "$OFFLINE_EDGE_TARBALL" --profile esm-only --format table-flipped
# Size budgets: reported here, and an over-budget row fails the run at the end (the other steps still run).
echo "== size"; size_status=0; node scripts/size.mjs || size_status=$?
echo "== build"; npx vite build --logLevel warn
echo "== tests"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@" || status=$?
# One closing line any CI reads: "N passed, N failed".
node -e 'const r = require("./test-results/vitest.json"); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`)' || true
[ "$size_status" -eq 0 ] || echo "size budgets: over budget (see == size above)"
[ "$status" -ne 0 ] || status=$size_status
exit "$status"
