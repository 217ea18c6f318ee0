#!/usr/bin/env bash
# The desk beside a peer helpdesk, django-helpdesk, at the same ticket count: the first page of
# the open tickets, one ticket's page and a ticket created through the API, each with wrk at the
# same settings, one desk after the other (never both at once: the machine is shared), then the
# ratios against the goals (list ≥ 100×, ticket page ≥ 20×, creation ≥ 10×).
#
#   tests/bench/peer.sh PEER_DIR [TICKETS]
#
# PEER_DIR holds the peer's own scripts (setup.sh, ctl.sh, seed.py, bench.sh: they install
# django-helpdesk from PyPI into a venv with its own PostgreSQL, seed it and measure it with wrk;
# see their README). TICKETS defaults to 100000. Needs wrk (`apt-get install -y wrk`), curl,
# python3 and cargo (the desk's release build is brought up to date first).
#
# Env: DURATION (30s), CONNS (4), THREADS (2), WARMUP (3s) — passed to the peer's bench.sh too;
#      WORK (a directory for the desk's generated data and the logs: default target/peer-bench);
#      DESK_PORT (18191); SKIP_PEER=1 to measure the desk alone. The desk's shop is generated
#      afresh for every run (about 3 minutes at 100,000 tickets): the creation run adds to it.
#
# What is compared, per the peer's README: its list is two requests (the page, then the JSON its
# table fetches for the first 25 open tickets) against the desk's `/?view=all`, whose first page
# of all open tickets comes whole in one; its ticket page `/helpdesk/tickets/<id>/` against
# `/tickets/<id>`; its DRF `POST /helpdesk/api/tickets/` against `POST /api/v1/shops/…/tickets`.
set -euo pipefail

PEER_DIR="${1:?usage: tests/bench/peer.sh PEER_DIR [TICKETS]}"
TICKETS="${2:-100000}"
PEER_DIR="$(cd "$PEER_DIR" && pwd)"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tests/bench"
DURATION="${DURATION:-30s}"
CONNS="${CONNS:-4}"
THREADS="${THREADS:-2}"
WARMUP="${WARMUP:-3s}"
WORK="${WORK:-$ROOT/target/peer-bench}"
DESK_PORT="${DESK_PORT:-18191}"
BASE="http://127.0.0.1:$DESK_PORT"
export DURATION CONNS THREADS WARMUP

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
# The desk's data directory is the one measured, never a database named in the environment.
unset DATABASE_URL AFTERSALES_REPLICA_URL
mkdir -p "$WORK"
RESULTS="$WORK/results-$TICKETS.txt"
: > "$RESULTS"

# ------------------------------------------------------------------ the peer
if [ "${SKIP_PEER:-0}" != 1 ]; then
  echo "== django-helpdesk: set up, seeded with $TICKETS tickets, measured" >&2
  # Where the peer's scripts put it: PEER_ROOT if set, else their own default (a literal path).
  PEER_ROOT="${PEER_ROOT:-$(sed -n 's/^PEER_ROOT="\${PEER_ROOT:-\(.*\)}"$/\1/p' "$PEER_DIR/setup.sh" | head -1)}"
  [ -n "$PEER_ROOT" ] || { echo "cannot tell where the peer lives: set PEER_ROOT" >&2; exit 1; }
  export PEER_ROOT
  PEER_PY="$PEER_ROOT/venv/bin/python"
  trap '(cd "$PEER_DIR" && ./ctl.sh stop) >/dev/null 2>&1 || true' EXIT
  (cd "$PEER_DIR" && ./setup.sh) > "$WORK/peer-setup.log" 2>&1 \
    || { echo "the peer's setup.sh failed: see $WORK/peer-setup.log" >&2; exit 1; }
  (cd "$PEER_DIR" && ./ctl.sh start) > "$WORK/peer-ctl.log" 2>&1 \
    || { echo "the peer did not start: see $WORK/peer-ctl.log" >&2; exit 1; }
  (cd "$PEER_DIR" && "$PEER_PY" seed.py --tickets "$TICKETS") > "$WORK/peer-seed.log" 2>&1 \
    || { echo "seeding the peer failed: see $WORK/peer-seed.log" >&2; exit 1; }
  (cd "$PEER_DIR" && ENDPOINTS="list_html list_json view create_api" ./bench.sh) > "$WORK/peer-bench.log" 2>&1 \
    || { echo "the peer's bench.sh failed: see $WORK/peer-bench.log" >&2; exit 1; }
  (cd "$PEER_DIR" && ./ctl.sh stop) >> "$WORK/peer-ctl.log" 2>&1
  trap - EXIT
  grep '^RESULT' "$WORK/peer-bench.log" | sed 's/^RESULT /RESULT peer:/' >> "$RESULTS"
fi

# ------------------------------------------------------------------ the desk
BIN="$ROOT/target/release/aftersales"
(cd "$ROOT" && cargo build --release --quiet)
DATA="$WORK/desk-$TICKETS"
# A shop left unwritten by an earlier run is measured again only by the build that generated it
# (another build may have other migrations, or measure a schema it would not make).
BUILD="$(sha256sum "$BIN" | cut -d' ' -f1)"
if [ "$(cat "$DATA/generated" 2>/dev/null)" != "$BUILD" ]; then
  echo "== the desk: generating a shop of $TICKETS tickets" >&2
  rm -rf "$DATA"
  "$BIN" bench generate --data-dir "$DATA/data" --tickets "$TICKETS" --orders-lines $((TICKETS * 5)) \
    > "$WORK/desk-generate.log" 2>&1 || { echo "generation failed: see $WORK/desk-generate.log" >&2; exit 1; }
  echo "$BUILD" > "$DATA/generated"
