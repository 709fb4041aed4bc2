-- throng.url: percent-encoding, query strings and form bodies built from
-- tables (the bytes a request's query and form fields send), multipart
-- bodies, and URLs taken apart.
local throng = require "throng"
local url = throng.url

describe("throng.url.encode and decode", function()
  it("keeps unreserved bytes and escapes every other one", function()
    assert.are.equal("a-b_c.d~e", url.encode("a-b_c.d~e"))
    assert.are.equal("a%20b%26c%3Dd%2F%3F%23%25%2B", url.encode("a b&c=d/?#%+"))
    assert.are.equal("%C3%A9t%C3%A9", url.encode("été"))
    assert.are.equal("%00%0D%0A", url.encode("\0\r\n"))
  end)

  it("decodes what it encodes, every byte", function()
    local all = {}
    for i = 0, 255 do all[#all + 1] = string.char(i) end
    local s = table.concat(all)
    assert.are.equal(s, url.decode(url.encode(s)))
  end)

  it("reads + as a space only when asked, and leaves a stray % alone", function()
    assert.are.equal("a+b c", url.decode("a+b%20c"))
    assert.are.equal("a b c", url.decode("a+b%20c", true))
    assert.are.equal("100%", url.decode("100%"))
    assert.are.equal("%zz%4", url.decode("%zz%4"))
  end)
end)

describe("throng.url.query (the encoding of request.query and request.form)", function()
  it("sorts the keys, so that one table always gives the same bytes", function()
    assert.are.equal("a=1&b=2&c=3", url.query({ c = 3, a = 1, b = 2 }))
  end)

  it("repeats the key of an array value, in the array's order", function()
    assert.are.equal("id=3&id=1&id=2&x=y", url.query({ x = "y", id = { 3, 1, 2 } }))
  end)

  it("escapes names and values, and writes booleans and numbers as text", function()
    assert.are.equal("a%20b=c%26d%3De&f=true&g=1.5", url.query({ ["a b"] = "c&d=e", f = true, g = 1.5 }))
    assert.are.equal("", url.query({}))
  end)

  it("refuses what has no place in a query, naming the key", function()
    local ok, err = pcall(url.query, { a = { b = 1 } })
    assert.is_false(ok)
    assert.matches("query.a must be a string, a number, a boolean or an array", err, 1, true)
    ok, err = pcall(url.query, { "positional" })
    assert.is_false(ok)
    assert.matches("a number key is not a name", err, 1, true)
  end)
end)

describe("throng.url.multipart (the encoding of request.multipart)", function()
  -- The parts between the boundary lines, each as its head and data.
  local function parts(body, ctype)
    local boundary = ctype:match("^multipart/form%-data; boundary=(.+)$")
    assert.is_truthy(boundary, ctype)
    local closing = "\r\n--" .. boundary .. "--\r\n"
    assert.are.equal(closing, body:sub(-#closing))
    local found, at = {}, 1
    local line = "--" .. boundary .. "\r\n"
    assert.are.equal(line, body:sub(1, #line))
    while true do
      local from = at + #line
      local stop = body:find("\r\n--" .. boundary, from, true)
      local head, data = body:sub(from, stop - 1):match("^(.-)\r\n\r\n(.*)$")
      found[#found + 1] = { head = head, data = data }
      if stop == #body - #closing + 1 then return found end
      at = stop + 2
    end
  end

  it("writes a part per field, a file with its name and type", function()
    local body, ctype = url.multipart({
      title = "hello",
      upload = { data = "line 1\r\nline 2", filename = "notes.txt", content_type = "text/plain" },
    })
    local p = parts(body, ctype)
    assert.are.equal(2, #p)
    assert.are.equal('Content-Disposition: form-data; name="title"', p[1].head)
    assert.are.equal("hello", p[1].data)
    assert.are.equal('Content-Disposition: form-data; name="upload"; filename="notes.txt"\r\n'
      .. "Content-Type: text/plain", p[2].head)
    assert.are.equal("line 1\r\nline 2", p[2].data)
  end)

  it("reads a file from its path, named after it unless told", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "wb"))
    f:write("\0binary\255")
    f:close()
    local body, ctype = url.multipart({ doc = { path = path } })
    os.remove(path)
    local p = parts(body, ctype)
    assert.are.equal("\0binary\255", p[1].data)
    assert.matches('filename="' .. path:match("[^/]+$") .. '"', p[1].head, 1, true)
    assert.matches("Content-Type: application/octet-stream", p[1].head, 1, true)
  end)

  it("draws a new boundary each time", function()
    local _, a = url.multipart({ x = "1" })
    local _, b = url.multipart({ x = "1" })
    assert.are_not.equal(a, b)
  end)

  it("escapes quotes and line breaks in names", function()
    local body, ctype = url.multipart({ ['a"b\r\n'] = "v" })
    assert.matches('name="a%22b%0D%0A"', parts(body, ctype)[1].head, 1, true)
  end)

  it("refuses a file without exactly one of path and data, or with a stray field", function()
    local ok, err = pcall(url.multipart, { f = { filename = "x" } })
    assert.is_false(ok)
    assert.matches("multipart.f: a file has a path or data", err, 1, true)
    ok, err = pcall(url.multipart, { f = { path = "/a", data = "b" } })
    assert.is_false(ok)
    ok, err = pcall(url.multipart, { f = { data = "x", filname = "y" } })
    assert.is_false(ok)
    assert.matches("unknown field 'filname'", err, 1, true)
    ok, err = pcall(url.multipart, { f = { path = "/nonexistent/throng-spec" } })
    assert.is_false(ok)
    assert.matches("cannot read '/nonexistent/throng-spec'", err, 1, true)
  end)
end)

describe("throng.url.parse", function()
  it("takes a URL apart, the query decoded into a table", function()
    local u = assert(url.parse("https://user:pw@Example.com:8443/a/b%20c?x=1&y=two+words&x=3#top"))
    assert.are.equal("https", u.scheme)
    assert.are.equal("Example.com", u.host)
    assert.are.equal(8443, u.port)
    assert.are.equal("/a/b%20c", u.path)
    assert.are.same({ x = { "1", "3" }, y = "two words" }, u.query)
    assert.are.equal("top", u.fragment)
  end)

  it("fills in the scheme's port and the root path", function()
    local u = assert(url.parse("http://127.0.0.1"))
    assert.are.equal(80, u.port)
    assert.are.equal("/", u.path)
    assert.are.same({}, u.query)
    assert.is_nil(u.fragment)
    assert.are.equal(443, url.parse("HTTPS://h/").port)
    assert.are.equal("https", url.parse("HTTPS://h/").scheme)
  end)

  it("reads an IPv6 literal and a path alone", function()
    local u = assert(url.parse("http://[::1]:9000/p?q"))
    assert.are.equal("::1", u.host)
    assert.are.equal(9000, u.port)
    assert.are.same({ q = "" }, u.query)
    u = assert(url.parse("/only?a=%2F"))
    assert.is_nil(u.host)
    assert.are.equal("/only", u.path)
    assert.are.equal("/", u.query.a)
  end)

  it("says why a string is not a URL", function()
    for _, bad in ipairs({ "", "example.com", "http://", "http://h:0/", "http://h:99999/",
                           "http://h:8x/", "1http://h/", "http://[::1/" }) do
      local u, err = url.parse(bad)
      assert.is_nil(u, bad)
      assert.matches("is not a URL", err, 1, true)
    end
  end)

  it("reads back what query() wrote", function()
    local t = { a = "x y&z", b = { "1", "2" } }
    assert.are.same(t, url.parse("/p?" .. url.query(t)).query)
  end)
end)
