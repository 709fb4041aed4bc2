-- The table-request persona: the testing client of the layer-cake
-- demonstration service. Each exchange asks for a random x-by-y table and
-- checks that the reply has y rows of x numbers; a Busy reply is counted as
-- busy; between exchanges the client thinks for spread_out(slow_down).
--
-- Arguments: big_table (largest side asked for), slow_down (seconds), and
-- method=GET to ask with GET /Xy?x=&y= instead of POST /Xy with JSON.
--
-- Only a reply's shape is needed: the requests say response_body = "shape",
-- so that a reply is scanned as it streams in and never kept whole, and
-- a huge reply costs no memory.
local throng = require "throng"

local random, spread_out = throng.random, throng.spread_out
local table_shape, fault = throng.table_shape, throng.fault
local format = string.format

-- The reference server matches these names case-sensitively.
local JSON_HEADERS = { ["Content-Type"] = "application/json" }

local P = {}

function P:init(args)
  local method = string.upper(tostring(args.method or "POST"))
  if method ~= "POST" and method ~= "GET" then
    error("method must be POST or GET, not " .. method)
  end
  local big = args.big_table == nil and 100 or tonumber(args.big_table)
  if not big or big < 1 or big ~= math.floor(big) then
    error("big_table must be a whole number of at least 1, not " .. tostring(args.big_table))
  end
  local pause = args.slow_down == nil and 0.5 or tonumber(args.slow_down)
  if not pause or pause < 0 then
    error("slow_down must be a number of seconds, not " .. tostring(args.slow_down))
  end
  self.big_table = big
  self.slow_down = pause
  self.get = method == "GET"
  -- One request table per client, refilled for every exchange.
  self.req = { method = method, path = "/Xy", name = "table", response_body = "shape",
               headers = (not self.get) and JSON_HEADERS or nil }
end

function P:request()
  local x, y = random(1, self.big_table), random(1, self.big_table)
  self.x, self.y = x, y
  local req = self.req
  if self.get then
    req.path = format("/Xy?x=%d&y=%d", x, y)
  else
    req.body = format('{"value":{"x":%d,"y":%d}}', x, y)
  end
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
  return spread_out(self.slow_down)
end

return P
