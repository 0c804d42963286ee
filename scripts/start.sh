#!/usr/bin/env bash
# The demo: builds the app and serves it on 127.0.0.1 (production build, so
# the service worker is the real one). PORT overrides the port.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx vite build --logLevel warn
port="${PORT:-5173}"
echo "offline-edge demo: http://127.0.0.1:${port}/  (open it twice: as alice in one tab, bob in another)"
exec npx vite preview --host 127.0.0.1 --port "$port" --strictPort
