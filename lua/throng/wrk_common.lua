-- What the wrk persona (lua/throng/personas/wrk.lua) and the control state
-- of a wrk script (lua/throng/wrk_control.lua) share: wrk.format and the
-- text of a thread's values. require "throng.wrk_common".
local format, concat = string.format, table.concat

local M = {}

-- A Lua value as text that loadstring reads back: numbers, strings,
-- booleans and tables of them; other values are left out (nil).
function M.serialize(v, depth)
  local t = type(v)
  if t == "number" then
    if v ~= v then return "0/0" end
    if v == math.huge then return "1/0" end
    if v == -math.huge then return "-1/0" end
    return format("%.17g", v)
  elseif t == "string" then
    return format("%q", v)
  elseif t == "boolean" then
    return tostring(v)
  elseif t == "table" and (depth or 0) < 16 then
    local parts = {}
    for k, x in pairs(v) do
      local ks, xs = M.serialize(k, 16), M.serialize(x, (depth or 0) + 1)
      if ks and xs then parts[#parts + 1] = "[" .. ks .. "]=" .. xs end
    end
    return "{" .. concat(parts, ",") .. "}"
  end
  return nil
end

-- wrk.format(method, path, headers, body) of the wrk table wrk: an HTTP/1.1
-- request as text, wrk's fields where an argument is nil.
function M.make_format(wrk)
  return function(method, path, headers, body)
    method = method or wrk.method
    path = path or wrk.path
    headers = headers or wrk.headers
    body = body or wrk.body
    if not headers["Host"] then headers["Host"] = wrk.headers["Host"] end
    headers["Content-Length"] = body and #body or nil
    local s = { format("%s %s HTTP/1.1", method, path) }
    for name, value in pairs(headers) do
      s[#s + 1] = format("%s: %s", name, tostring(value))
    end
    s[#s + 1] = ""
    s[#s + 1] = body or ""
    return concat(s, "\r\n")
  end
end

return M
