-- scripts/typical.lua, instantiated as the engine does: the small tables it
-- asks for, the answers it accepts and refuses, its think time.
local throng = require "throng"
local P = dofile("scripts/typical.lua")

local function new(extra)
  local args = { request_count = 32, slow_down = 0.5, big_table = 100 }
  for k, v in pairs(extra or {}) do args[k] = v end
  local self = setmetatable({}, { __index = P })
  P.init(self, args)
  return self
end

-- An answer of y rows of x numbers, in the layer-cake envelope.
local function table_answer(x, y, code)
  local rows = {}
  for r = 1, y do
    local row = {}
    for c = 1, x do row[c] = r + c / 10 end
    rows[r] = row
  end
  return { status = code or 200,
           body = throng.json.encode({ value = { "vector<vector<float8>>", rows, {} } }) }
end

local BUSY = { status = 500, body = '{"value":["layer_cake.point_runtime.Busy",'
  .. '{"condition":"full","explanation":null,"error_code":null,"exit_status":null},[]]}' }

-- An instance that has just asked for a table that is not square.
local function asked(extra)
  local self = new(extra)
  local req
  repeat req = self:request() until req.json.value.x ~= req.json.value.y
  return self, req.json.value.x, req.json.value.y
end

describe("the typical user's requests", function()
  it("are POST /Xy with the size as JSON, named table", function()
    local self = new()
    for _ = 1, 100 do
      local req = self:request()
      assert.are.equal("POST", req.method)
      assert.are.equal("/Xy", req.path)
      assert.are.equal("table", req.name)
      assert.is_nil(req.body)
      local v = req.json.value
      assert.are.same({ value = { x = v.x, y = v.y } }, throng.json.decode(throng.json.encode(req.json)))
      assert.are.equal(math.floor(v.x), v.x)
      assert.are.equal(math.floor(v.y), v.y)
    end
  end)

  it("ask for small tables, every size from 1 to 10 by default", function()
    local self = new()
    local seen = {}
    for _ = 1, 1000 do
      local v = self:request().json.value
      assert.is_true(v.x >= 1 and v.x <= 10 and v.y >= 1 and v.y <= 10)
      seen[v.x] = true
    end
    for side = 1, 10 do assert.is_true(seen[side], "never " .. side) end
  end)

  it("follow small_table, but never beyond --big-table", function()
    local self = new({ small_table = 3 })
    for _ = 1, 200 do
      local v = self:request().json.value
      assert.is_true(v.x <= 3 and v.y <= 3)
    end
    self = new({ small_table = 50, big_table = 4 })
    for _ = 1, 200 do
      local v = self:request().json.value
      assert.is_true(v.x <= 4 and v.y <= 4)
    end
  end)

  it("refuse arguments that are not numbers in range", function()
    assert.has_error(function() new({ small_table = 0 }) end)
    assert.has_error(function() new({ small_table = 2.5 }) end)
    assert.has_error(function() new({ small_table = "tiny" }) end)
    assert.has_error(function() new({ big_table = "lots" }) end)
    assert.has_error(function() new({ slow_down = "soon" }) end)
  end)

  it("think for slow_down, spread by +-25%", function()
    local self = new({ slow_down = 2 })
    for _ = 1, 100 do
      local d = self:delay()
      assert.is_true(d >= 1.5 and d < 2.5, d)
    end
  end)
end)

describe("the typical user's checks", function()
  it("accept y rows of x numbers", function()
    local self, x, y = asked()
    assert.is_true(self:response(table_answer(x, y)))
  end)

  it("refuse the wrong size, and a transposed table", function()
    local self, x, y = asked()
    local ok, why, kind = self:response(table_answer(x, y + 1))
    assert.are.equal(false, ok)
    assert.are.equal(("not the matching table: asked for %dx%d, got %dx%d"):format(x, y, x, y + 1),
                     why)
    assert.is_nil(kind)
    ok, why = self:response(table_answer(y, x))
    assert.are.equal(false, ok)
    assert.truthy(why:find("^not the matching table"))
  end)

  it("count a Busy answer as busy", function()
    local self = asked()
    local ok, why, kind = self:response(BUSY)
    assert.are.equal(false, ok)
    assert.are.equal("layer_cake.point_runtime.Busy", why)
    assert.are.equal("busy", kind)
  end)

  it("refuse other faults and pages that are not tables", function()
    local self = asked()
    local ok, why = self:response({ status = 500, body = '{"value":["layer_cake.point_runtime.'
      .. 'Faulted",{"condition":"no"},[]]}' })
    assert.are.equal(false, ok)
    assert.are.equal("not a table (status 500): layer_cake.point_runtime.Faulted", why)
    ok, why = self:response({ status = 404, body = "<html>Not Found</html>" })
    assert.are.equal(false, ok)
    assert.truthy(why:find("^not a table %(status 404%)"), why)
  end)

  it("refuse the right table with a status other than 200", function()
    local self, x, y = asked()
    local ok, why = self:response(table_answer(x, y, 203))
    assert.are.equal(false, ok)
    assert.are.equal("the table came with status 203", why)
  end)

  it("say how a session went when it is done", function()
    local self = new()
    assert.has_no.errors(function()
      self:done({ requests = 4, elapsed = 1.5, ok = true })
      self:done({ requests = 1, elapsed = 0.1, ok = false, fault = "invalid", message = "no" })
    end)
  end)
end)
