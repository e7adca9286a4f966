#!/usr/bin/env bash
# Installs what the project needs on a fresh machine, and says what to do when it cannot.
#   scripts/bootstrap.sh          npm packages (Node 24 comes from the npm `node` package)
#   scripts/bootstrap.sh --test   the same, plus Debian's Chromium for the browser tests
# The Temporal CLI is found or built by the node scripts (scripts/lib/temporal-cli.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[bootstrap] %s\n' "$*"; }
fail() { printf '[bootstrap] error: %s\n' "$*" >&2; exit 1; }

command -v npm >/dev/null || fail "npm is not installed. Install Node.js 20+ with npm (https://nodejs.org or your package manager), then run this again."

# npm packages: install when missing or when package-lock.json changed since the last install.
if [ ! -x node_modules/.bin/node ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (first run takes about a minute)…"
  # `npm install` with the committed lockfile installs the locked versions. (`npm ci` would refuse a
  # lockfile that lacks other platforms' optional binaries, which some registry mirrors do not carry.)
  if ! npm install --no-audit --no-fund --loglevel=error; then
    fail "npm install failed. Check that the npm registry is reachable (npm config get registry), then run this again."
  fi
fi
node_modules/.bin/node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)' \
  || fail "node_modules/.bin/node is not Node 24+. Remove node_modules and run this again."

if [ "${1:-}" = "--test" ]; then
  CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
  if [ ! -x "$CHROMIUM" ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
      say "installing Debian's Chromium for the browser tests (about 30 s)…"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
        || fail "apt-get install chromium failed. Install it by hand (sudo apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium binary."
    else
      fail "Chromium is needed for the browser tests and is not at $CHROMIUM. Run: sudo apt-get install -y chromium (or set CHROMIUM_PATH)."
    fi
  fi
fi
