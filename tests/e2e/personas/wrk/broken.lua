-- Fails in response() on every 10th answer.
local n = 0
function response(status)
  n = n + 1
  if n % 10 == 0 then
    local missing
    return missing.field
  end
end
