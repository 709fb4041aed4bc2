-- The built-in table-request persona, instantiated as the engine does:
-- the requests it writes, the replies it accepts and refuses, its think time.
local throng = require "throng"
local P = require "throng.personas.table"

local function new(args)
  local self = setmetatable({}, { __index = P })
  P.init(self, args)
  return self
end

local function default_args(extra)
  local args = { big_table = 10, slow_down = 0.5, request_count = 1 }
  for k, v in pairs(extra or {}) do args[k] = v end
  return args
end

-- A correct reply to a request for x columns and y rows.
local function table_body(x, y, bare)
  local rows = {}
  for r = 1, y do
    local row = {}
    for c = 1, x do row[c] = string.format("%.3f", r * 0.5 + c) end
    rows[r] = "[" .. table.concat(row, ",") .. "]"
  end
  local t = "[" .. table.concat(rows, ",") .. "]"
  if bare then return t end
  return '{"value":["vector<vector<float8>>",' .. t .. ',[]]}'
end

local BUSY = '{"value":["layer_cake.point_runtime.Busy",{"condition":"full",'
  .. '"explanation":null,"error_code":null,"exit_status":null},[]]}'

describe("the table persona's requests", function()
  it("POST /Xy with exactly the JSON the reference server wants", function()
    local self = new(default_args())
    for _ = 1, 200 do
      local req = self:request()
      assert.are.equal("POST", req.method)
      assert.are.equal("/Xy", req.path)
      assert.are.equal("application/json", req.headers["Content-Type"])
      local names = {}
      for name in pairs(req.headers) do names[#names + 1] = name end
      assert.are.same({ "Content-Type" }, names)
      local x, y = req.body:match('^{"value":{"x":(%d+),"y":(%d+)}}$')
      assert.truthy(x, req.body)
      x, y = tonumber(x), tonumber(y)
      assert.are.equal(self.x, x)
      assert.are.equal(self.y, y)
      assert.is_true(x >= 1 and x <= 10 and y >= 1 and y <= 10)
    end
  end)

  it("covers every size from 1 to big_table", function()
    local self = new(default_args())
    local xs, ys = {}, {}
    for _ = 1, 1000 do
      self:request()
      xs[self.x], ys[self.y] = true, true
    end
    for v = 1, 10 do
      assert.is_true(xs[v], "x never " .. v)
      assert.is_true(ys[v], "y never " .. v)
    end
  end)

  it("asks with GET /Xy?x=&y= and no body when method=GET", function()
    for _, method in ipairs({ "GET", "get" }) do
      local self = new(default_args({ method = method }))
      for _ = 1, 50 do
        local req = self:request()
        assert.are.equal("GET", req.method)
        assert.are.equal(("/Xy?x=%d&y=%d"):format(self.x, self.y), req.path)
        assert.is_nil(req.body)
      end
    end
  end)

  it("refuses methods it cannot use and sizes below 1", function()
    assert.has_error(function() new(default_args({ method = "PUT" })) end)
    assert.has_error(function() new(default_args({ big_table = 0 })) end)
    assert.has_error(function() new(default_args({ big_table = 2.5 })) end)
  end)

  -- `throng run -- big_table=lots` passes the text on: a typo must not
  -- silently become the default of 100.
  it("refuses a big_table that is not a number", function()
    assert.has_error(function() new(default_args({ big_table = "lots" })) end)
    assert.has_error(function() new(default_args({ slow_down = "slowly" })) end)
  end)

  it("gives each instance its own sizes", function()
    local a, b = new(default_args({ big_table = 1000 })), new(default_args({ big_table = 1000 }))
    a:request()
    local ax, ay = a.x, a.y
    b:request()
    assert.are.equal(ax, a.x)
    assert.are.equal(ay, a.y)
  end)
end)

describe("the table persona's validation", function()
  local function asked(args)
    local self = new(default_args(args))
    repeat self:request() until args and args.square or self.x ~= self.y
    return self
  end

  it("accepts y rows of x numbers, enveloped or bare", function()
    local self = asked()
    assert.is_true(self:response({ status = 200, body = table_body(self.x, self.y) }))
    assert.is_true(self:response({ status = 200, body = table_body(self.x, self.y, true) }))
  end)

  it("refuses the wrong size", function()
    local self = asked()
    local ok, msg, kind = self:response({ status = 200, body = table_body(self.x + 1, self.y) })
    assert.are.equal(false, ok)
    assert.are.equal("not the matching table", msg:sub(1, #"not the matching table"))
    assert.is_true(kind == nil or kind == "invalid")
    ok, msg = self:response({ status = 200, body = table_body(self.x, self.y + 1) })
    assert.are.equal(false, ok)
    assert.truthy(msg:find("^not the matching table"))
  end)

  it("refuses a transposed table", function()
    local self = asked()
    assert.are_not.equal(self.x, self.y)
    local ok, msg = self:response({ status = 200, body = table_body(self.y, self.x) })
    assert.are.equal(false, ok)
    assert.truthy(msg:find("^not the matching table"))
  end)

  it("counts a Busy reply as busy", function()
    local self = asked()
    local ok, msg, kind = self:response({ status = 500, body = BUSY })
    assert.are.equal(false, ok)
    assert.are.equal("busy", kind)
    assert.truthy(msg:find("Busy", 1, true))
  end)

  it("refuses an HTML error page", function()
    local self = asked()
    local ok, msg, kind = self:response({ status = 404, body = "<html><body>Not Found</body></html>" })
    assert.are.equal(false, ok)
    assert.truthy(msg:find("^not the matching table"))
    assert.is_true(kind == nil or kind == "invalid")
  end)

  it("refuses a ragged table", function()
    local self = asked()
    local ok, msg = self:response({ status = 200, body = "[[1,2],[3]]" })
    assert.are.equal(false, ok)
    assert.truthy(msg:find("^not the matching table"))
  end)
end)

describe("the table persona's think time", function()
  it("is spread_out(slow_down)", function()
    local self = new(default_args())
    local lo, hi = math.huge, -math.huge
    for _ = 1, 5000 do
      local d = self:delay()
      assert.is_true(d >= 0.375 and d < 0.625, tostring(d))
      lo, hi = math.min(lo, d), math.max(hi, d)
    end
    assert.is_true(lo < 0.38 and hi > 0.62)
  end)

  it("is 0 for slow_down 0", function()
    assert.are.equal(0, new(default_args({ slow_down = 0 })):delay())
  end)
end)

-- The persona reads its parameters as the engine passes them.
describe("the table persona's defaults", function()
  it("asks for tables up to 100 and thinks 0.5 s without arguments", function()
    local self = new({})
    local biggest = 0
    for _ = 1, 3000 do
      self:request()
      biggest = math.max(biggest, self.x, self.y)
    end
    assert.is_true(biggest > 90 and biggest <= 100)
    local d = self:delay()
    assert.is_true(d >= 0.375 and d < 0.625)
  end)

  it("uses the throng module's helpers", function()
    assert.are.equal("function", type(throng.table_shape))
  end)
end)
