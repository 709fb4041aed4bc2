-- The expert-user persona: the special cases that demanding users rely
-- on. Each session runs request_count rounds of:
--
--   1. a sequence where the second request needs the first's answer:
--      POST /Divide of x by y, then POST /Multiply of that quotient by y;
--      the answers must be x / y and x again, within 1e-9 relative;
--   2. two requests at once, over two connections: a big table (x, y in
--      1..big_table) and POST /Multiply of x by y, its number of cells; the
--      table must have y rows of x numbers, the product must be x * y.
--
-- Between rounds the expert thinks for spread_out(slow_down). Busy answers
-- are counted as busy. In the sequence a Busy answer is asked again after
-- a pause, up to retries times; if the service stays busy the rest of the
-- round is skipped. In the pair a Busy answer's check is skipped: asking
-- again would no longer be at once.
--
-- Arguments: big_table (--big-table, default 100); request_count
-- (--request-count, rounds per session); slow_down (--slow-down); after
-- --: range, the largest operand (default 1000000); retries (default 2);
-- pause, seconds before asking again (default 0.1). Uses the
-- throng.layer_cake helpers.
--
--   throng run scripts/expert.lua -c 5 --request-count 64 --slow-down 1s
local throng = require "throng"
local lc = require "throng.layer_cake"

local random, spread_out = throng.random, throng.spread_out
local format = string.format

-- A named check that ends the session with an invalid fault saying why
-- when it fails.
local function must(client, name, ok, why)
  return client:check(ok, name, { fatal = true, message = why })
end

local P = {}

function P:init(args)
  self.big_table = lc.number_arg(args, "big_table", 100, 1)
  self.rounds = lc.number_arg(args, "request_count", 1, 1)
  self.slow_down = lc.number_arg(args, "slow_down", 0.5, 0)
  self.range = lc.number_arg(args, "range", 1000000, 1)
  self.retries = lc.number_arg(args, "retries", 2, 0)
  self.pause = lc.number_arg(args, "pause", 0.1, 0)
end

-- A random whole number in 1..range with a random sign.
function P:operand()
  local v = random(1, self.range)
  return random(2) == 1 and v or -v
end

-- Asks for op of x and y, checks the answer against expected and returns
-- the number answered; nil when the service stayed busy.
function P:crunch(client, op, x, y, expected, what)
  local res = lc.ask(client, lc.crunch_request(op, x, y), self.retries, self.pause)
  if not res then
    return nil
  end
  must(client, "answer", lc.check_output(res, expected, what))
  return lc.output(res)
end

-- Step 1: x / y, then that quotient times y, which must give x back.
function P:divide_and_multiply(client)
  local x, y = self:operand(), self:operand()
  local q = self:crunch(client, "Divide", x, y, x / y, format("%d / %d", x, y))
  if q then
    self:crunch(client, "Multiply", q, y, x, format("(%d / %d) * %d", x, y, y))
  end
  return q ~= nil
end

-- Step 2: a big table and its cell count, asked at once.
function P:table_and_count(client)
  local x, y = random(1, self.big_table), random(1, self.big_table)
  local tab, count = client:concurrently(lc.table_request(x, y),
                                         lc.crunch_request("Multiply", x, y))
  if lc.is_busy(tab) then
    client:fault("busy", lc.BUSY)
  else
    must(client, "table", lc.check_table(tab, x, y))
  end
  if lc.is_busy(count) then
    client:fault("busy", lc.BUSY)
  else
    must(client, "cell count", lc.check_output(count, x * y, format("%d * %d", x, y)))
  end
end

function P:session(client)
  for round = 1, self.rounds do
    if round > 1 then
      client:sleep(spread_out(self.slow_down))
    end
    if self:divide_and_multiply(client) then
      self:table_and_count(client)
    end
  end
end

return P
