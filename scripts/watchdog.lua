-- The watchdog persona: a light, periodic look at the service's health, as
-- an operator's monitor takes it. Every exchange is GET /status, and the
-- answer must be 200 with the service's counters as JSON. From the second
-- look on, what happened since this client's previous look is judged too:
--
--   * uptime went backwards: the service restarted;
--   * more than max_busy of the requests it answered were Busy. This is
--     judged only once min_requests were answered since the last look, so
--     a single Busy reply on a quiet service is no alarm;
--   * bad (requests refused as malformed) grew by more than max_bad: some
--     client speaks the protocol wrongly;
--   * dropped (connections closed without an answer) grew by more than
--     max_dropped: the service is shedding load without saying Busy.
--
-- The first look only learns the counters: what happened before the
-- watchdog arrived is not its business. Any trouble ends the session with
-- an invalid fault that says what it saw.
--
-- Arguments (after --): every, seconds between looks within a session
-- (default 30, spread by +-25%); max_busy, a share (default 0.5);
-- min_requests (default 10); max_bad and max_dropped (default 0).
--
-- Between sessions the engine rests for --slow-down, not for `every`, so
-- the watchdog of the described system, four looks a session and thirty
-- seconds between any two, is:
--
--   throng run scripts/watchdog.lua -c 1 --request-count 4 --slow-down 30s -d 0
local throng = require "throng"
local lc = require "throng.layer_cake"

local decode, spread_out = throng.json.decode, throng.spread_out
local format = string.format
local number_arg = lc.number_arg

-- The counters every look needs, in the order they are checked.
local COUNTERS = { "uptime", "requests", "busy", "bad", "dropped" }

local P = {}

function P:init(args)
  self.every = number_arg(args, "every", 30, 0)
  self.max_busy = number_arg(args, "max_busy", 0.5, 0)
  self.min_requests = number_arg(args, "min_requests", 10, 1)
  self.max_bad = number_arg(args, "max_bad", 0, 0)
  self.max_dropped = number_arg(args, "max_dropped", 0, 0)
  self.req = { method = "GET", path = "/status", name = "status" }
  self.last = nil -- the counters at the previous look
end

function P:request()
  return self.req
end

-- The counters of a /status answer, or nil and why.
local function counters(res)
  if res.status ~= 200 then
    return nil, format("GET /status answered %d", res.status)
  end
  local c, why = decode(res.body)
  if type(c) ~= "table" then
    return nil, "GET /status did not answer a JSON object" .. (why and ": " .. why or "")
  end
  for _, name in ipairs(COUNTERS) do
    if type(c[name]) ~= "number" then
      return nil, format("GET /status has no %s counter", name)
    end
  end
  return c
end

-- What went wrong between two looks, or nil.
local function trouble(self, before, now)
  if now.uptime < before.uptime then
    return format("the service restarted: uptime %.1fs, %.1fs at the last look",
                  now.uptime, before.uptime)
  end
  local answered, busy = now.requests - before.requests, now.busy - before.busy
  if answered >= self.min_requests and busy > self.max_busy * answered then
    return format("%d of the %d requests answered since the last look were Busy (over %g)",
                  busy, answered, self.max_busy)
  end
  if now.bad - before.bad > self.max_bad then
    return format("bad grew by %d since the last look: requests refused as malformed",
                  now.bad - before.bad)
  end
  if now.dropped - before.dropped > self.max_dropped then
    return format("dropped grew by %d since the last look: connections closed unanswered",
                  now.dropped - before.dropped)
  end
end

function P:response(res)
  local now, why = counters(res)
  if not now then
    return false, why
  end
  local before = self.last
  self.last = now -- the next look is judged against this one, whatever it shows
  local problem = before and trouble(self, before, now)
  if problem then
    return false, problem
  end
  return true
end

function P:delay()
  return spread_out(self.every)
end

return P
