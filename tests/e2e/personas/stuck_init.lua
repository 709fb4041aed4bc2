-- stuck_init.lua - an init hook that never returns.
local P = {}

function P:init()
  while true do end
end

function P:request()
  return { path = "/status" }
end

return P
