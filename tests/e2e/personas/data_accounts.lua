-- An account per client from a data file: the file and the access mode come
-- as arguments (file=PATH mode=unique|cycle|random; default the small
-- data_accounts.csv beside this script, cycle). Each request carries the
-- client's account in X-Account and a token made in init in X-Client, so
-- that the server's record tells which client used which rows. unique takes
-- one row per client, at its first request; cycle and random a row per
-- request.
local throng = require "throng"

local P = {}

function P:init(args)
  self.data = throng.data.csv(args.file or "data_accounts.csv", args.mode or "cycle")
  self.mode = args.mode or "cycle"
  self.token = ("%08x%08x"):format(throng.random(0, 0x7fffffff), throng.random(0, 0x7fffffff))
end

function P:request()
  local user = self.user
  if not user or self.mode ~= "unique" then
    user = self.data:next().user
    if self.mode == "unique" then self.user = user end
  end
  return {
    method = "GET",
    path = "/account",
    headers = { ["X-Account"] = user, ["X-Client"] = self.token },
    name = "account",
  }
end

return P
