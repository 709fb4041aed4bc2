-- stuck_hook.lua - a request hook that never returns: the worker thread's
-- 50th request loops in Lua for ever (every later one is fine). The
-- thread's other client is held up meanwhile.
local P = {}
local requests = 0 -- shared by the thread's clients

function P:request()
  requests = requests + 1
  if requests == 50 then
    while true do end
  end
  return { method = "POST", path = "/Xy", json = { value = { x = 2, y = 3 } } }
end

return P
