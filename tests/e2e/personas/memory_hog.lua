-- A session that allocates without bound after one request.
local P = {}
function P:session(client)
  client:get("/status", { name = "status" })
  local t = {}
  while true do t[#t + 1] = string.rep("x", 1000000) .. #t end
end
return P
