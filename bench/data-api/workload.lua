-- wrk script for bench/data-api/run.sh and bench/functions/run.sh: the workloads, identical for
-- both servers.
--
--   wrk -t2 -c32 -d15s --latency --timeout 30s -s workload.lua http://127.0.0.1:PORT -- MODE [IDS]
--
-- MODE: create  POST /parse/classes/BenchItem {"score": n, "name": "item<n>", "tag": "t<n%10>"};
--               `create CLASS` creates in CLASS instead
--       get     GET  /parse/classes/BenchItem/<objectId>, cycling over the ids in the file IDS
--       query   GET  /parse/classes/BenchItem?where={"tag":"t3","score":{"$gte":100}}&order=-score&limit=20
--       batch   POST /parse/batch with 50 creates
--       get_session, query_session   get and query on BenchItem with the session token of a user
--       get_acl, query_acl           the same on SecureItem, whose objects only that user may read
--       login   GET /parse/login?username=benchuser&password=... (a new session each time)
--       function [NAME]  POST /parse/functions/NAME (default noop) with the body {}
--       serverinfo       GET /parse/serverInfo (needs the master key)
-- BENCH_SESSION_TOKEN holds the token for the *_session and *_acl modes.
-- Every request carries X-Parse-Application-Id and X-Parse-REST-API-Key, or X-Parse-Master-Key
-- instead of the REST key when BENCH_MASTER_KEY is set. The script counts responses outside 2xx
-- (wrk itself only counts statuses >= 400) and, for batch, the sub-requests answered with an
-- error. done() prints one line "RESULT {json}" that run.sh reads.

local app_id = os.getenv("BENCH_APP_ID") or "benchApp"
local rest_key = os.getenv("BENCH_REST_KEY") or "benchRestKey"
local mount = "/parse"

wrk.headers["X-Parse-Application-Id"] = app_id
if os.getenv("BENCH_MASTER_KEY") and os.getenv("BENCH_MASTER_KEY") ~= "" then
  wrk.headers["X-Parse-Master-Key"] = os.getenv("BENCH_MASTER_KEY")
else
  wrk.headers["X-Parse-REST-API-Key"] = rest_key
end

-- Main state: one entry per thread, to collect the counters in done().
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

-- Per-thread state.
local mode
local reqs = {}     -- prebuilt requests (get: one per id; query, login, function, serverinfo: one)
local create_class = "BenchItem"
local idx = 0
local n = 0         -- create/batch: next score
bad = 0             -- responses outside 2xx
item_errors = 0     -- batch: sub-requests answered with "error"
first_bad = ""      -- first unexpected answer, for the report

local function item(k)
  return string.format('{"score":%d,"name":"item%d","tag":"t%d"}', k, k, k % 10)
end

function init(args)
  mode = args[1]
  local cls = "BenchItem"
  if mode == "get_acl" or mode == "query_acl" then cls = "SecureItem" end
  if mode:find("_session$") or mode:find("_acl$") then
    wrk.headers["X-Parse-Session-Token"] = assert(os.getenv("BENCH_SESSION_TOKEN"), "BENCH_SESSION_TOKEN")
    mode = mode:gsub("_session$", ""):gsub("_acl$", "")
  end
  if mode == "login" then
    reqs[1] = wrk.format("GET", mount .. "/login?username=benchuser&password=bench-password-1")
    return
  end
  n = (tid + 1) * 100000000 -- distinct scores per thread, far from the seeded 0..N-1
  if mode == "get" then
    local f = assert(io.open(args[2], "r"), "ids file")
    for id in f:lines() do
      if id ~= "" then
        reqs[#reqs + 1] = wrk.format("GET", mount .. "/classes/" .. cls .. "/" .. id)
      end
    end
    f:close()
    assert(#reqs > 0, "no ids in " .. args[2])
    idx = (tid * 7919) % #reqs -- threads start at different places
  elseif mode == "query" then
    local where = '{"tag":"t3","score":{"$gte":100}}'
    local enc = where:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end)
    reqs[1] = wrk.format("GET", mount .. "/classes/" .. cls .. "?where=" .. enc .. "&order=-score&limit=20")
  elseif mode == "create" then
    wrk.headers["Content-Type"] = "application/json"
    create_class = args[2] or create_class
  elseif mode == "function" then
    wrk.headers["Content-Type"] = "application/json"
    reqs[1] = wrk.format("POST", mount .. "/functions/" .. (args[2] or "noop"), nil, "{}")
  elseif mode == "serverinfo" then
    reqs[1] = wrk.format("GET", mount .. "/serverInfo")
  elseif mode == "batch" then
    wrk.headers["Content-Type"] = "application/json"
  else
    error("unknown mode " .. tostring(mode))
  end
end

function request()
  if mode == "get" then
    idx = idx % #reqs + 1
    return reqs[idx]
  elseif mode == "query" or mode == "login" or mode == "function" or mode == "serverinfo" then
    return reqs[1]
  elseif mode == "create" then
    n = n + 1
    return wrk.format("POST", mount .. "/classes/" .. create_class, nil, item(n))
  else -- batch
    local parts = {}
    for i = 1, 50 do
      n = n + 1
      parts[i] = '{"method":"POST","path":"' .. mount .. '/classes/BenchItem","body":' .. item(n) .. '}'
    end
    return wrk.format("POST", mount .. "/batch", nil, '{"requests":[' .. table.concat(parts, ",") .. ']}')
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(body or "", 1, 200) end
  elseif mode == "batch" then
    local _, errs = string.gsub(body, '"error"', "")
    if errs > 0 then
      item_errors = item_errors + errs
      if first_bad == "" then first_bad = status .. " " .. string.sub(body, 1, 200) end
    end
  end
end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
end

function done(summary, latency, requests)
  local b, ie, fb = 0, 0, ""
  for _, t in ipairs(threads) do
    b = b + t:get("bad")
    ie = ie + t:get("item_errors")
    if fb == "" then fb = t:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"rps":%.2f,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"non2xx":%d,"item_errors":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
    '"timeouts":%d,"status_errors":%d,"first_bad":%s}\n',
    summary.requests, summary.duration, summary.bytes, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    b, ie, e.connect, e.read, e.write, e.timeout, e.status, json_string(fb)))
end
