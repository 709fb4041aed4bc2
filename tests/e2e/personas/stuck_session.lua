-- stuck_session.lua - a session whose code loops for ever between two
-- exchanges, at the worker thread's 50th exchange.
local exchanges = 0

return {
  session = function(self, client)
    for _ = 1, 5 do
      exchanges = exchanges + 1
      if exchanges == 50 then
        while true do end
      end
      client:post("/Xy", { json = { value = { x = 2, y = 3 } } })
    end
  end,
}
