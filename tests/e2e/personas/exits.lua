-- A session that tries to end the process.
local P = {}
function P:session(client)
  client:get("/status", { name = "status" })
  os.exit(7)
end
return P
