-- wrk: one machine-readable line per run (read by run.sh), besides wrk's own report.
-- Answers later than LATE_MS (default 2000) are counted from wrk's latency histogram;
-- run wrk with a --timeout well above it, so that they are measured instead of dropped as timeouts.
-- Environment: TOKEN (a bearer token, added to every request unless the script builds its own).
local token = os.getenv("TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end

function report(summary, latency, extra)
  local late_us = tonumber(os.getenv("LATE_MS") or "2000") * 1000
  -- wrk 4.1's percentile(p) is the value at rank round(p/100 * n + 0.5) of the n recorded latencies:
  -- find the first rank later than the limit by bisection.
  local n, late = summary.requests, 0
  local function at(rank) return latency:percentile((rank - 0.5) / n * 100) end
  if n > 0 and latency.max > late_us then
    local lo, hi = 0, n  -- at(hi) > limit; at(lo) <= limit (rank 0: none)
    while hi - lo > 1 do
      local mid = math.floor((lo + hi) / 2)
      if at(mid) > late_us then hi = mid else lo = mid end
    end
    late = n - hi + 1
  end
  local e = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.1f late=%d timeouts=%d non2xx=%d socket_errors=%d%s\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, late,
    e.timeout, e.status, e.connect + e.read + e.write, extra or ""))
end

function done(summary, latency, requests) report(summary, latency) end
