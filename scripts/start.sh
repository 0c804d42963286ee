#!/usr/bin/env bash
# The demo: builds the app and serves it on 127.0.0.1 (production build, so
# the service worker is the real one). PORT overrides the port.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx vite build --logLevel warn
port="${PORT:-5173}"
# The PeerJS signalling server for ?relay=webrtc (loopback; PEER_PORT overrides 9000), ended with the demo.
node scripts/peer-server.mjs "${PEER_PORT:-9000}" &
peer_pid=$!
trap 'kill "$peer_pid" 2>/dev/null || true' EXIT
echo "offline-edge demo: http://127.0.0.1:${port}/  (open it twice: as alice in one tab, bob in another)"
echo "peer to peer: http://127.0.0.1:${port}/?relay=webrtc in two browser profiles"
npx vite preview --host 127.0.0.1 --port "$port" --strictPort
