-- stuck_always.lua - every request hook loops for ever: each client of a
-- thread gets stuck in turn.
local P = {}

function P:request()
  while true do end
end

return P
