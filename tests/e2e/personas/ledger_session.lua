-- A session-style persona for test_ledger_random.sh: one table request on
-- the client's connection, then `width` more at once, each over its own
-- connection (client:concurrently), every answer checked for its shape. A
-- Busy reply is counted as busy and the session goes on.
--
-- Arguments: big_table (largest side asked for), width=N (requests at once,
-- 2 by default), pause=SECONDS (a sleep between the two steps, 0 by default).
local throng = require "throng"

local random, table_shape = throng.random, throng.table_shape
local format = string.format

local P = {}

function P:init(args)
  self.big = tonumber(args.big_table) or 20
  self.width = tonumber(args.width) or 2
  self.pause = tonumber(args.pause) or 0
end

-- A table request of random size, and the size it asks for.
local function ask(self, name)
  local x, y = random(1, self.big), random(1, self.big)
  return { method = "POST", path = "/Xy", name = name,
           headers = { ["Content-Type"] = "application/json" },
           body = format('{"value":{"x":%d,"y":%d}}', x, y) }, x, y
end

-- Checks one answer against the size asked for.
local function judge(client, res, x, y)
  local rows, cols = table_shape(res)
  if rows == nil and cols:find("Busy", 1, true) then
    client:fault("busy", cols)
    return
  end
  client:check(rows == y and cols == x,
               format("not the matching table: asked for %dx%d, got %s", x, y,
                      rows and format("%dx%d", cols, rows) or tostring(cols)), { fatal = true })
end

function P:session(client)
  local req, x, y = ask(self, "first")
  judge(client, client:request(req), x, y)
  if self.pause > 0 then client:sleep(self.pause) end
  local reqs, sizes = {}, {}
  for i = 1, self.width do
    local r, rx, ry = ask(self, "together")
    reqs[i], sizes[i] = r, { rx, ry }
  end
  local answers = { client:concurrently(unpack(reqs)) }
  for i = 1, self.width do
    judge(client, answers[i], sizes[i][1], sizes[i][2])
  end
end

return P
