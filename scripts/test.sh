#!/usr/bin/env bash
# Every test: type check, lint, production build, unit tests (Node), then
# browser tests (Debian Chromium via playwright-core, real Prosody).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --system
echo "== type check"; npx tsc --noEmit
echo "== lint"; npx eslint .
echo "== build"; npx vite build --logLevel warn
echo "== tests"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@" || status=$?
# One closing line any CI reads: "N passed, N failed".
node -e 'const r = require("./test-results/vitest.json"); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`)' || true
exit "$status"
