-- The typical-user persona: the most common use of the service, by the
-- largest part of its users. Each exchange asks for a small random table
-- (POST /Xy with JSON) and checks that the answer has y rows of x numbers.
-- A Busy answer is counted as busy and the session goes on, as the
-- described system's client does. Between exchanges the user thinks for
-- spread_out(slow_down); after request_count exchanges the engine closes
-- the connection and rests for slow_down before the next session.
--
-- Arguments: small_table (after --), the largest side asked for, default
-- 10 and never more than --big-table; slow_down (--slow-down). With
-- --log-level debug each session is logged when it ends.
--
--   throng run scripts/typical.lua -c 100 --request-count 32 --slow-down 0.5s
local throng = require "throng"

local random, spread_out = throng.random, throng.spread_out
local table_shape, fault, log = throng.table_shape, throng.fault, throng.log
local format = string.format

local BUSY = "layer_cake.point_runtime.Busy"

local P = {}

-- args[name] as a whole number of at least 1 (any number of at least 0
-- when not whole), default when absent; an error naming it otherwise.
local function number_arg(args, name, default, whole)
  local v = args[name]
  if v == nil then return default end
  local min = whole and 1 or 0
  if type(v) ~= "number" or v < min or (whole and v ~= math.floor(v)) then
    error(format("%s must be a %s of at least %d, not %s", name,
                 whole and "whole number" or "number", min, tostring(v)), 2)
  end
  return v
end

function P:init(args)
  self.side = math.min(number_arg(args, "small_table", 10, true),
                       number_arg(args, "big_table", 100, true))
  self.slow_down = number_arg(args, "slow_down", 0.5, false)
  -- One request table per client, refilled for every exchange.
  self.xy = { x = 1, y = 1 }
  self.req = { method = "POST", path = "/Xy", name = "table", json = { value = self.xy } }
end

function P:request()
  self.xy.x, self.xy.y = random(1, self.side), random(1, self.side)
  return self.req
end

function P:response(res)
  local x, y = self.xy.x, self.xy.y
  local rows, cols = table_shape(res)
  if rows == nil then
    if cols == BUSY then
      return fault("busy", BUSY)
    end
    return false, format("not a table (status %d): %s", res.status, cols)
  end
  if rows ~= y or cols ~= x then
    return false, format("not the matching table: asked for %dx%d, got %dx%d", x, y, cols, rows)
  end
  if res.status ~= 200 then
    return false, format("the table came with status %d", res.status)
  end
  return true
end

function P:delay()
  return spread_out(self.slow_down)
end

function P:done(session)
  if session.ok then
    log("debug", format("session of %d requests in %.3fs", session.requests, session.elapsed))
  else
    log("debug", format("session ended after %d requests by a %s fault: %s",
                        session.requests, session.fault, session.message))
  end
end

return P
