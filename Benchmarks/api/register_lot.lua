-- wrk script: POST /lots, each request a new lot number (thread number, run tag and a counter).
-- Environment: TOKEN (manufacturing), RUN_TAG (A-Z0-9, unique per run). Counts non-201 answers.
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  failures = 0
  token = os.getenv("TOKEN")
  tag = os.getenv("RUN_TAG") or "R"
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"lotNumber":"WRK-%s-%d-%d","productCode":"ALLO-501","donorCode":"DN-000101",' ..
    '"manufacturedOn":"2026-11-01","cellsPerVial":40000000,"vialCount":100}', tag, tid, counter)
  return wrk.format("POST", "/lots", { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end

function response(status, headers, body)
  if status ~= 201 then
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("failures") end
  io.write(string.format("non-201 responses: %d\n", total))
end
