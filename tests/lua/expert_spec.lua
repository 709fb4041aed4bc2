-- scripts/expert.lua run against a fake client and a fake service: the
-- dependent sequence, the pair sent at once, the checks of every answer,
-- and how Busy answers are retried or skipped. The fake client records
-- every request (and which went together) and raises on a failed check or
-- a fault, as the engine ends the session.
local throng = require "throng"

local P = dofile("scripts/expert.lua")
package.path = "tests/lua/?.lua;" .. package.path
local fake_client = require "fake_client"

local encode = throng.json.encode

-- An answer of y rows of x numbers, in the layer-cake envelope.
local function table_body(x, y)
  local row = {}
  for c = 1, x do row[c] = c + 0.5 end
  local rows = {}
  for r = 1, y do rows[r] = row end
  return encode({ value = { "vector<vector<float8>>", rows, {} } })
end

local BUSY = '{"value":["layer_cake.point_runtime.Busy",{"condition":"full"},[]]}'

-- A service that answers as `throng serve` does. opts.busy(req, n) makes
-- the nth request Busy; opts.wrong(req, result, n) may change a crunch
-- result; opts.taller adds a row to every table.
local function fake_service(opts)
  opts = opts or {}
  local s = { n = 0 }
  function s:answer(req)
    self.n = self.n + 1
    if opts.busy and opts.busy(req, self.n) then return { status = 500, body = BUSY } end
    local v = req.json.value
    if req.path == "/Xy" then
      return { status = 200, body = table_body(v.x, v.y + (opts.taller and 1 or 0)) }
    end
    local result = req.path == "/Divide" and v.x / v.y or v.x * v.y
    if opts.wrong then result = opts.wrong(req, result, self.n) or result end
    return { status = 200, body = encode({ value = { "Output", { value = result }, {} } }) }
  end
  return s
end

local function new(extra)
  local args = { request_count = 1, slow_down = 0.5, big_table = 20 }
  for k, v in pairs(extra or {}) do args[k] = v end
  local self = setmetatable({}, { __index = P })
  P.init(self, args)
  return self
end

-- One session: the client, and the fault that ended it (nil when none).
local function session(service, extra)
  return fake_client.session(new(extra), service or fake_service())
end

local function paths(client)
  local seen = {}
  for i, req in ipairs(client.requests) do seen[i] = req.method .. " " .. req.path end
  return seen
end

