-- table_hooks.lua - the built-in table persona with method=GET, rewritten
-- as a user persona in the request style (request, response and delay
-- hooks), for tests/bench/bench_personas.sh.
--
-- Each exchange asks GET /Xy?x=X&y=Y for random x, y in 1..big_table
-- (throng.random) and checks with throng.table_shape that the reply has y
-- rows of x numbers; a layer-cake Busy reply is counted with
-- throng.fault("busy", ...). The think time is spread_out(slow_down), and 0
-- without a call when slow_down is 0.
--
-- Arguments: big_table (--big-table, 100), slow_down (--slow-down, 0.5).
local throng = require "throng"

local random, spread_out = throng.random, throng.spread_out
local table_shape, fault = throng.table_shape, throng.fault
local format = string.format

local P = {}

function P:init(args)
  local big = tonumber(args.big_table)
  if not big or big < 1 or big ~= math.floor(big) then
    error("big_table must be a whole number of at least 1, not " .. tostring(args.big_table))
  end
  local pause = tonumber(args.slow_down)
  if not pause or pause < 0 then
    error("slow_down must be a number of seconds, not " .. tostring(args.slow_down))
  end
  self.big_table = big
  self.slow_down = pause
  -- One request table per client, refilled for every exchange.
  self.req = { method = "GET", path = "/Xy", name = "table" }
end

function P:request()
  local big = self.big_table
  local x, y = random(1, big), random(1, big)
  self.x, self.y = x, y
  local req = self.req
  req.path = format("/Xy?x=%d&y=%d", x, y)
  return req
end

function P:response(res)
  local rows, cols = table_shape(res)
  if rows == self.y and cols == self.x then
    return true
  end
  if rows == nil then
    if cols:find("Busy", 1, true) then
      return fault("busy", cols)
    end
    return false, format("not the matching table (status %d): %s", res.status, cols)
  end
  return false, format("not the matching table: asked for %dx%d, got %dx%d",
                       self.x, self.y, cols, rows)
end

function P:delay()
  local pause = self.slow_down
  if pause == 0 then return 0 end
  return spread_out(pause)
end

return P
