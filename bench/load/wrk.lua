-- Request mix for wrk (bench/lib/load.mjs drives it). Environment:
--   BENCH_MODE     hello | get | list | create
--   BENCH_TOKENS   file with one bearer token per line, line i = org i
--   BENCH_PER_ORG  slots per org (slot-000000 … ); slot 0 is a registry slot, the rest git
-- Every request picks a uniformly random org (and slot), so the whole store is in play.
local mode = os.getenv("BENCH_MODE") or "hello"
local perOrg = tonumber(os.getenv("BENCH_PER_ORG") or "1")
local auth = {}

function init(args)
  local file = os.getenv("BENCH_TOKENS")
  if file and file ~= "" then
    for line in io.lines(file) do
      if line ~= "" then auth[#auth + 1] = "Bearer " .. line end
    end
  end
  if #auth == 0 then auth[1] = "Bearer none" end
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8), 16) or 0))
end

local function slot(i) return string.format("slot-%06d", i) end

function request()
  local org = math.random(#auth)
  local headers = { ["Authorization"] = auth[org] }
  if mode == "get" then
    return wrk.format("GET", "/v1/ignite/secrets/" .. slot(math.random(0, perOrg - 1)), headers)
  elseif mode == "list" then
    return wrk.format("GET", "/v1/ignite/secrets?pageSize=100", headers)
  elseif mode == "create" then
    headers["Content-Type"] = "application/json"
    local i = perOrg > 1 and math.random(1, perOrg - 1) or 0
    local body = string.format(
      '{"name":"%s","value":{"gitSecret":{"username":"bot-%d","token":"ghp_rotated%08d%026d"}}}',
      slot(i), org - 1, math.random(0, 99999999), 0)
    return wrk.format("POST", "/v1/ignite/secrets", headers, body)
  end
  return wrk.format("GET", "/", headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
