-- The session style's methods against two servers: sequence, concurrency,
-- a second target, json both ways, and the done hook.
local throng = require "throng"
local P = {}
function P:init(args) self.other = args.other end
function P:session(client)
  local d = client:post("/Divide", { json = { value = { x = 6, y = 4 } }, name = "divide" })
  client:check(d.status == 200, "divide refused", { fatal = true })
  local q = d:json().value[2].value
  client:check(q == 1.5, "6/4 should be 1.5", { fatal = true })
  local m, t = client:concurrently(
    { method = "POST", path = "/Multiply", json = { value = { x = q, y = 4 } } },
    { path = "/Xy?x=4&y=3" })
  client:check(m:json().value[2].value == 6, "1.5*4 should be 6", { fatal = true })
  local rows, cols = throng.table_shape(t)
  client:check(rows == 3 and cols == 4, "expected 3 rows of 4", { fatal = true })
  local other = client:connect(self.other)
  local s = other:get("/status")
  client:check(s.status == 200 and s:json().uptime ~= nil, "second server's status", { fatal = true })
  client:sleep(0.01)
  local zero = client:post("/Divide", { json = { value = { x = 1, y = 0 } } })
  client:check(zero.status == 500 and zero.body:find("division by zero", 1, true), "x/0 is a fault", { fatal = true })
end
function P:done(session)
  if not session.ok then throng.log("error", "session failed:", session.message) end
  if session.ok and session.requests ~= 5 then error("5 exchanges expected, got " .. session.requests) end
end
return P
