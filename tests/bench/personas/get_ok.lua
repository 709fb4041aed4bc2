-- get_ok.lua - GET / and expect 200, for tests/bench/bench_tls.sh: the
-- smallest exchange, so that what a run costs is the connection and TLS.
-- The reply's body is not kept (response_body = "discard").
local P = {}

local request = { method = "GET", path = "/", name = "get", response_body = "discard" }

function P:request()
  return request
end

function P:response(res)
  if res.status ~= 200 then return false, "status " .. res.status end
end

function P:delay()
  return 0
end

return P
