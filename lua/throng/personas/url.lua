-- The url persona: loads given URLs as they are, the way wrk, hey or oha
-- do. `throng run http://host:port/path` runs it; so does a plan group with
-- persona = "url" and its arguments:
--
--   url=URL              the one URL to load (its path and query are asked for)
--   urls=FILE            or a list of them, one a line: [METHOD] URL [@BODYFILE]
--                        (a body file relative to the list's folder); blank
--                        lines and lines starting with # are skipped
--   pick=round-robin     how a client takes the next URL of a list (or random)
--   method=GET           the method (POST when a body is given); the list's win
--   headers=TEXT         "Name: value" lines, separated by newlines
--   body=TEXT            the request body, or body_file=FILE
--   content_type=TYPE    the Content-Type header of every request
--   expect_status=LIST   statuses that pass (200,204 or 2xx or 200-299); others
--                        are invalid faults. Without it any status passes
--   expect_body=REGEX    a POSIX extended regular expression the body must
--                        match somewhere (throng.regex); others are invalid
--   slow_down=SECONDS    think time between requests (spread_out of it)
--
-- Connections go to the group's server: `throng run URL` sets it from the
-- URL, and the URLs of a list must share one scheme, host and port. The
-- request tables are built once per worker thread and shared by its
-- clients; a body is read only when expect_body asks for it, otherwise it
-- is counted and dropped as it arrives.
local throng = require "throng"

local random, spread_out, regex = throng.random, throng.spread_out, throng.regex
local format, upper, lower = string.format, string.upper, string.lower

local P = {}

-- Requests built for a set of arguments, shared by the clients of a thread.
local built = {}
-- Body files read so far, by path.
local files = {}

local function fail(fmt, ...)
  error("url persona: " .. format(fmt, ...), 0)
end

-- Arguments arrive as strings (or numbers, when they read as one).
local function text(v)
  if v == nil then return nil end
  return tostring(v)
end

local function read_file(path, what)
  local body = files[path]
  if body then return body end
  local f, why = io.open(path, "rb")
  if not f then fail("cannot read %s: %s", what, why) end
  body = f:read("*a")
  f:close()
  files[path] = body
  return body
end

-- "scheme://authority" in lower case with its port, and the path to ask
-- for ("/" when the URL has none; a fragment is never sent).
local function split_url(url, where)
  local scheme, authority, rest = url:match("^(%a[%w+.-]*)://([^/?#]*)(.*)$")
  if not scheme then
    scheme, authority, rest = "http", url:match("^([^/?#]*)(.*)$")
  end
  scheme = lower(scheme)
  if scheme ~= "http" and scheme ~= "https" then
    fail("%s: scheme '%s://' is not supported (http:// or https://)", where, scheme)
  end
  if authority == "" then fail("%s: '%s' has no host", where, url) end
  if not authority:find(":%d+$") then
    authority = authority .. (scheme == "https" and ":443" or ":80")
  end
  local path = rest:gsub("#.*$", "")
  if path == "" then
    path = "/"
  elseif path:sub(1, 1) == "?" then
    path = "/" .. path
  end
  if path:find("[%s%c\128-\255]") then
    fail("%s: the path of '%s' holds a space, a control or a non-ASCII character "
         .. "(write it percent-encoded)", where, url)
  end
  return scheme .. "://" .. lower(authority), path
end

local TOKEN = "^[!#$%%&'*+.^_`|~%w-]+$"

-- headers=TEXT as a table; a name given twice has its values joined.
local function parse_headers(s, content_type)
  local headers, lowered = {}, {}
  local function add(name, value)
    if not name:find(TOKEN) then fail("header name '%s' is not an HTTP token", name) end
    local key = lower(name)
    local was = lowered[key]
    if was then
      headers[was] = headers[was] .. ", " .. value
    else
      lowered[key] = name
      headers[name] = value
    end
  end
  for line in (s or ""):gmatch("[^\n]+") do
    local name, value = line:match("^%s*([^:]-)%s*:%s*(.-)%s*$")
    if not name or name == "" then
      fail("header '%s' is not of the form 'Name: value'", line)
    end
    add(name, value)
  end
  if content_type then
    local was = lowered["content-type"]
    if was then headers[was] = nil end
    headers["Content-Type"] = content_type
  end
  if next(headers) == nil then return nil end
  return headers
end

-- expect_status=LIST: "200,204", "2xx", "200-299" as a lookup table.
local function parse_statuses(s)
  local ok = {}
  for item in s:gmatch("[^,%s]+") do
    local class = item:match("^([1-5])[xX][xX]$")
    local lo, hi = item:match("^(%d%d%d)%-(%d%d%d)$")
    if class then
      lo, hi = class * 100, class * 100 + 99
    elseif lo then
      lo, hi = tonumber(lo), tonumber(hi)
    elseif item:find("^%d%d%d$") then
      lo = tonumber(item)
      hi = lo
    end
    if not lo or lo < 100 or hi > 599 or lo > hi then
      fail("expect_status: '%s' is not a status (200), a class (2xx) or a range (200-299)",
           item)
    end
    for code = lo, hi do ok[code] = true end
  end
  if next(ok) == nil then fail("expect_status is empty") end
  return ok
end

-- The lines of a URL list: { method, url, body file } each.
local function read_list(path)
  local f, why = io.open(path, "rb")
  if not f then fail("cannot read the URL list: %s", why) end
  local folder = path:match("^(.*/)") or ""
  local lines, n = {}, 0
  for line in f:lines() do
    n = n + 1
    line = line:gsub("\r$", "")
    if not line:find("^%s*$") and not line:find("^%s*#") then
      local words = {}
      for w in line:gmatch("%S+") do words[#words + 1] = w end
      local method, url, file
      local i = 1
      if not words[1]:find("[:/]") then method, i = words[1], 2 end
      url = words[i]
      if words[i + 1] then
        file = words[i + 1]:match("^@(.+)$")
        if not file or words[i + 2] then
          f:close()
          fail("%s:%d: expected [METHOD] URL [@BODYFILE], not '%s'", path, n, line)
        end
        if file:sub(1, 1) ~= "/" then file = folder .. file end
      end
      if not url then
        f:close()
        fail("%s:%d: a method without a URL", path, n)
      end
      lines[#lines + 1] = { method = method, url = url, file = file, where = path .. ":" .. n }
    end
  end
  f:close()
  if #lines == 0 then fail("the URL list %s holds no URL", path) end
  return lines
end

-- The request tables for these arguments.
local function build(args)
  local url, list = text(args.url), text(args.urls)
  if (url and list) or not (url or list) then
    fail("give url=URL or urls=FILE (one of them)")
  end
  if args.body ~= nil and args.body_file ~= nil then fail("give body or body_file, not both") end
  local body = text(args.body)
  if args.body_file ~= nil then body = read_file(text(args.body_file), "the body file") end
  local method = args.method and upper(text(args.method))
  if method and not method:find(TOKEN) then fail("method '%s' is not an HTTP method", method) end
  local headers = parse_headers(text(args.headers), text(args.content_type))
  local response_body = args.expect_body ~= nil and "keep" or "discard"

  local entries = list and read_list(list) or { { url = url, where = "url" } }
  local requests, origin = {}, nil
  for i, e in ipairs(entries) do
    local o, path = split_url(e.url, e.where)
    if origin and o ~= origin then
      fail("%s: '%s' is not on %s, as the URLs before it: a list loads one server",
           e.where, e.url, origin)
    end
    origin = o
    local b = e.file and read_file(e.file, e.where .. ": the body file") or body
    local m = e.method and upper(e.method) or method or (b and "POST" or "GET")
    if not m:find(TOKEN) then fail("%s: '%s' is not an HTTP method", e.where, m) end
    requests[i] = { method = m, path = path, headers = headers, body = b,
                    response_body = response_body }
  end
  return requests
end

-- A key naming every argument that shapes the requests.
local KEYED = { "url", "urls", "method", "headers", "body", "body_file", "content_type",
                "expect_body" }
local function key_of(args)
  local parts = {}
  for i, k in ipairs(KEYED) do parts[i] = tostring(args[k]) end
  return table.concat(parts, "\0")
end

function P:init(args)
  local key = key_of(args)
  local requests = built[key]
  if not requests then
    requests = build(args)
    built[key] = requests
  end
  self.requests, self.n = requests, #requests
  self.only = self.n == 1 and requests[1] or nil
  local pick = text(args.pick) or "round-robin"
  if pick ~= "round-robin" and pick ~= "random" then
    fail("pick must be round-robin or random, not '%s'", pick)
  end
  self.random_pick = pick == "random"
  self.next = random(1, self.n) -- clients start apart in the list
  if args.expect_status ~= nil then
    self.expect_status = text(args.expect_status)
    self.ok_status = parse_statuses(self.expect_status)
  end
  if args.expect_body ~= nil then
    self.expect_body = text(args.expect_body)
    local ok, re = pcall(regex, self.expect_body)
    if not ok then fail("expect_body: %s", tostring(re)) end
    self.expect_re = re
  end
  local pause = args.slow_down == nil and 0 or tonumber(args.slow_down)
  if not pause or pause < 0 then
    fail("slow_down must be a number of seconds, not %s", tostring(args.slow_down))
  end
  self.slow_down = pause
end

function P:request()
  local only = self.only
  if only then return only end
  local i
  if self.random_pick then
    i = random(1, self.n)
  else
    i = self.next
    self.next = i % self.n + 1
  end
  return self.requests[i]
end

function P:response(res)
  local ok = self.ok_status
  if ok and not ok[res.status] then
    return false, format("status %d, expected %s", res.status, self.expect_status)
  end
  local re = self.expect_re
  if re and not re:find(res.body) then
    return false, format("status %d: the body does not match %s", res.status, self.expect_body)
  end
end

function P:delay()
  local pause = self.slow_down
  if pause > 0 then return spread_out(pause) end
  return 0
end

return P
