-- The `throng` module as personas see it: think-time spreading, the
-- per-client random numbers, fault results, the table-shape scanner and
-- the clock.
local throng = require "throng"

local ENVELOPE = '{"value":["vector<vector<float8>>",[[1.5,2,3],[4,5,6e-3]],[]]}'
local BUSY = '{"value":["layer_cake.point_runtime.Busy",{"condition":"full",'
  .. '"explanation":null,"error_code":null,"exit_status":null},[]]}'

describe("throng.spread_out", function()
  it("stays within [0.75 s, 1.25 s) and averages s", function()
    for _, s in ipairs({ 0.5, 2, 10 }) do
      local sum, n = 0, 20000
      local lo, hi = math.huge, -math.huge
      for _ = 1, n do
        local v = throng.spread_out(s)
        assert.is_true(v >= 0.75 * s and v < 1.25 * s,
                       ("spread_out(%g) gave %.17g"):format(s, v))
        lo, hi = math.min(lo, v), math.max(hi, v)
        sum = sum + v
      end
      assert.is_true(math.abs(sum / n / s - 1) < 0.01, "mean " .. sum / n .. " for " .. s)
      -- The whole interval is used, not a narrow part of it.
      assert.is_true(lo < 0.76 * s and hi > 1.24 * s)
    end
  end)

  it("gives 0 for 0", function()
    assert.are.equal(0, throng.spread_out(0))
  end)

  it("refuses a non-number", function()
    assert.has_error(function() throng.spread_out("soon") end)
  end)
end)

describe("throng.random", function()
  it("with no argument is in [0, 1)", function()
    local sum = 0
    for _ = 1, 10000 do
      local v = throng.random()
      assert.is_true(v >= 0 and v < 1)
      sum = sum + v
    end
    assert.is_true(math.abs(sum / 10000 - 0.5) < 0.02)
  end)

  it("with m is a whole number in [1, m]", function()
    local seen = {}
    for _ = 1, 2000 do
      local v = throng.random(6)
      assert.are.equal(math.floor(v), v)
      assert.is_true(v >= 1 and v <= 6)
      seen[v] = true
    end
    for v = 1, 6 do assert.is_true(seen[v], "never drew " .. v) end
    for _ = 1, 100 do assert.are.equal(1, throng.random(1)) end
  end)

  it("with m, n is inclusive and reaches both ends", function()
    local seen = {}
    for _ = 1, 5000 do
      local v = throng.random(-2, 7)
      assert.are.equal(math.floor(v), v)
      assert.is_true(v >= -2 and v <= 7)
      seen[v] = (seen[v] or 0) + 1
    end
    for v = -2, 7 do assert.is_true((seen[v] or 0) > 300, "too few " .. v) end
    assert.are.equal(5, throng.random(5, 5))
  end)

  it("refuses an empty interval", function()
    assert.has_error(function() throng.random(5, 1) end)
    local ok, err = pcall(throng.random, 5, 1)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("interval is empty", 1, true))
    assert.is_false(pcall(throng.random, 0))
  end)
end)

describe("throng.fault", function()
  it("returns what a response hook returns for a fault", function()
    local ok, msg, kind = throng.fault("busy", "x")
    assert.are.equal(false, ok)
    assert.are.equal("x", msg)
    assert.are.equal("busy", kind)
    assert.are.same({ false, "too slow", "timed-out" },
                    { throng.fault("timed-out", "too slow") })
  end)

  it("uses the kind as the message when none is given", function()
    assert.are.same({ false, "invalid", "invalid" }, { throng.fault("invalid") })
  end)

  it("refuses a kind it does not know", function()
    assert.has_error(function() throng.fault("exploded", "x") end)
    assert.has_error(function() throng.fault() end)
  end)
end)

