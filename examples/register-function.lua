-- register-function.lua: the persona of register-function.c. Each client
-- asks the demonstration service (throng serve) for a small table and hands
-- the answer's body to throng.checksum, the function written in C that the
-- program registered before the run.
local throng = require "throng"

local P = {}

function P:request()
  return { method = "GET", path = "/Xy?x=4&y=3", name = "table" }
end

function P:response(res)
  if res.status ~= 200 then
    return false, "status " .. res.status
  end
  self.last = throng.checksum(res.body) -- runs the C function
end

function P:delay()
  return 0.01 -- seconds between the exchanges of a session
end

return P
