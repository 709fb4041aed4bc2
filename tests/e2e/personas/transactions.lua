-- A session with one transaction of three requests and two named checks:
-- "status ok" always passes, "coin" fails about half the time (its failure
-- marks the transaction failed, and the session goes on).
local throng = require "throng"
local P = {}
function P:session(client)
  client:transaction("checkout", function()
    local s = client:get("/status", { name = "status" })
    client:check(s.status == 200, "status ok")
    client:post("/Multiply", { json = { value = { x = 6, y = 7 } }, name = "multiply" })
    client:get("/status", { name = "status" })
    client:check(throng.random(2) == 1, "coin")
  end)
end
return P
