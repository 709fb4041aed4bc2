-- A session reading the server's big tables, looking at nothing but the
-- status: each response's body must go back before the next request.
local P = {}
function P:session(client)
  for _ = 1, 5 do
    local res = client:get("/Xy?x=300&y=300", { name = "big" })
    client:check(res.status == 200, "status " .. res.status, { fatal = true })
  end
end
return P
