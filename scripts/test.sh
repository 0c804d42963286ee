#!/usr/bin/env bash
# Every test: type check, lint, production build, unit tests (Node), then
# browser tests (Debian Chromium via playwright-core, real Prosody).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --system
echo "== type check"; npx tsc --noEmit
echo "== lint"; npx eslint .
echo "== build"; npx vite build --logLevel warn
echo "== tests"; npx vitest run "$@"
