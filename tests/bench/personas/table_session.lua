-- table_session.lua - the built-in table persona with method=GET, rewritten
-- as a user persona in the session style, for tests/bench/bench_personas.sh.
--
-- One session is request_count exchanges over the client's connection, as
-- the built-in persona's session is with --request-count: each asks
-- GET /Xy?x=X&y=Y for random x, y in 1..big_table (throng.random) with
-- client:get, and checks with throng.table_shape and client:check that the
-- reply has y rows of x numbers; a layer-cake Busy reply is counted with
-- client:fault("busy", ...) and the session goes on. Between exchanges it
-- thinks spread_out(slow_down) with client:sleep, and not at all when
-- slow_down is 0.
--
-- Arguments: request_count (--request-count, 1), big_table (--big-table,
-- 100), slow_down (--slow-down, 0.5).
local throng = require "throng"

local random, spread_out = throng.random, throng.spread_out
local table_shape = throng.table_shape
local format = string.format
local FATAL = { fatal = true } -- made once: the check runs per exchange

local P = {}

local function whole(args, name, min)
  local v = tonumber(args[name])
  if not v or v < min or v ~= math.floor(v) then
    error(format("%s must be a whole number of at least %d, not %s", name, min, tostring(args[name])))
  end
  return v
end

function P:init(args)
  self.big_table = whole(args, "big_table", 1)
  self.request_count = whole(args, "request_count", 1)
  local pause = tonumber(args.slow_down)
  if not pause or pause < 0 then
    error("slow_down must be a number of seconds, not " .. tostring(args.slow_down))
  end
  self.slow_down = pause
end

-- Why a reply is not the y-by-x table asked for; only made on a mismatch.
local function mismatch(r, x, y, rows, cols)
  if rows == nil then
    return format("not the matching table (status %d): %s", r.status, cols)
  end
  return format("not the matching table: asked for %dx%d, got %dx%d", x, y, cols, rows)
end

function P:session(client)
  local big, pause = self.big_table, self.slow_down
  for i = 1, self.request_count do
    if i > 1 and pause > 0 then client:sleep(spread_out(pause)) end
    local x, y = random(1, big), random(1, big)
    local r = client:get(format("/Xy?x=%d&y=%d", x, y))
    local rows, cols = table_shape(r)
    if rows == nil and cols:find("Busy", 1, true) then
      client:fault("busy", cols) -- counted; the session goes on
    else
      -- The message is only formatted when the check fails.
      local ok = rows == y and cols == x
      client:check(ok, "table", ok and FATAL or { fatal = true, message = mismatch(r, x, y, rows, cols) })
    end
  end
end

return P
