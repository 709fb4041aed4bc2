-- request_defaults.lua - a request table whose fields partly come from a
-- metatable's __index (defaults shared by every request): those fields
-- count as given, as plain ones do.
local DEFAULTS = { __index = { method = "GET", name = "from-defaults" } }

local P = {}

function P:request()
  return setmetatable({ path = "/Xy?x=2&y=3" }, DEFAULTS)
end

return P
