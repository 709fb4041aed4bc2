-- data_rows.lua - a row of a data file per request, for bench_data.sh: the
-- file is $THRONG_BENCH_DATA, loaded one of four ways ($THRONG_BENCH_HOW):
--   none    not at all (the baseline: what the clients cost without it)
--   shared  throng.data.csv: parsed once per process, shared by every state
--   state   read and parsed in Lua at the script's top level: one copy per
--           Lua state (worker thread), the usual Lua idiom
--   client  read and parsed in Lua by each client's init: one copy per client
-- Each request asks GET /Xy?x=1&y=1 with the row's user in a header.
local throng = require "throng"

local path = os.getenv("THRONG_BENCH_DATA")
local how = os.getenv("THRONG_BENCH_HOW") or "shared"

-- The whole file as a list of rows keyed by the header's names (the file
-- has no quoted fields: a plain split is enough).
local function load_in_lua()
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  local rows, names = {}, nil
  for line in text:gmatch("[^\r\n]+") do
    local fields = {}
    for field in (line .. ","):gmatch("([^,]*),") do fields[#fields + 1] = field end
    if not names then
      names = fields
    else
      local row = {}
      for i, name in ipairs(names) do row[name] = fields[i] end
      rows[#rows + 1] = row
    end
  end
  return rows
end

local per_state = how == "state" and load_in_lua() or nil

local P = {}

function P:init()
  if how == "shared" then
    self.data = throng.data.csv(path, "cycle")
  elseif how == "client" then
    self.rows = load_in_lua()
  else
    self.rows = per_state
  end
  self.i = 0
end

function P:request()
  local user = "none"
  if self.data then
    user = self.data:next().user
  elseif self.rows then
    self.i = self.i % #self.rows + 1
    user = self.rows[self.i].user
  end
  return { method = "GET", path = "/Xy?x=1&y=1", headers = { ["X-User"] = user }, name = "row" }
end

return P