describe("the expert's session", function()
  it("divides, multiplies the quotient back, then asks for a table and its size at once", function()
    local client, fault = session()
    assert.is_nil(fault)
    assert.are.same({ "POST /Divide", "POST /Multiply", "POST /Xy", "POST /Multiply" },
                    paths(client))
    assert.are.same({ { 3, 4 } }, client.together)
    local div, mul = client.requests[1].json.value, client.requests[2].json.value
    assert.are.equal(div.x / div.y, mul.x)
    assert.are.equal(div.y, mul.y)
    local tab, count = client.requests[3].json.value, client.requests[4].json.value
    assert.are.same({ x = tab.x, y = tab.y }, count)
    assert.are.equal("table", client.requests[3].name)
  end)

  it("multiplies the quotient the service answered, not its own", function()
    local answered
    local client, fault = session(fake_service({ wrong = function(req, r)
      if req.path == "/Divide" then
        answered = r * (1 + 1e-12) -- within the tolerance, but not x / y
        return answered
      end
    end }))
    assert.is_nil(fault)
    assert.are.equal(answered, client.requests[2].json.value.x)
  end)

  it("runs request_count rounds, thinking for slow_down between them", function()
    local client, fault = session(nil, { request_count = 3, slow_down = 1 })
    assert.is_nil(fault)
    assert.are.equal(12, #client.requests)
    assert.are.equal(3, #client.together)
    assert.are.equal(2, #client.sleeps)
    for _, s in ipairs(client.sleeps) do assert.is_true(s >= 0.75 and s < 1.25, s) end
  end)

  it("asks for tables up to big_table and operands up to range, never zero", function()
    local sides = {}
    for _ = 1, 200 do
      local client = session(nil, { big_table = 3, range = 2 })
      local div, tab = client.requests[1].json.value, client.requests[3].json.value
      assert.is_true(div.y ~= 0 and math.abs(div.x) <= 2 and math.abs(div.y) <= 2)
      assert.is_true(tab.x >= 1 and tab.x <= 3 and tab.y >= 1 and tab.y <= 3)
      sides[tab.x] = true
    end
    assert.are.same({ true, true, true }, sides)
  end)
end)

describe("the expert's checks", function()
  it("catch a wrong quotient", function()
    local client, fault = session(fake_service({ wrong = function(req, r)
      return req.path == "/Divide" and r + 1 or nil
    end }))
    assert.are.equal("invalid", fault.fault)
    assert.truthy(fault.message:find("^%-?%d+ / %-?%d+: answered "), fault.message)
    assert.are.equal(1, #client.requests)
  end)

  it("catch a product that does not give x back", function()
    local _, fault = session(fake_service({ wrong = function(req, r)
      return req.path == "/Multiply" and r * 1.01 or nil
    end }))
    assert.are.equal("invalid", fault.fault)
    assert.truthy(fault.message:find("^%(%-?%d+ / %-?%d+%) %* %-?%d+: answered "), fault.message)
  end)

  it("catch a table of the wrong size", function()
    local _, fault = session(fake_service({ taller = true }))
    assert.are.equal("invalid", fault.fault)
    assert.truthy(fault.message:find("^not the matching table: asked for"), fault.message)
  end)

  it("catch a wrong cell count", function()
    local _, fault = session(fake_service({ wrong = function(_, r, n)
      return n == 4 and r + 1 or nil -- the Multiply sent with the table
    end }))
    assert.are.equal("invalid", fault.fault)
    assert.truthy(fault.message:find("^%d+ %* %d+: answered "), fault.message)
  end)

  it("refuse a fault envelope where a number should be", function()
    local service = fake_service()
    local answer = service.answer
    function service:answer(req)
      if req.path == "/Divide" then
        return { status = 500, body = '{"value":["layer_cake.point_runtime.Faulted",{},[]]}' }
      end
      return answer(self, req)
    end
    local _, fault = session(service)
    assert.are.equal("invalid", fault.fault)
    assert.truthy(fault.message:find("not an Output answer (status 500)", 1, true))
  end)
end)

describe("the expert and Busy", function()
  it("asks a Busy crunch again after a pause", function()
    local client, fault = session(fake_service({ busy = function(_, n) return n <= 2 end }),
                                  { retries = 2, pause = 0.2 })
    assert.is_nil(fault)
    assert.are.equal(2, client.busy)
    assert.are.same({ "POST /Divide", "POST /Divide", "POST /Divide", "POST /Multiply",
                      "POST /Xy", "POST /Multiply" }, paths(client))
    for _, s in ipairs(client.sleeps) do assert.is_true(s >= 0.15 and s < 0.25, s) end
  end)

  it("skips the rest of the round when the service stays busy", function()
    local client, fault = session(fake_service({ busy = function(req)
      return req.path == "/Divide"
    end }), { retries = 1, request_count = 2 })
    assert.is_nil(fault)
    assert.are.equal(4, client.busy)
    assert.are.same({ "POST /Divide", "POST /Divide", "POST /Divide", "POST /Divide" },
                    paths(client))
  end)

  it("counts Busy answers in the pair and checks the others", function()
    local client, fault = session(fake_service({ busy = function(req)
      return req.path == "/Xy"
    end }))
    assert.is_nil(fault)
    assert.are.equal(1, client.busy)
    assert.are.equal(4, #client.requests)

    client, fault = session(fake_service({
      busy = function(_, n) return n == 3 end,                 -- the table
      wrong = function(_, r, n) return n == 4 and r + 1 end,   -- and a wrong count
    }))
    assert.are.equal(1, client.busy)
    assert.are.equal("invalid", fault.fault)
  end)

  it("refuses arguments that are not numbers in range", function()
    assert.has_error(function() new({ range = 0 }) end)
    assert.has_error(function() new({ retries = "a few" }) end)
    assert.has_error(function() new({ pause = -1 }) end)
    assert.has_error(function() new({ big_table = "huge" }) end)
    assert.has_error(function() new({ request_count = 0 }) end)
  end)
end)
