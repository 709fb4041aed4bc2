-- The second client created fails in its response hook on its third
-- exchange; every other client runs on.
local P = {}
local created = 0
function P:init(args)
  created = created + 1
  self.nth = created
  self.seen = 0
end
function P:request() return { path = "/status" } end
function P:response(res)
  self.seen = self.seen + 1
  if self.nth == 2 and self.seen == 3 then
    local missing = nil
    return missing.field
  end
end
return P
