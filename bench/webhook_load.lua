-- wrk script for bench/bench_webhooks.py: sends pre-signed webhook deliveries, each once.
--
-- The requests file (its path in the REQUESTS environment variable) holds one delivery per
-- line: "<path>\t<signature header value>\t<JSON body>". Thread i of n sends lines i, i+n, ...
-- so no two connections send the same delivery (a repeat would be a replay, answered 200).
-- When a thread runs out of lines it stops sending. done() prints one JSON line for the
-- Python side: request count, status counts, duration and latency percentiles.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(os.getenv("THREADS"))
  requests = {}
  statuses = {}
  local line_no = 0
  for line in io.lines(os.getenv("REQUESTS")) do
    if line_no % nthreads == index then
      local path, signature, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = { ["Content-Type"] = "application/json" }
      if signature ~= "" then
        headers["X-Acme-Signature"] = signature
      end
      table.insert(requests, wrk.format("POST", path, headers, body))
    end
    line_no = line_no + 1
  end
  cursor = 0
end

function request()
  cursor = cursor + 1
  if cursor > #requests then
    wrk.thread:stop()
    return requests[#requests]
  end
  return requests[cursor]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, count in pairs(counts) do
      merged[tostring(status)] = (merged[tostring(status)] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(merged) do
    table.insert(parts, string.format('"%s": %d', status, count))
  end
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "errors": %d, "statuses": {%s}, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "p999_us": %d, "max_us": %d}\n',
    summary.requests,
    summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ", "),
    latency:percentile(50),
    latency:percentile(90),
    latency:percentile(99),
    latency:percentile(99.9),
    latency.max
  ))
end
