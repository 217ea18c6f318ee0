-- wrk script for tests/bench/peer.sh: one kind of request to the desk, counted as good only with
-- the expected status, and one line at the end in the form peer.sh reads for both desks:
--   RESULT <name> requests=… ok=… bad=… sock_err=… rps=… ok_rps=… p50_ms=… p90_ms=… p99_ms=… max_ms=… mean_ms=…
-- Env: DESK_NAME, DESK_METHOD (GET or POST), DESK_TOKEN (bearer), DESK_EXPECT (status),
--      DESK_BODY_TEMPLATE (JSON with {ORDER} for an order number), DESK_ORDERS (file, one per line).
local name = os.getenv("DESK_NAME") or "desk"
local expect = tonumber(os.getenv("DESK_EXPECT") or "200")
local method = os.getenv("DESK_METHOD") or "GET"
local template = os.getenv("DESK_BODY_TEMPLATE") or ""

local orders = {}
local orders_file = os.getenv("DESK_ORDERS")
if orders_file and orders_file ~= "" then
  for line in io.lines(orders_file) do
    if line ~= "" then orders[#orders + 1] = line end
  end
end

local headers = {
  ["Authorization"] = "Bearer " .. (os.getenv("DESK_TOKEN") or ""),
  ["Accept"] = "text/html,application/json",
}
if template ~= "" then headers["Content-Type"] = "application/json" end

local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local counter = 0
function init(args)
  counter = id * 7919
end

ok, bad = 0, 0

function request()
  if template == "" then
    return wrk.format(method, nil, headers, nil)
  end
  counter = counter + 1
  local order = #orders > 0 and orders[(counter % #orders) + 1] or ""
  local body = template:gsub("{ORDER}", order)
  return wrk.format(method, nil, headers, body)
end

function response(status, headers, body)
  if status == expect then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
  local good, wrong = 0, 0
  for _, thread in ipairs(threads) do
    good = good + thread:get("ok")
    wrong = wrong + thread:get("bad")
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT %s requests=%d ok=%d bad=%d sock_err=%d rps=%.2f ok_rps=%.2f p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f mean_ms=%.1f\n",
    name, summary.requests, good, wrong, e.connect + e.read + e.write + e.timeout,
    summary.requests / seconds, good / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000))
end
