-- stuck_in_c.lua - a request hook stuck inside a C function, where no
-- interrupt reaches: 0.8 s after the worker thread's first request (when
-- it has published figures a few times), a request matches a pattern that
-- backtracks for longer than the age of the universe.
local throng = require "throng"

local P = {}
local first -- the thread's first request

function P:request()
  local now = throng.now()
  first = first or now
  if now - first >= 0.8 then
    local s = ("a"):rep(40)
    s:find(("a*"):rep(40) .. "b")
  end
  return { method = "POST", path = "/Xy", json = { value = { x = 2, y = 3 } } }
end

return P
