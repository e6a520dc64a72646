-- wrk script for the benchmark: GET as given on the command line, or (BENCH_BODY set) a POST of a
-- form whose submission_key is unique per request, so each accepted POST must make one ticket.
-- done() prints one line "BENCH {json}" with the figures the report needs.

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

local body = os.getenv("BENCH_BODY")
local run = os.getenv("BENCH_RUN") or "run"

if body then
  local counter = 0
  accepted = 0
  refused = 0
  tokens = ""

  function request()
    counter = counter + 1
    return wrk.format("POST", nil, nil, body .. "&submission_key=" .. run .. "-" .. tid .. "-" .. counter)
  end

  function response(status, headers, response_body)
    if status == 303 then
      accepted = accepted + 1
      -- /kiosk/tickets/<token>: the ticket this POST made, checked against the database afterwards
      tokens = tokens .. string.match(headers["Location"] or "", "[^/]*$") .. "\n"
    else
      refused = refused + 1
    end
  end
end

function done(summary, latency, requests)
  local accepted_total, refused_total = 0, 0
  local tokens_file = os.getenv("BENCH_TOKENS")
  local out = tokens_file and io.open(tokens_file, "w")
  for _, thread in ipairs(threads) do
    accepted_total = accepted_total + (thread:get("accepted") or 0)
    refused_total = refused_total + (thread:get("refused") or 0)
    if out then out:write(thread:get("tokens") or "") end
  end
  if out then out:close() end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"accepted": %d, "refused": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    accepted_total, refused_total))
end
