-- stuck_in_c.lua - a request hook stuck inside a C function, where no
-- interrupt reaches: the worker thread's 50th request matches a pattern
-- that backtracks for longer than the age of the universe.
local P = {}
local requests = 0

function P:request()
  requests = requests + 1
  if requests == 50 then
    local s = ("a"):rep(40)
    s:find(("a*"):rep(40) .. "b")
  end
  return { method = "POST", path = "/Xy", json = { value = { x = 2, y = 3 } } }
end

return P
