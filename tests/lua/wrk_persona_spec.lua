-- The built-in wrk persona, instantiated as the engine does: a wrk script's
-- globals shared by the clients of one thread, its request() string read
-- back into request tables, several requests in one string sent one after
-- another, response() given wrk's arguments, delay() in milliseconds, and
-- thread:stop().

-- A fresh copy of the persona: its loaded script is per Lua state, which
-- here means per copy.
local function persona()
  return assert(loadfile("lua/throng/personas/wrk.lua"))()
end

local function script(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

local function new(P, args)
  local self = setmetatable({}, { __index = P })
  P.init(self, args)
  return self
end

describe("the wrk persona", function()
  it("asks wrk's static request from the URL and -H headers without a script", function()
    local P = persona()
    local c = new(P, { url = "http://127.0.0.1:8080/a/b?q=1", headers = "X-One: 1\nX-Two: two" })
    local r = c:request()
    assert.are.equal("GET", r.method)
    assert.are.equal("/a/b?q=1", r.path)
    assert.are.equal("127.0.0.1:8080", r.headers.Host)
    assert.are.equal("1", r.headers["X-One"])
    assert.are.equal("two", r.headers["X-Two"])
    assert.is_nil(r.body)
    assert.are.equal("discard", r.response_body)
    assert.are.equal(0, c:delay())
  end)

  it("shares the script's globals among the clients of a thread, and runs init once", function()
    local path = script([[
      inits = 0
      n = 0
      function init(args) inits = inits + 1; first = args[1]; url = args[0] end
      function request()
        n = n + 1
        wrk.headers["X-N"] = n
        return wrk.format(nil, "/" .. n)
      end
    ]])
    local P = persona()
    local args = { url = "http://h:1/", script = path, wrk_argc = 1, wrk_arg1 = "alpha" }
    local a, b = new(P, args), new(P, args)
    assert.are.equal("/1", a:request().path)
    assert.are.equal("/2", b:request().path)
    local r = a:request()
    assert.are.equal("/3", r.path)
    assert.are.equal("3", r.headers["X-N"])
    assert.are.equal(a.s, b.s)
    assert.are.equal(1, a.s.env.inits)
    assert.are.equal("alpha", a.s.env.first)
    assert.are.equal("http://h:1/", a.s.env.url)
    os.remove(path)
  end)

  it("reads a POST's body and keeps wrk's headers, Content-Length left to throng", function()
    local path = script([[
      wrk.method = "POST"
      wrk.body = "a=1&b=2"
      wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    ]])
    local r = new(persona(), { url = "http://h:1/form", script = path }):request()
    assert.are.equal("POST", r.method)
    assert.are.equal("a=1&b=2", r.body)
    assert.are.equal("application/x-www-form-urlencoded", r.headers["Content-Type"])
    assert.is_nil(r.headers["Content-Length"])
    os.remove(path)
  end)

  it("hands the requests of one string to the engine as a list, to pipeline, with one delay", function()
    local path = script([[
      function init() req = wrk.format(nil, "/1") .. wrk.format(nil, "/2") .. wrk.format(nil, "/3") end
      function request() return req end
      function delay() return 30 end
    ]])
    local c = new(persona(), { url = "http://h:1/", script = path })
    for _ = 1, 2 do
      local list = c:request()
      assert.are.equal(3, #list)
      assert.are.same({ "/1", "/2", "/3" }, { list[1].path, list[2].path, list[3].path })
      assert.are.equal("wrk", list[3].name)
      assert.are.equal(0.03, c:delay())
    end
    os.remove(path)
  end)

  it("sends a string of one request as a request table", function()
    local path = script([[
      function request() return wrk.format(nil, "/only") end
    ]])
    local r = new(persona(), { url = "http://h:1/", script = path }):request()
    assert.are.equal("/only", r.path)
    os.remove(path)
  end)

  it("gives response() the status, headers by any case and the body", function()
    local path = script([[
      function response(status, headers, body) got = { status, headers["X-Token"], body } end
    ]])
    local c = new(persona(), { url = "http://h:1/", script = path })
    assert.are.equal("keep", c:request().response_body)
    c:response({ status = 201, headers = { ["x-token"] = "abc" }, body = "hi" })
    assert.are.same({ 201, "abc", "hi" }, c.s.env.got)
    os.remove(path)
  end)

  it("takes setup's values as globals and waits out the run after thread:stop()", function()
    local path = script([[
      function response() if id == 7 then wrk.thread:stop() end end
    ]])
    local c = new(persona(), { url = "http://h:1/", script = path, wrk_sets = '{["id"]=7}' })
    assert.are.equal(0, c:delay())
    c:response({ status = 200, headers = {}, body = "" })
    assert.is_true(c:delay() > 1e6)
    os.remove(path)
  end)

  it("refuses a string that is not an HTTP request, saying what it got", function()
    local path = script([[ function request() return "hello" end ]])
    local c = new(persona(), { url = "http://h:1/", script = path })
    local ok, err = pcall(c.request, c)
    assert.is_false(ok)
    assert.matches("incomplete request", err)
    os.remove(path)
  end)

  it("fails init with the script's file and line when it does not load", function()
    local path = script("request = function(\n")
    local ok, err = pcall(new, persona(), { url = "http://h:1/", script = path })
    assert.is_false(ok)
    assert.matches(path:gsub("%p", "%%%0") .. ":%d+:", err)
    os.remove(path)
  end)
end)
