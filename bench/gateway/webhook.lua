-- wrk script: signed GitHub push deliveries, each with its own X-GitHub-Delivery. The gateway builds a
-- commit once per app: only the first request of a run is a new release (202 and one
-- build.requested); every later one is answered 200 {duplicateOf} (verified, parsed and deduped, no
-- Kafka write) and counted apart as a duplicate.
-- Environment: BENCH_BODY (payload file), BENCH_SIG (its X-Hub-Signature-256), BENCH_RUN (unique
-- per run), BENCH_DELAY_MS (pause per connection between requests: paces the rate; 0 = flat out).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix = string.format("bench-%s-%d-", os.getenv("BENCH_RUN") or "run", tid)
  accepted = 0
  duplicate = 0
  other = 0
  local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
  body = f:read("*a")
  f:close()
  sig = os.getenv("BENCH_SIG")
  pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/webhooks/github", {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "GitHub-Hookshot/bench",
    ["X-GitHub-Event"] = "push",
    ["X-GitHub-Hook-ID"] = "109948940",
    ["X-GitHub-Delivery"] = prefix .. counter,
    ["X-Hub-Signature-256"] = sig,
  }, body)
end

function delay()
  return pause
end

function response(status, headers, resp)
  if status == 202 then
    accepted = accepted + 1
  elseif status == 200 then
    duplicate = duplicate + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local acc, dup, oth = 0, 0, 0
  for _, t in ipairs(threads) do
    acc = acc + t:get("accepted")
    dup = dup + t:get("duplicate")
    oth = oth + t:get("other")
  end
  io.write(string.format("RESULT %d %d %d %.2f %.2f %.2f %d %d\n", acc, oth, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, dup))
end
