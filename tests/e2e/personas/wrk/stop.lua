-- Stops its thread after 50 responses.
local seen = 0
function response()
  seen = seen + 1
  if seen == 50 then wrk.thread:stop() end
end
