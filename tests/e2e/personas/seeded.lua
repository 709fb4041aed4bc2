-- Logs every random choice, so two runs with the same --seed can be compared.
local throng = require "throng"
local P = {}
function P:request()
  local x, y = throng.random(1, 1000), throng.random(1, 1000)
  throng.log("info", "asked", x, y, throng.spread_out(1))
  return { method = "POST", path = "/Multiply", json = { value = { x = x, y = y } } }
end
return P
