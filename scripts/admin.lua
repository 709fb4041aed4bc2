-- The administrator persona: the maintenance check an administrator runs
-- now and then. Each session is one pass of:
--
--   1. GET /status: 200, and the service's counters as JSON;
--   2. POST /Divide of random whole numbers (never by zero): the answer
--      must be x / y within 1e-9 relative;
--   3. POST /Multiply of two more: the answer must be x * y, likewise;
--   4. GET /status again: the request count has grown by at least the two
--      crunch requests just answered (the service does not count /status).
--
-- The administrator thinks for spread_out(slow_down) between steps. A Busy
-- answer is counted as busy and asked again after a pause, up to retries
-- times; if the service stays busy that check is skipped, since Busy says
-- the service could not answer, not that it answered wrong.
--
-- Arguments: slow_down (--slow-down); after --: range, the largest operand
-- (default 1000000); retries (default 2); pause, seconds before asking
-- again (default 0.1). Uses the throng.layer_cake helpers.
--
--   throng run scripts/admin.lua -c 1 --slow-down 5s
local throng = require "throng"
local lc = require "throng.layer_cake"

local random, spread_out = throng.random, throng.spread_out
local decode = throng.json.decode

local STATUS = { name = "status" }

local P = {}

function P:init(args)
  self.slow_down = lc.number_arg(args, "slow_down", 0.5, 0)
  self.range = lc.number_arg(args, "range", 1000000, 1)
  self.retries = lc.number_arg(args, "retries", 2, 0)
  self.pause = lc.number_arg(args, "pause", 0.1, 0)
end

-- A named check that ends the session with an invalid fault saying why
-- when it fails.
local function must(client, name, ok, why)
  return client:check(ok, name, { fatal = true, message = why })
end

-- The request count /status reports; the session ends invalid when the
-- answer is not 200 with the counters as JSON.
local function requests_so_far(client)
  local res = client:get("/status", STATUS)
  must(client, "status answered", res.status == 200, "GET /status answered " .. res.status)
  local counters = decode(res.body)
  must(client, "request count", type(counters) == "table" and type(counters.requests) == "number",
       "GET /status has no request count: " .. res.body)
  return counters.requests
end

-- A random whole number in -range..range; never 0 when nonzero is set.
function P:operand(nonzero)
  local v = random(-self.range, self.range)
  while nonzero and v == 0 do
    v = random(-self.range, self.range)
  end
  return v
end

-- Asks for op of x and y and checks the answer against expected, unless
-- the service stays busy.
function P:crunch(client, op, x, y, expected, sign)
  local res = lc.ask(client, lc.crunch_request(op, x, y), self.retries, self.pause)
  if res then
    must(client, "answer", lc.check_output(res, expected, string.format("%d %s %d", x, sign, y)))
  end
end

function P:session(client)
  local before = requests_so_far(client)
  client:sleep(spread_out(self.slow_down))
  local x, y = self:operand(), self:operand(true)
  self:crunch(client, "Divide", x, y, x / y, "/")
  client:sleep(spread_out(self.slow_down))
  x, y = self:operand(), self:operand()
  self:crunch(client, "Multiply", x, y, x * y, "*")
  client:sleep(spread_out(self.slow_down))
  local after = requests_so_far(client)
  must(client, "count grew", after >= before + 2, string.format(
    "the request count went from %d to %d over a Divide and a Multiply", before, after))
end

return P
