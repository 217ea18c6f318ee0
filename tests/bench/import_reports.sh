#!/usr/bin/env bash
# Benchmark (not a test): import a generated order file of LINES order lines (default 1,000,000)
# into a fresh desk, report rows per second, then time the reports API and page over a year.
#
#   bash tests/bench/import_reports.sh [LINES]
#
# Uses the release binary if it is built (cargo build --release), else the debug one.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
lines="${1:-1000000}"
bin="${CARGO_TARGET_DIR:-$root/target}/release/aftersales"
[ -x "$bin" ] || bin="${CARGO_TARGET_DIR:-$root/target}/debug/aftersales"
[ -x "$bin" ] || (cd "$root" && cargo build --release --quiet && bin="${CARGO_TARGET_DIR:-$root/target}/release/aftersales")

work="$(mktemp -d /tmp/as-bench-XXXXXX)"
chmod 755 "$work"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -TERM "$server_pid"; wait "$server_pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== generating $lines order lines"
python3 - "$work/orders.csv" "$lines" <<'PY'
import csv, random, sys, datetime
path, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261123)
skus = [(f"SKU-{i:04d}", f"商品 {i} 号", rng.choice(["服装", "鞋靴", "美妆", "食品生鲜", "数码", "家居", "母婴"])) for i in range(800)]
start = datetime.datetime(2025, 11, 1)
with open(path, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["order_no", "buyer", "sku", "title", "category", "quantity", "unit_price", "paid_at", "shipped_at", "signed_at"])
    written, order = 0, 0
    while written < n:
        order += 1
        paid = start + datetime.timedelta(seconds=rng.randrange(365 * 86400))
        shipped = paid + datetime.timedelta(hours=rng.randrange(4, 72))
        signed = shipped + datetime.timedelta(hours=rng.randrange(24, 120)) if rng.random() < 0.93 else None
        buyer = f"tb_{rng.randrange(200000):06d}"
        for sku, title, category in rng.sample(skus, min(rng.choice([1, 1, 2, 2, 3]), n - written)):
            fmt = "%Y-%m-%d %H:%M:%S"
            w.writerow([f'="{3900000000000000000 + order}"', buyer, sku, title, category, rng.randrange(1, 4),
                        f"{rng.randrange(990, 59900) / 100:.2f}", paid.strftime(fmt), shipped.strftime(fmt),
                        signed.strftime(fmt) if signed else ""])
            written += 1
PY
ls -lh "$work/orders.csv" | awk '{print "file:", $5}'

export AFTERSALES_DATA_DIR="$work/db"
unset DATABASE_URL
AFTERSALES_LOG=warn "$bin" serve --demo --listen 127.0.0.1:0 --sweep-secs 0 >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do grep -q "running at" "$work/serve.log" && break; sleep 1; done
base="$(grep -o 'http://[0-9.:]*' "$work/serve.log" | head -n 1)"

echo "== import"
start=$(date +%s.%N)
AFTERSALES_LOG=warn "$bin" import orders "$work/orders.csv" --shop demo 2>&1 | grep -v "slow statement" | tail -n 3
end=$(date +%s.%N)
python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'wall time {s:.1f} s, {int(sys.argv[3])/s:,.0f} lines/s end to end')" "$start" "$end" "$lines"

token="$(curl -sf -X POST "$base/api/v1/auth/tokens" -H 'content-type: application/json' \
  -d '{"login":"owner","password":"demo-owner"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
cookie="$(curl -si -X POST "$base/login" -d 'login=owner&password=demo-owner&next=/' | grep -i '^set-cookie: as_session=' | sed 's/^[Ss]et-[Cc]ookie: //; s/;.*//' | tr -d '\r')"
time_it() {
  local label="$1"; shift
  local times=()
  for _ in 1 2 3 4 5; do
    times+=("$(curl -s -o /dev/null -w '%{time_total}' "$@")")
  done
  python3 -c "import sys,statistics; t=sorted(float(x)*1000 for x in sys.argv[2:]); print(f'{sys.argv[1]:<40} min {t[0]:7.1f} ms  median {statistics.median(t):7.1f} ms  max {t[-1]:7.1f} ms')" "$label" "${times[@]}"
}
echo "== reports over a year (5 runs each)"
for by in month week sku reason; do
  time_it "API by=$by" -H "Authorization: Bearer $token" "$base/api/v1/shops/1/reports/returns?from=2025-11-01&to=2026-10-31&by=$by"
done
time_it "page /reports (year, by month)" -H "Cookie: $cookie" "$base/reports?from=2025-11-01&to=2026-10-31&by=month"
