#!/usr/bin/env bash
# Browser journeys: start the desk on the embedded database in a temporary data directory with
# the demo shop, add the journey users through the CLI, run the journeys in headless Chromium,
# stop the desk. Screenshots land in tests/e2e/screenshots/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${CARGO_TARGET_DIR:-$root/target}/debug/aftersales"
[ -x "$bin" ] || (cd "$root" && cargo build --quiet)

data="$(mktemp -d /tmp/as-e2e-XXXXXX)"
# PostgreSQL runs as the postgres user when we are root: it must be able to enter the directory.
chmod 755 "$data"
log="$data/serve.log"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT

export AFTERSALES_DATA_DIR="$data/db"
unset DATABASE_URL
"$bin" serve --demo --listen 127.0.0.1:0 >"$log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  if grep -q "running at" "$log"; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then cat "$log"; echo "the desk did not start"; exit 1; fi
  sleep 1
done
base="$(grep -o 'http://[0-9.:]*' "$log" | head -n 1)"
[ -n "$base" ] || { cat "$log"; echo "no address printed"; exit 1; }

add_user() { printf '%s' "$3" | "$bin" user add --login "$1" --role "$2" --shop demo --password-stdin >/dev/null; }
add_user e2e-agent agent e2e-agent-pass
add_user e2e-agent2 agent e2e-agent2-pass
add_user e2e-super supervisor e2e-super-pass
add_user e2e-owner owner e2e-owner-pass
add_user e2e-admin admin e2e-admin-pass

cd "$here"
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
mkdir -p screenshots
BASE_URL="$base" node --test --test-concurrency=1 ${JOURNEY_FILTER:+--test-name-pattern="$JOURNEY_FILTER"} journeys.test.mjs webhooks.test.mjs
