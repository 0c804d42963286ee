#!/usr/bin/env bash
# Installs what `npm start` and `npm test` need, only when it is missing:
# node dependencies, and on Debian the system packages the tests drive
# (Debian's Chromium for Playwright, Prosody as the real XMPP relay).
# Usage: scripts/setup.sh [--system]   (--system: also the apt packages)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "offline-edge: installing node dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

[ "${1:-}" = "--system" ] || exit 0

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v prosody >/dev/null 2>&1 || missing+=(prosody)
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "offline-edge: please install ${missing[*]} (tests need /usr/bin/chromium and prosody)" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "offline-edge: installing ${missing[*]} with apt"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
