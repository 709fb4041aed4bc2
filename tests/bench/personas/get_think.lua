-- get_think.lua - GET / with a long think time between requests, for
-- tests/bench/bench_memory.sh: a small request-hook persona whose clients
-- spend nearly all their time connected and thinking.
local P = {}

local request = { method = "GET", path = "/", name = "get", response_body = "discard" }

function P:request()
  return request
end

function P:delay()
  return 60
end

return P
