-- A session with one transaction of three requests and two named checks:
-- "status ok" always passes, "coin" fails about half the time (a failed
-- check marks the transaction failed, and the session goes on). With
-- mode=fatal, a fatal check ends the session inside transaction "pay";
-- with mode=nested, a transaction opened inside another is refused; with
-- mode=raise, an error raised inside "pay" is recorded and raised again.
local throng = require "throng"
local P = {}

function P:init(args)
  self.mode = args.mode or "plain"
end

function P:session(client)
  if self.mode == "fatal" then
    client:transaction("pay", function()
      client:get("/status", { name = "status" })
      client:check(false, "paid", { fatal = true })
    end)
    return
  elseif self.mode == "nested" then
    client:transaction("outer", function()
      client:transaction("inner", function() end)
    end)
    return
  elseif self.mode == "raise" then
    local ok = pcall(client.transaction, client, "pay", function()
      client:get("/status", { name = "status" })
      error("declined")
    end)
    client:check(not ok, "raised again")
    return
  end
  local n = client:transaction("checkout", function()
    local s = client:get("/status", { name = "status" })
    client:check(s.status == 200, "status ok")
    client:post("/Multiply", { json = { value = { x = 6, y = 7 } }, name = "multiply" })
    client:get("/status", { name = "status" })
    client:check(throng.random(2) == 1, "coin")
    return 3
  end)
  client:check(n == 3, "returned", { fatal = true })
end

return P
