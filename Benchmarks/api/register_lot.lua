-- wrk script: POST /lots, each request a new lot number (thread number, run tag and a counter).
-- Environment: TOKEN (manufacturing), RUN_TAG (A-Z0-9, unique per run), ACK_DIR (where each thread writes the
-- lot numbers the server acknowledged with 201, one a line, for run.sh to check against the database).
dofile("Benchmarks/api/report.lua")
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  failures = 0
  acked = 0
  tag = os.getenv("RUN_TAG") or "R"
  acks = io.open(os.getenv("ACK_DIR") .. "/acks-" .. tid, "w")
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"lotNumber":"WRK-%s-%d-%d","productCode":"ALLO-501","donorCode":"DN-000101",' ..
    '"manufacturedOn":"2026-11-01","cellsPerVial":40000000,"vialCount":100}', tag, tid, counter)
  return wrk.format("POST", "/lots", { ["Content-Type"] = "application/json", ["Authorization"] = wrk.headers["Authorization"] }, body)
end

function response(status, headers, body)
  if status == 201 then
    acked = acked + 1
    acks:write(string.match(body, '"lotNumber":"([^"]+)"'), "\n")
    acks:flush()
  else
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local total, ok = 0, 0
  for _, t in ipairs(threads) do total = total + t:get("failures"); ok = ok + t:get("acked") end
  report(summary, latency, string.format(" acked=%d non201=%d", ok, total))
end
