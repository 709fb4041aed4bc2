-- setup: looks the URL's host up, tries a connection, and sends the second
-- thread to the server in $OTHER_ADDR by changing its thread.addr.
local n = 0
function setup(thread)
  n = n + 1
  local addrs = wrk.lookup(wrk.host, wrk.port)
  io.write(string.format("setup %d lookup %s connect %s\n", n, addrs[1], tostring(wrk.connect(addrs[1]))))
  if n == 2 then thread.addr = os.getenv("OTHER_ADDR") end
  io.write(string.format("setup %d addr %s\n", n, thread.addr))
end
