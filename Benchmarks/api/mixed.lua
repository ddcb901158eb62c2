-- wrk script for memory.sh: a mixed load, per request 45 % GET a vial, 45 % GET a page of 20 lots, 10 % POST a lot.
-- Environment: TOKEN (manufacturing: it may read and register), VIAL (a vial id), RUN_TAG.
dofile("Benchmarks/api/report.lua")
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  math.randomseed(tid * 7919)
  tag = os.getenv("RUN_TAG") or "M"
  vial = os.getenv("VIAL")
end

function request()
  counter = counter + 1
  local r = math.random(100)
  local auth = wrk.headers["Authorization"]
  if r <= 45 then
    return wrk.format("GET", "/vials/" .. vial, { ["Authorization"] = auth })
  elseif r <= 90 then
    return wrk.format("GET", "/lots?product=ALLO-501&limit=20", { ["Authorization"] = auth })
  end
  local body = string.format(
    '{"lotNumber":"MIX-%s-%d-%d","productCode":"ALLO-501","donorCode":"DN-000101",' ..
    '"manufacturedOn":"2026-11-01","cellsPerVial":40000000,"vialCount":100}', tag, tid, counter)
  return wrk.format("POST", "/lots", { ["Content-Type"] = "application/json", ["Authorization"] = auth }, body)
end
