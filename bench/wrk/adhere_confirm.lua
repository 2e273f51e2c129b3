-- Adhere: a patient confirms a dose, POST /api/v1/confirmations/ {"dose": "<objectId>"}.
-- Walks a list of (session token, dose objectId) lines so that every request confirms a
-- different pending dose: thread k of T takes lines offset+k, offset+k+T, offset+k+2T, ...
-- usage: wrk -t2 -c16 -d15s --latency -s adhere_confirm.lua URL -- pairs.tsv OFFSET THREADS
-- At the end it prints "hotpaths-used N": the next run starts there, so a warm-up and the
-- measured run never confirm the same dose; and "hotpaths-sent N", the requests it made
-- (completed or still in flight when wrk stopped). Past the end of the list it starts again (those
-- requests answer 200, the same confirmation) and says how many did.
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  pairs_ = {}  -- globals: done() reads offset and n through thread:get
  for line in io.lines(args[1]) do
    local token, dose = line:match("^([^\t]+)\t([^\t]+)$")
    if token then
      pairs_[#pairs_ + 1] = {
        token = token,
        body = '{"dose":"' .. dose .. '"}',
      }
    end
  end
  offset = tonumber(args[2] or "0")
  step = tonumber(args[3] or "1")
  n = 0
  path = "/api/v1/confirmations/"
end

function request()
  local index = offset + id + step * n
  n = n + 1
  local pair = pairs_[(index % #pairs_) + 1]
  return wrk.format("POST", path, {
    ["X-Session-Token"] = pair.token,
    ["Content-Type"] = "application/json",
  }, pair.body)
end

function done(summary, latency, requests)
  local most, sent = 0, 0
  for _, thread in ipairs(threads) do
    local count = thread:get("n") or 0
    sent = sent + count
    if count > most then most = count end
  end
  io.write(string.format("hotpaths-used %d\n", (threads[1]:get("offset") or 0) + most * #threads))
  io.write(string.format("hotpaths-sent %d\n", sent))
end