fi
echo "== the desk: serving $TICKETS tickets, measured" >&2
AFTERSALES_LOG=warn "$BIN" --data-dir "$DATA/data" serve --listen "127.0.0.1:$DESK_PORT" --sweep-secs 0 \
  > "$WORK/desk-serve.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT
ready=0
for _ in $(seq 1 600); do
  curl -sf -o /dev/null "$BASE/readyz" && { ready=1; break; }
  kill -0 "$SERVER" 2>/dev/null || { echo "the desk did not start: see $WORK/desk-serve.log" >&2; exit 1; }
  sleep 0.5
done
[ "$ready" = 1 ] || { echo "the desk was not ready after 5 minutes: see $WORK/desk-serve.log" >&2; exit 1; }
# From here the shop is written to (the creation run): the next run generates afresh, however
# this one ends.
rm -f "$DATA/generated"

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
TOKEN="$(curl -sf -X POST "$BASE/api/v1/auth/tokens" -H 'Content-Type: application/json' \
  -d '{"login": "bench-agent01", "password": "bench-password-2026"}' | json "['token']")"
TICKET_ID=$((TICKETS / 2))
SHOP="$(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/tickets/$TICKET_ID" | json "['shop_id']")"
# Order numbers for the created tickets: those of a hundred tickets spread over the shop.
ORDERS="$WORK/desk-orders.txt"
: > "$ORDERS"
for i in $(seq 1 100); do
  curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/tickets/$((i * (TICKETS / 101) + 1))" \
    | json "['order_no']" >> "$ORDERS"
done
BODY='{"kind": "complaint", "order_no": "{ORDER}", "reason": "quality", "description": "对比测试：商品有瑕疵"}'

desk_wrk() { # name method path expect [body template] [duration]
  DESK_NAME="$1" DESK_METHOD="$2" DESK_EXPECT="$4" DESK_TOKEN="$TOKEN" DESK_BODY_TEMPLATE="${5:-}" DESK_ORDERS="$ORDERS" \
    wrk -t"$THREADS" -c"$CONNS" -d"${6:-$DURATION}" --timeout 30s -s "$HERE/desk.lua" "$BASE$3"
}
check() { # method path expect
  local status
  status="$(curl -s -o /dev/null -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" "$BASE$2")"
  [ "$status" = "$3" ] || { echo "the desk's $1 $2 answered $status, not $3" >&2; exit 1; }
}
check GET "/?view=all" 200
check GET "/tickets/$TICKET_ID" 200
for run in "list GET /?view=all 200" "view GET /tickets/$TICKET_ID 200" "create_api POST /api/v1/shops/$SHOP/tickets 201"; do
  read -r name method path expect <<< "$run"
  body=""
  [ "$method" = POST ] && body="$BODY"
  [ "$WARMUP" != 0 ] && desk_wrk "$name" "$method" "$path" "$expect" "$body" "$WARMUP" > /dev/null
  desk_wrk "$name" "$method" "$path" "$expect" "$body" | grep '^RESULT' | sed 's/^RESULT /RESULT desk:/' >> "$RESULTS"
done

# ------------------------------------------------------------------ the table
python3 - "$RESULTS" "$TICKETS" "$CONNS" "$DURATION" <<'PY'
import sys
path, tickets, conns, duration = sys.argv[1:5]
results = {}
for line in open(path):
    parts = line.split()
    fields = dict(p.split("=", 1) for p in parts[2:])
    results[parts[1]] = {k: float(v) for k, v in fields.items()}
def rate(name):
    r = results.get(name)
    if r is None:
        return None
    if r["bad"] or r["sock_err"]:
        print(f"warning: {name}: {int(r['bad'])} unexpected answers, {int(r['sock_err'])} socket errors")
    return r["ok_rps"]
def p99(name):
    r = results.get(name)
    return f"{r['p99_ms']:.1f}" if r else "-"
print(f"\n{tickets} tickets each, wrk {conns} connections for {duration}; good answers per second (p99 ms)\n")
print(f"| what | django-helpdesk | the desk | ratio | goal |")
print(f"|---|---:|---:|---:|---:|")
html, data = rate("peer:list_html"), rate("peer:list_json")
peer_list = 1 / (1 / html + 1 / data) if html and data else None
rows = [
    ("first page of the open tickets", peer_list, f"page {p99('peer:list_html')} + data {p99('peer:list_json')}", "desk:list", 100),
    ("a ticket's page", rate("peer:view"), p99("peer:view"), "desk:view", 20),
    ("ticket created through the API", rate("peer:create_api"), p99("peer:create_api"), "desk:create_api", 10),
]
for what, peer, peer_p99, desk_name, goal in rows:
    desk = rate(desk_name)
    ratio = desk / peer if desk and peer else None
    peer_text = f"{peer:.2f} ({peer_p99})" if peer else "-"
    desk_text = f"{desk:.1f} ({p99(desk_name)})" if desk else "-"
    ratio_text = f"{ratio:,.1f}×" if ratio else "-"
    met = "met" if ratio and ratio >= goal else "not met"
    print(f"| {what} | {peer_text} | {desk_text} | {ratio_text} | ≥ {goal}× {met if ratio else ''} |")
print("\nThe peer's list is its page and then its table's data, one after the other: its rate is")
print("1 / (1/page + 1/data). Raw lines:", path)
PY
