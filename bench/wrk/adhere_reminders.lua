-- Adhere: a patient lists their reminders, GET /api/v1/reminders/ with their session token.
-- usage: wrk -t2 -c16 -d15s --latency -s adhere_reminders.lua URL -- tokens.txt
-- Tokens are taken in turn, each thread starting at a different place.
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local tokens, n
function init(args)
  tokens = {}
  for line in io.lines(args[1]) do
    if line ~= "" then tokens[#tokens + 1] = line end
  end
  n = id * 7919
end

function request()
  n = n + 1
  return wrk.format("GET", "/api/v1/reminders/", {
    ["X-Session-Token"] = tokens[(n % #tokens) + 1],
  })
end