describe("throng.table_shape", function()
  it("reads the layer-cake envelope", function()
    assert.are.same({ 2, 3 }, { throng.table_shape(ENVELOPE) })
  end)

  it("reads a bare list of rows, however spaced", function()
    assert.are.same({ 3, 1 }, { throng.table_shape("[[1],[2],[3]]") })
    assert.are.same({ 2, 2 }, { throng.table_shape(" [\n [1, 2],\n [3, 4]\n]\n") })
    assert.are.same({ 0, 0 }, { throng.table_shape("[]") })
  end)

  it("says why a ragged table is not one", function()
    local rows, why = throng.table_shape("[[1,2],[3]]")
    assert.is_nil(rows)
    assert.truthy(why:find("ragged", 1, true))
  end)

  it("gives a Busy envelope's type name", function()
    local rows, why = throng.table_shape(BUSY)
    assert.is_nil(rows)
    assert.are.equal("layer_cake.point_runtime.Busy", why)
  end)

  it("refuses what is not a table", function()
    for _, body in ipairs({ "", "<html>404</html>", "[[1,\"a\"]]", "[[1,null]]", "{}" }) do
      local rows, why = throng.table_shape(body)
      assert.is_nil(rows, body)
      assert.are.equal("string", type(why))
      assert.is_true(#why > 0)
    end
  end)

  it("takes a table with a body, as a fake response", function()
    assert.are.same({ 2, 3 }, { throng.table_shape({ status = 200, body = ENVELOPE }) })
    local rows, why = throng.table_shape({ status = 500, body = BUSY })
    assert.is_nil(rows)
    assert.are.equal("layer_cake.point_runtime.Busy", why)
  end)

  it("refuses an argument with no body", function()
    assert.has_error(function() throng.table_shape({ status = 200 }) end)
    assert.has_error(function() throng.table_shape(nil) end)
  end)
end)

describe("throng.now", function()
  it("increases", function()
    local t0 = throng.now()
    assert.are.equal("number", type(t0))
    local t1 = t0
    local deadline = os.clock() + 1
    while t1 <= t0 and os.clock() < deadline do t1 = throng.now() end
    assert.is_true(t1 > t0)
    local last = t1
    for _ = 1, 1000 do
      local t = throng.now()
      assert.is_true(t >= last)
      last = t
    end
    -- Seconds, not milliseconds: a short busy loop takes well under one.
    assert.is_true(last - t0 < 1)
  end)
end)

describe("throng.json", function()
  local json = throng.json

  it("round-trips objects, arrays, numbers, strings, booleans and null", function()
    local value = { value = { x = 3, y = 0.25 }, list = { 1, 2, 3 }, ok = true,
                    name = "layer \"cake\"", none = json.null }
    local back = json.decode(json.encode(value))
    assert.are.same({ x = 3, y = 0.25 }, back.value)
    assert.are.same({ 1, 2, 3 }, back.list)
    assert.is_true(back.ok)
    assert.are.equal('layer "cake"', back.name)
    assert.are.equal(json.null, back.none)
  end)

  it("writes numbers that read back exactly", function()
    for _ = 1, 2000 do
      local v = (math.random() - 0.5) * 10 ^ math.random(-20, 20)
      assert.are.equal(v, json.decode(json.encode({ v }))[1])
    end
    assert.are.equal("[42,-7,0.1,9007199254740991]", json.encode({ 42, -7, 0.1, 2 ^ 53 - 1 }))
  end)

  it("writes the wire format's request body", function()
    local text = json.encode({ value = { x = 7 } })
    assert.are.equal('{"value":{"x":7}}', text)
  end)

  it("tells arrays from objects", function()
    assert.are.equal("[1,2]", json.encode({ 1, 2 }))
    assert.are.equal("{}", json.encode({}))
    -- A table with holes is neither: refused rather than guessed at.
    assert.has_error(function() json.encode({ [1] = 1, [3] = 3 }) end,
                     "cannot encode a table with a number key as JSON")
  end)

  it("refuses what JSON cannot hold, saying what", function()
    assert.has_error(function() json.encode({ f = print }) end, "cannot encode a function as JSON")
    assert.has_error(function() json.encode(0 / 0) end)
    local cycle = {}
    cycle.self = cycle
    assert.has_error(function() json.encode(cycle) end)
    assert.has_error(function() json.encode({ [true] = 1 }) end)
  end)

  it("returns nil and why for text that is not JSON", function()
    local v, why = json.decode("{not json")
    assert.is_nil(v)
    assert.truthy(why:find("not JSON", 1, true))
    assert.is_nil((json.decode(string.rep("[", 500) .. string.rep("]", 500))))
  end)
end)

describe("throng.log", function()
  it("accepts the five levels and refuses others", function()
    for _, level in ipairs({ "error", "warn", "info", "debug", "trace" }) do
      assert.has_no.errors(function() throng.log(level, "spec", 1, nil, true) end)
    end
    assert.has_error(function() throng.log("loud", "x") end)
  end)
end)
