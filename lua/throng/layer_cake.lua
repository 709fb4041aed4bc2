-- Helpers for personas of the layer-cake demonstration service (`throng
-- serve`): the requests it understands and checks of the answers it
-- gives. It ships inside the engine, as the throng module does: personas
-- load it with require "throng.layer_cake" (the ones of scripts/ do).
--
-- Answers come in the layer-cake envelope {"value":[TYPE, VALUE, []]}:
-- TYPE "vector<vector<float8>>" for a table, "Output" for a crunch result,
-- "layer_cake.point_runtime.Busy" or "...Faulted" for a fault.
local throng = require "throng"

local decode, table_shape, spread_out = throng.json.decode, throng.table_shape, throng.spread_out
local abs, max, floor, format = math.abs, math.max, math.floor, string.format

local M = {}

M.BUSY = "layer_cake.point_runtime.Busy"
M.TOLERANCE = 1e-9 -- relative: the service computes in doubles, as Lua does

-- POST /Xy asking for an x-by-y table. Only the answer's shape is wanted
-- (check_table, is_busy): the body is scanned as it arrives, never kept.
function M.table_request(x, y)
  return { method = "POST", path = "/Xy", name = "table", json = { value = { x = x, y = y } },
           response_body = "shape" }
end

-- POST /Multiply or /Divide (op) of x and y.
function M.crunch_request(op, x, y)
  return { method = "POST", path = "/" .. op, json = { value = { x = x, y = y } } }
end

-- Whether an answer is the layer-cake Busy fault.
function M.is_busy(res)
  local rows, why = table_shape(res)
  return rows == nil and why == M.BUSY
end

-- Whether a and b agree within the relative tolerance.
function M.close(a, b)
  return a == b or abs(a - b) <= M.TOLERANCE * max(abs(a), abs(b))
end

-- The start of a body, for a message.
local function excerpt(body)
  return #body > 80 and body:sub(1, 77) .. "..." or body
end

-- The number of an Output answer, or nil and why.
function M.output(res)
  local doc = decode(res.body)
  local value = type(doc) == "table" and doc.value
  local output = type(value) == "table" and value[1] == "Output" and value[2]
  if res.status ~= 200 or type(output) ~= "table" or type(output.value) ~= "number" then
    return nil, format("not an Output answer (status %d): %s", res.status, excerpt(res.body))
  end
  return output.value
end

-- Checks the answer to a crunch request named what (such as "7 / 3")
-- against the number expected: true, or false and why.
function M.check_output(res, expected, what)
  local got, why = M.output(res)
  if got == nil then
    return false, what .. ": " .. why
  end
  if not M.close(got, expected) then
    return false, format("%s: answered %.17g, expected %.17g", what, got, expected)
  end
  return true
end

-- Checks the answer to a request for an x-by-y table: true, or false and
-- why.
function M.check_table(res, x, y)
  local rows, cols = table_shape(res)
  if rows == nil then
    return false, format("not a table (status %d): %s", res.status, cols)
  end
  if rows ~= y or cols ~= x then
    return false, format("not the matching table: asked for %dx%d, got %dx%d", x, y, cols, rows)
  end
  if res.status ~= 200 then
    return false, format("the table came with status %d", res.status)
  end
  return true
end

-- In a session: sends req and returns the answer, asking again after a
-- pause of spread_out(pause) while it is Busy, at most retries more times.
-- Each Busy answer is counted with client:fault("busy"); nil when the
-- service stayed busy.
function M.ask(client, req, retries, pause)
  for attempt = 0, retries or 0 do
    if attempt > 0 then
      client:sleep(spread_out(pause or 0))
    end
    local res = client:request(req)
    if not M.is_busy(res) then
      return res
    end
    client:fault("busy", M.BUSY)
  end
  return nil
end

-- args[name] as a number of at least min (a whole one when whole is
-- true), default when absent; an error naming the argument otherwise.
-- A command line's every=2 arrives as the string "2": read as a number.
function M.number_arg(args, name, default, min, whole)
  local v = args[name]
  if v == nil then return default end
  v = tonumber(v) or v
  if type(v) ~= "number" or v < min or (whole and v ~= floor(v)) then
    error(format("%s must be a %s of at least %g, not %s", name,
                 whole and "whole number" or "number", min, tostring(v)), 2)
  end
  return v
end

return M
