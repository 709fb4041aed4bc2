-- Query strings, forms, multipart uploads and compressed pages against
-- form_server.py, which answers with what it parsed: each check compares
-- the server's understanding with what was meant.
local throng = require "throng"
local P = {}

function P:init(args)
  self.file = args.file
end

local function same(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

function P:session(client)
  -- A query, asked compressed: the body is the decoded JSON.
  local r = client:get("/page", { query = { q = "a b&c=d", id = { 2, 1 }, enc = "gzip" },
                                  compressed = true, name = "page" })
  client:check(r.headers["content-encoding"] == "gzip", "gzip expected", { fatal = true })
  local seen = r:json()
  client:check(seen, "the decoded body is not JSON: " .. r.body:sub(1, 60), { fatal = true })
  client:check(seen.accept_encoding == "gzip, deflate", "Accept-Encoding not sent", { fatal = true })
  client:check(same(seen.query, { q = { "a b&c=d" }, id = { "2", "1" }, enc = { "gzip" } }),
               "the server read another query", { fatal = true })
  client:check(#seen.text == 1000, "text of 1000 bytes expected", { fatal = true })

  -- Not asked, and encoded anyway (RFC 9110 allows it): decoded all the same.
  for _, enc in ipairs({ "deflate", "raw", "none" }) do
    local p = client:get("/page?size=2000", { query = { enc = enc }, name = "page" })
    local s = p:json()
    client:check(s and #s.text == 2000, enc .. ": the body was not decoded", { fatal = true })
    client:check(type(s.accept_encoding) ~= "string", enc .. ": Accept-Encoding sent unasked", { fatal = true })
  end

  -- A big page: a megabyte for the persona, a few kilobytes on the wire.
  local big = client:get("/page", { query = { size = 1000000 }, name = "big" })
  client:check(#big:json().text == 1000000, "the megabyte page was not whole", { fatal = true })

  -- A form.
  local form = { user = "ann o'neil", pass = "p&ss=1 +%", tags = { "x", "y" } }
  local f = client:post("/form", { form = form, name = "form" })
  local got = f:json()
  client:check(got and got.fields, "form refused: " .. f.body, { fatal = true })
  client:check(same(got.fields, { user = { form.user }, pass = { form.pass }, tags = { "x", "y" } }),
               "the server read another form: " .. f.body, { fatal = true })

  -- A multipart upload: a field, a file from disk and one from memory.
  local m = client:post("/multipart", { name = "multipart", multipart = {
    title = "hello world",
    doc = { path = self.file, content_type = "text/plain" },
    blob = { data = "bin\0ary\r\n--not a boundary", filename = "b.bin" },
  } })
  local mp = m:json()
  client:check(mp and mp.fields, "multipart refused: " .. m.body, { fatal = true })
  client:check(mp.defects == 0, "the server found defects in the multipart body", { fatal = true })
  client:check(same(mp.fields.title, { "hello world" }), "title: " .. m.body, { fatal = true })
  local doc = mp.fields.doc and mp.fields.doc[1]
  client:check(doc and doc.filename == self.file:match("[^/]+$") and doc.content_type == "text/plain"
               and doc.data == "uploaded file\nsecond line\n", "doc: " .. m.body, { fatal = true })
  local blob = mp.fields.blob and mp.fields.blob[1]
  -- (throng.json ends a string at a NUL: the raw JSON says what came.)
  client:check(blob and blob.filename == "b.bin" and blob.content_type == "application/octet-stream"
               and m.body:find('"bin\\u0000ary\\r\\n--not a boundary"', 1, true), "blob: " .. m.body, { fatal = true })

  -- Two bodies for one request: refused before anything is sent.
  local ok, err = pcall(client.post, client, "/form", { form = { a = 1 }, json = { b = 2 } })
  client:check(not ok and err:find("not both json and form", 1, true), "two bodies: " .. tostring(err), { fatal = true })
end

return P
