-- Requires helper.lua from its own folder and reads its arguments.
local helper = require "helper"
local throng = require "throng"
local P = {}
function P:init(args)
  assert(type(args.factor) == "number", "factor should arrive as a number")
  assert(args.label == "seven", "label should arrive as a string")
  assert(args.code == nil or args.code == "42", "code=42 should arrive as the string 42")
  assert(args.request_count == 2, "request_count should be 2")
  self.factor = args.factor
end
function P:request()
  return { method = "POST", path = helper.product_path(),
           json = { value = { x = self.factor, y = 6 } }, name = "product" }
end
function P:response(res)
  local v = throng.json.decode(res.body).value
  if v[2].value ~= self.factor * 6 then return false, "wrong product " .. tostring(v[2].value) end
end
return P
