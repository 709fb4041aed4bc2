-- scripts/watchdog.lua, instantiated as the engine does and fed /status
-- answers: what it asks, what it takes for a healthy service, and each
-- kind of trouble it reports.
local throng = require "throng"
local P = dofile("scripts/watchdog.lua")

local function new(extra)
  local args = { request_count = 4, slow_down = 30, big_table = 100 }
  for k, v in pairs(extra or {}) do args[k] = v end
  local self = setmetatable({}, { __index = P })
  P.init(self, args)
  return self
end

-- A /status answer with these counters (the rest zero).
local function status(c, code)
  local counters = { uptime = 10, requests = 0, tables = 0, busy = 0, bad = 0, dropped = 0,
                     connections = 0, crunch = 0 }
  for k, v in pairs(c or {}) do counters[k] = v end
  return { status = code or 200, body = throng.json.encode(counters) }
end

-- Two looks: the first learns, the second is judged and its verdict returned.
local function judge(self, first, second)
  assert.is_true(self:response(status(first)))
  return self:response(status(second))
end

describe("the watchdog's request", function()
  it("is GET /status, named status, every time", function()
    local self = new()
    for _ = 1, 3 do
      local req = self:request()
      assert.are.equal("GET", req.method)
      assert.are.equal("/status", req.path)
      assert.are.equal("status", req.name)
      assert.is_nil(req.body)
    end
  end)

  it("thinks about 30 seconds by default, or `every`", function()
    local self = new()
    for _ = 1, 100 do
      local d = self:delay()
      assert.is_true(d >= 22.5 and d < 37.5, d)
    end
    self = new({ every = 0.2 })
    for _ = 1, 100 do
      local d = self:delay()
      assert.is_true(d >= 0.15 and d < 0.25, d)
    end
  end)

  it("refuses arguments that are not numbers in range", function()
    assert.has_error(function() new({ every = "soon" }) end)
    assert.has_error(function() new({ every = -1 }) end)
    assert.has_error(function() new({ max_busy = "half" }) end)
    assert.has_error(function() new({ min_requests = 0 }) end)
    assert.has_error(function() new({ max_bad = -1 }) end)
  end)
end)

describe("the watchdog's judgement", function()
  it("takes a 200 with the counters for healthy, and learns from the first look", function()
    local self = new()
    -- Whatever happened before the watchdog came is not its business.
    assert.is_true(self:response(status({ requests = 100, busy = 90, bad = 7, dropped = 3 })))
    assert.is_true(self:response(status({ uptime = 40, requests = 200, busy = 100, bad = 7,
                                          dropped = 3 })))
  end)

  it("calls a status other than 200 unhealthy", function()
    local ok, why = new():response(status({}, 503))
    assert.are.equal(false, ok)
    assert.are.equal("GET /status answered 503", why)
  end)

  it("calls an answer that is not a JSON object unhealthy", function()
    local ok, why = new():response({ status = 200, body = "<html>up</html>" })
    assert.are.equal(false, ok)
    assert.truthy(why:find("not answer a JSON object", 1, true), why)
    ok, why = new():response({ status = 200, body = "42" })
    assert.are.equal(false, ok)
    assert.truthy(why:find("not answer a JSON object", 1, true), why)
  end)

  it("calls an answer without the counters unhealthy", function()
    local ok, why = new():response({ status = 200, body = '{"uptime":1,"requests":"many"}' })
    assert.are.equal(false, ok)
    assert.are.equal("GET /status has no requests counter", why)
  end)

  it("notices a restart: uptime going backwards", function()
    local ok, why = judge(new(), { uptime = 100, requests = 50 }, { uptime = 2, requests = 1 })
    assert.are.equal(false, ok)
    assert.truthy(why:find("^the service restarted"), why)
  end)

  it("allows Busy up to max_busy of the requests answered since the last look", function()
    assert.is_true(judge(new(), { requests = 100, busy = 0 }, { requests = 200, busy = 50 }))
    local ok, why = judge(new(), { requests = 100, busy = 0 }, { requests = 200, busy = 51 })
    assert.are.equal(false, ok)
    assert.are.equal("51 of the 100 requests answered since the last look were Busy (over 0.5)", why)
    assert.is_true(judge(new({ max_busy = 0.6 }), { requests = 100 }, { requests = 200, busy = 60 }))
  end)

  it("judges the Busy share only over min_requests or more", function()
    assert.is_true(judge(new(), { requests = 0 }, { requests = 9, busy = 9 }))
    assert.are.equal(false, (judge(new(), { requests = 0 }, { requests = 10, busy = 9 })))
    assert.is_true(judge(new({ min_requests = 20 }), { requests = 0 }, { requests = 19, busy = 19 }))
  end)

  it("notices bad requests and dropped connections", function()
    local ok, why = judge(new(), { bad = 3 }, { bad = 4 })
    assert.are.equal(false, ok)
    assert.truthy(why:find("^bad grew by 1"), why)
    ok, why = judge(new(), { dropped = 0 }, { dropped = 2 })
    assert.are.equal(false, ok)
    assert.truthy(why:find("^dropped grew by 2"), why)
    assert.is_true(judge(new({ max_bad = 1, max_dropped = 2 }), {}, { bad = 1, dropped = 2 }))
  end)

  it("judges each look against the one before, even after trouble", function()
    local self = new()
    assert.are.equal(false, (judge(self, { bad = 0 }, { bad = 1 })))
    assert.is_true(self:response(status({ bad = 1 })))
  end)

  it("keeps its own history in each instance", function()
    local a, b = new(), new()
    assert.is_true(a:response(status({ uptime = 100 })))
    assert.is_true(b:response(status({ uptime = 5 })))
    assert.is_true(b:response(status({ uptime = 6 })))
    assert.are.equal(false, (a:response(status({ uptime = 7 }))))
  end)
end)
