-- scripts/admin.lua run against a fake client and a fake service: the
-- maintenance sequence it follows, the answers it checks, how it treats
-- Busy. The fake client records every request and raises on a failed
-- check or a fault, as the engine ends the session.
local throng = require "throng"

-- The script requires throng.layer_cake, found under lua/ (busted's --lpath).
local P = dofile("scripts/admin.lua")
package.path = "tests/lua/?.lua;" .. package.path
local fake_client = require "fake_client"

local encode = throng.json.encode

-- A service that answers as `throng serve` does. wrong(req, n) may return
-- a different number for the nth crunch; busy(req, n) makes it Busy.
local function fake_service(opts)
  opts = opts or {}
  local s = { answered = 0, crunches = 0, status = opts.status or 200 }
  function s:answer(req)
    if req.path == "/status" then
      return { status = self.status, body = encode({ uptime = 1, requests = self.answered,
                                                     busy = 0, bad = 0, dropped = 0 }) }
    end
    self.answered = self.answered + (opts.uncounted and 0 or 1)
    self.crunches = self.crunches + 1
    if opts.busy and opts.busy(req, self.crunches) then
      return { status = 500, body = '{"value":["layer_cake.point_runtime.Busy",{},[]]}' }
    end
    local v = req.json.value
    local result = req.path == "/Divide" and v.x / v.y or v.x * v.y
    if opts.wrong then result = opts.wrong(req, self.crunches, result) or result end
    return { status = 200, body = encode({ value = { "Output", { value = result }, {} } }) }
  end
  return s
end

local function new(extra)
  local args = { request_count = 1, slow_down = 0.5, big_table = 100 }
  for k, v in pairs(extra or {}) do args[k] = v end
  local self = setmetatable({}, { __index = P })
  P.init(self, args)
  return self
end

-- One session: the client, and the fault that ended it (nil when none).
local function session(service, extra)
  return fake_client.session(new(extra), service or fake_service())
end

describe("the administrator's session", function()
  it("checks /status, divides, multiplies and checks /status again", function()
    local client, fault = session()
    assert.is_nil(fault)
    local seen = {}
    for i, req in ipairs(client.requests) do seen[i] = req.method .. " " .. req.path end
    assert.are.same({ "GET /status", "POST /Divide", "POST /Multiply", "GET /status" }, seen)
    assert.are.equal("status", client.requests[1].name)
  end)

  it("thinks for slow_down, spread by +-25%, between the steps", function()
    local client = session(nil, { slow_down = 2 })
    assert.are.equal(3, #client.sleeps)
    for _, s in ipairs(client.sleeps) do assert.is_true(s >= 1.5 and s < 2.5, s) end
  end)

  it("sends whole operands within range and never divides by zero", function()
    for _ = 1, 300 do
      local client = session(nil, { range = 2 })
      for i = 2, 3 do
        local v = client.requests[i].json.value
        assert.is_true(math.abs(v.x) <= 2 and math.abs(v.y) <= 2)
        assert.are.equal(math.floor(v.x), v.x)
      end
      assert.are_not.equal(0, client.requests[2].json.value.y)
    end
  end)

  it("catches a wrong quotient", function()
    local _, fault = session(fake_service({ wrong = function(req, _, r)
      return req.path == "/Divide" and r + 1 or nil
    end }))
    assert.are.equal("invalid", fault.fault)
    assert.truthy(fault.message:find("^%-?%d+ / %-?%d+: answered .*, expected "), fault.message)
  end)

  it("catches a wrong product", function()
    local _, fault = session(fake_service({ wrong = function(req, _, r)
      return req.path == "/Multiply" and r * 1.001 + 1 or nil
    end }))
    assert.are.equal("invalid", fault.fault)
    assert.truthy(fault.message:find("^%-?%d+ %* %-?%d+: answered "), fault.message)
  end)

  it("accepts an answer within 1e-9 relative", function()
    local _, fault = session(fake_service({ wrong = function(_, _, r) return r * (1 + 1e-11) end }))
    assert.is_nil(fault)
  end)

  it("refuses a fault envelope where a number should be", function()
    local service = fake_service()
    local answer = service.answer
    function service:answer(req)
      if req.path == "/Divide" then
        return { status = 500, body = '{"value":["layer_cake.point_runtime.Faulted",'
          .. '{"condition":"division by zero"},[]]}' }
      end
      return answer(self, req)
    end
    local _, fault = session(service)
    assert.are.equal("invalid", fault.fault)
    assert.truthy(fault.message:find("not an Output answer (status 500)", 1, true), fault.message)
  end)

  it("calls a /status other than 200 invalid", function()
    local _, fault = session(fake_service({ status = 503 }))
    assert.are.same({ fault = "invalid", message = "GET /status answered 503" }, fault)
  end)

  it("notices a request count that did not grow", function()
    local _, fault = session(fake_service({ uncounted = true }))
    assert.are.equal("invalid", fault.fault)
    assert.are.equal("the request count went from 0 to 0 over a Divide and a Multiply",
                     fault.message)
  end)

  it("counts a Busy answer and asks again after a pause", function()
    local client, fault = session(fake_service({ busy = function(_, n) return n == 1 end }),
                                  { pause = 0.2 })
    assert.is_nil(fault)
    assert.are.equal(1, client.busy)
    local seen = {}
    for i, req in ipairs(client.requests) do seen[i] = req.path end
    assert.are.same({ "/status", "/Divide", "/Divide", "/Multiply", "/status" }, seen)
    assert.are.same(client.requests[2], client.requests[3])
    local pause = client.sleeps[2]
    assert.is_true(pause >= 0.15 and pause < 0.25, pause)
  end)

  it("skips a check when the service stays busy, and goes on", function()
    local client, fault = session(fake_service({ busy = function(req)
      return req.path == "/Divide"
    end }), { retries = 1 })
    assert.is_nil(fault)
    assert.are.equal(2, client.busy)
    local seen = {}
    for i, req in ipairs(client.requests) do seen[i] = req.path end
    assert.are.same({ "/status", "/Divide", "/Divide", "/Multiply", "/status" }, seen)
  end)

  it("refuses arguments that are not numbers in range", function()
    assert.has_error(function() new({ range = 0 }) end)
    assert.has_error(function() new({ range = "big" }) end)
    assert.has_error(function() new({ retries = -1 }) end)
    assert.has_error(function() new({ pause = -0.1 }) end)
  end)
end)
