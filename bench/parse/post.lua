-- (a) a patient confirms a dose: POST /parse/classes/ConfirmationLog with a pointer to one
-- of their own reminders, ACL readable by that user only. The requests walk the patients and
-- their reminders in turn (thread k of T takes k, k+T, k+2T, ...), so consecutive requests
-- come from different patients and each reminder gets its share.
-- usage: wrk -t2 -c16 -d20s --latency -s post.lua http://127.0.0.1:1337 -- /path/users.tsv [THREADS]
package.path = ((debug.getinfo(1, "S").source:sub(2):match("(.*/)")) or "./") .. "?.lua;" .. package.path
local U = require("users")
local appId = os.getenv("PARSE_APP_ID") or "adhere-anchor"
local users, step, n
local counter = 0
function setup(thread) thread:set("tid", counter); counter = counter + 1 end
function init(args)
  users = U.load(args[1])
  step = tonumber(args[2] or "2")
  n = 0
end
function request()
  local index = (tid or 0) + step * n
  n = n + 1
  local u = users[(index % #users) + 1]
  local r = u.rems[math.floor(index / #users) % #u.rems + 1]
  local body = '{"reminder":{"__type":"Pointer","className":"MedicationReminder","objectId":"' .. r ..
    '"},"confirmedAt":{"__type":"Date","iso":"' .. os.date("!%Y-%m-%dT%H:%M:%S.000Z") ..
    '"},"ACL":{"' .. u.uid .. '":{"read":true}}}'
  return wrk.format("POST", "/parse/classes/ConfirmationLog", {
    ["X-Parse-Application-Id"] = appId,
    ["X-Parse-Session-Token"] = u.tok,
    ["Content-Type"] = "application/json",
  }, body)
end
