-- wrk script: every request lays a flower with a fresh client id and idempotency key.
local counter = 0
local threads = {}
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  n = 0
  run = os.time()
end
request = function()
  n = n + 1
  local body = string.format(
    '{"target":{"site":"chifeng-martyrs-cemetery"},"kind":"flower","client_id":"b%d-%d","idempotency_key":"k%d-%d-%d"}',
    tid, n, run, tid, n)
  return wrk.format("POST", "/api/v1/memorial/offerings", {["Content-Type"] = "application/json"}, body)
end
