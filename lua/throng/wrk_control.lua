-- The control state of a wrk script (engine/src/lua/wrk_script.c): the
-- state where setup(thread) and done(summary, latency, requests) run, as
-- wrk runs them in its main thread. Called with the URL's parts, the -H
-- lines and the C functions behind wrk.lookup and wrk.connect; sets the
-- global wrk table and returns the helpers wrk_script.c uses: thread
-- objects, their set values as text, the threads' ends, stats objects.
local scheme, host, port, path, hdrs, lookup, connect = ...
local common = require "throng.wrk_common"
local serialize = common.serialize

wrk = { scheme = scheme, host = host, port = port, method = "GET", path = path,
        headers = {}, body = nil, lookup = lookup, connect = connect }
for line in hdrs:gmatch("[^\n]+") do
  local n, v = line:match("^([^:]+):%s*(.-)%s*$")
  if n then wrk.headers[n] = v end
end

wrk.format = common.make_format(wrk)

-- thread:get reads what the thread's script held at its end (done), else
-- what setup set; thread:stop does nothing outside the thread.
local thread_meta = { __index = {
  get = function(self, name)
    local v = self.__ended and self.__ended[name]
    if v == nil then v = self.__sets[name] end
    return v
  end,
  set = function(self, name, value) self.__sets[name] = value end,
  stop = function(self) end,
} }

local M = {}

function M.thread(addr) return setmetatable({ addr = addr, __sets = {} }, thread_meta) end

function M.sets(t) return serialize(t.__sets) or "{}" end

-- The globals the thread's script held at its end, as the text its persona
-- handed to throng.wrk_keep when its Lua state closed.
function M.ended(t, text)
  local f = loadstring("return " .. text, "=thread")
  if f then setfenv(f, {}); local ok, v = pcall(f); if ok then t.__ended = v end end
end

-- wrk's statistics object: min, max, mean, stdev, percentile(p), and
-- (value, count) by index.
function M.stats(values, counts, min, max, mean, stdev, total)
  local p = newproxy(true)
  local m = getmetatable(p)
  local function percentile(_, q)
    local rank = math.max(1, math.floor(q / 100 * total + 0.5))
    local seen = 0
    for i = 1, #values do
      seen = seen + counts[i]
      if seen >= rank then return values[i] end
    end
    return max
  end
  local fields = { min = min, max = max, mean = mean, stdev = stdev, percentile = percentile }
  m.__index = function(_, k)
    if type(k) == "number" then return values[k], counts[k] end
    return fields[k]
  end
  m.__call = function(_, i) return values[i], counts[i] end
  m.__len = function() return #values end
  return p
end

return M
