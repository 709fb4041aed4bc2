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
local lc = require "throng.layer_cake"

local random, spread_out = throng.random, throng.spread_out
local fault, log = throng.fault, throng.log
local number_arg = lc.number_arg
local format = string.format

local P = {}

function P:init(args)
  self.side = math.min(number_arg(args, "small_table", 10, 1, true),
                       number_arg(args, "big_table", 100, 1, true))
  self.slow_down = number_arg(args, "slow_down", 0.5, 0)
  -- One request table per client, refilled for every exchange.
  self.xy = { x = 1, y = 1 }
  self.req = { method = "POST", path = "/Xy", name = "table", json = { value = self.xy } }
end

function P:request()
  self.xy.x, self.xy.y = random(1, self.side), random(1, self.side)
  return self.req
end

function P:response(res)
  local ok, why = lc.check_table(res, self.xy.x, self.xy.y)
  if not ok and lc.is_busy(res) then
    return fault("busy", lc.BUSY)
  end
  return ok, why
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
