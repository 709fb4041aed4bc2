-- A session that asks for two tables at once, then checks both.
local P = {}
function P:session(client)
  local a, b = client:concurrently(
    { path = "/Xy?x=1&y=1", name = "left" },
    { path = "/Xy?x=2&y=2", name = "right" })
  client:check(a.status == 200 and b.status == 200, "both tables answered", { fatal = true })
end
return P
