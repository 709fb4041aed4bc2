-- Asks /Xy?x=1&y=N with N counting up from 0, one count per wrk thread,
-- and sends the count in an X-Count header too.
n = 0
function request()
  local path = "/Xy?x=1&y=" .. (n % 5 + 1)
  wrk.headers["X-Count"] = n
  n = n + 1
  return wrk.format(nil, path)
end
