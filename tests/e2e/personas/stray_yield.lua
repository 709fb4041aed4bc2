-- A session that yields by itself, not through a client method.
local P = {}
function P:session(client)
  client:get("/status", { name = "status" })
  coroutine.yield()
end
return P
