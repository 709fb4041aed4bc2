-- throng.data: CSV (RFC 4180) and JSON data files as personas read them,
-- and the three access modes, in one Lua state (the spec interpreter's,
-- where the caller is no client: id 0, slot 0 of 1).
local throng = require "throng"

local dir = os.tmpname()
os.remove(dir)
os.execute("mkdir -p " .. dir)
local count = 0

-- A new file holding text; its absolute path.
local function file(text, ext)
  count = count + 1
  local path = ("%s/f%d.%s"):format(dir, count, ext or "csv")
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

local function err_of(fn, ...)
  local ok, e = pcall(fn, ...)
  assert.is_false(ok, "no error")
  return tostring(e)
end

describe("throng.data.csv", function()
  it("reads quoted fields, doubled quotes, commas and line ends inside quotes", function()
    local d = throng.data.csv(file('name,note\r\n"Smith, J","say ""hi"""\r\nx,"two\nlines"\r\n'))
    assert.are.equal(2, #d)
    assert.are.same({ name = "Smith, J", note = 'say "hi"' }, d[1])
    assert.are.same({ name = "x", note = "two\nlines" }, d[2])
  end)

  it("takes CRLF and LF, keeps empty fields, skips empty lines and a BOM", function()
    local d = throng.data.csv(file('\239\187\191a,b,c\n1,,3\r\n\n,,\r\n"",x,\n'))
    assert.are.same({ "a", "b", "c" }, d:columns())
    assert.are.equal(3, #d)
    assert.are.same({ a = "1", b = "", c = "3" }, d[1])
    assert.are.same({ a = "", b = "", c = "" }, d[2])
    assert.are.same({ a = "", b = "x", c = "" }, d[3])
  end)

  it("without a header gives arrays of any length, the first line a row", function()
    local d = throng.data.csv(file("a,b\n1\n2,3,4"), { header = false })
    assert.are.equal(3, #d)
    assert.are.same({ "a", "b" }, d[1])
    assert.are.same({ "1" }, d[2])
    assert.are.same({ "2", "3", "4" }, d[3])
    assert.is_nil(d:columns())
  end)

  it("gives nil outside 1..#data, and a new table on each read", function()
    local d = throng.data.csv(file("k\nv\n"))
    assert.is_nil(d[0])
    assert.is_nil(d[2])
    assert.is_nil(d[1.5])
    local r = d[1]
    r.k = "changed"
    assert.are.equal("v", d[1].k)
  end)

  it("names the file and line of a bad quote", function()
    local p = file('a,b\n1,2\n3,x"y\n')
    local e = err_of(throng.data.csv, p)
    assert.matches(p .. ":3: bad quote", e, 1, true)
    e = err_of(throng.data.csv, file('a,b\n"1"x,2\n'))
    assert.matches("f%d+%.csv:2: bad quote: text after a field's closing quote", e)
    -- An unterminated quote names the line where it opened, past the lines it swallowed.
    e = err_of(throng.data.csv, file('a,b\n1,2\n3,"open\n4,5\n6,7\n'))
    assert.matches("f%d+%.csv:3: bad quote: the quoted field opened here never ends", e)
  end)

  it("names the line of a row whose field count differs from the header", function()
    local e = err_of(throng.data.csv, file('a,b\n1,2\n"multi\nline",2\n3\n'))
    assert.matches("f%d+%.csv:5: 1 field where the header names 2", e)
  end)

  it("refuses a file that is not there, naming it", function()
    local e = err_of(throng.data.csv, dir .. "/missing.csv")
    assert.matches("missing.csv: cannot open", e, 1, true)
  end)
end)

describe("throng.data.json", function()
  it("makes each element of the top-level array a row", function()
    local d = throng.data.json(file('[{"user":"a","n":1},\n[1,2],"s",null]', "json"))
    assert.are.equal(4, #d)
    assert.are.same({ user = "a", n = 1 }, d[1])
    assert.are.same({ 1, 2 }, d[2])
    assert.are.equal("s", d[3])
    assert.are.equal(throng.json.null, d[4])
  end)

  it("refuses a top level that is not an array", function()
    local e = err_of(throng.data.json, file('{"rows":[1]}', "json"))
    assert.matches("the top level must be an array", e, 1, true)
  end)

  it("names the line of a JSON error", function()
    local e = err_of(throng.data.json, file('[1,\n2,\n}', "json"))
    assert.matches("f%d+%.json:3: not valid JSON", e)
  end)
end)

describe("data:next()", function()
  teardown(function() os.execute("rm -rf " .. dir) end)

  local rows = file("id\n1\n2\n3\n4\n5\n")

  it("cycle walks the rows in order and starts again", function()
    local d = throng.data.csv(rows, { mode = "cycle" })
    local seen = {}
    for i = 1, 12 do
      local r, n = d:next()
      assert.are.equal(tostring(n), r.id)
      seen[i] = n
    end
    assert.are.same({ 1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2 }, seen)
  end)

  it("random draws every row and no other", function()
    local d = throng.data.csv(rows, "random")
    local hits = {}
    for _ = 1, 2000 do
      local r, n = d:next()
      assert.is_true(n >= 1 and n <= 5)
      assert.are.equal(tostring(n), r.id)
      hits[n] = (hits[n] or 0) + 1
    end
    for n = 1, 5 do
      assert.is_true(hits[n] > 300, "row " .. n .. " drawn " .. tostring(hits[n]) .. " times")
    end
  end)

  it("unique gives each row once, then fails naming the file and the rows", function()
    local d = throng.data.csv(rows, { mode = "unique" })
    local got = {}
    for _ = 1, 5 do
      local r = d:next()
      assert.is_nil(got[r.id])
      got[r.id] = true
    end
    -- The same file in the same mode is the same handle: no row comes twice.
    local again = throng.data.csv(rows, "unique")
    assert.are.equal(d, again)
    local e = err_of(again.next, again)
    assert.matches("f%d+%.csv: unique rows used up %(this worker's 5 of 5, 1x1 workers, 1 "
                   .. "clients; client 0 got none%)", e)
  end)

  it("refuses an unknown mode", function()
    local e = err_of(throng.data.csv, rows, "shuffle")
    assert.matches("mode must be cycle, random or unique, not shuffle", e, 1, true)
    e = err_of(throng.data.csv, rows, { mode = 2 })
    assert.matches("mode must be cycle, random or unique, not 2", e, 1, true)
  end)
end)
