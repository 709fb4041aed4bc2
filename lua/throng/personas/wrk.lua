-- The wrk persona: runs a wrk script (wrk's Lua API, its global hooks) on
-- throng's engine. `throng wrk` runs it, one group per wrk thread, with
-- these arguments:
--
--   url=URL            the URL of the command line (wrk.scheme, host, port, path)
--   script=FILE        the wrk script (none: GET the URL)
--   headers=TEXT       -H "Name: value" lines, separated by newlines
--   thread=N           the wrk thread's number, from 1
--   wrk_argc=N         how many script arguments; wrk_arg1 ... wrk_argN each
--   wrk_sets=TEXT      what setup(thread) set with thread:set, as a Lua table
--   wrk_keep=1         hand the thread's globals, at its end, to
--                      throng.wrk_keep (registered by throng_wrk_add_group),
--                      for thread:get in done
--
-- As in wrk, the script runs once per worker thread: every client of the
-- thread shares its globals (the script's environment), init(args) runs
-- once per thread, and request/response/delay are global functions. The
-- string request() returns is read back into requests; several requests in
-- one string, as pipeline.lua makes, are pipelined as in wrk: handed to the
-- engine as a list, written in one write on the client's connection, their
-- responses read in order, response() called once for each, and delay()
-- once per request() call, after the last answer. thread:stop() stops the
-- thread's clients asking: each waits out the run after its answer.
local throng = require "throng"
local common = require "throng.wrk_common"

local format, lower, upper = string.format, string.lower, string.upper
local find, sub = string.find, string.sub

local P = {}

-- The thread's script, loaded by its first client (one per Lua state).
local script

local serialize, make_format = common.serialize, common.make_format

local function fail(fmt, ...)
  error("wrk persona: " .. format(fmt, ...), 0)
end

-- The parts of url=URL as wrk gives them: scheme, host, port (nil when the
-- URL has none) and path (with its query).
local function split_url(url)
  local scheme, authority, rest = url:match("^(%a[%w+.-]*)://([^/?#]*)(.*)$")
  if not scheme then fail("'%s' is not a URL", url) end
  local host, port = authority:match("^%[(.+)%]:?(%d*)$")
  if not host then host, port = authority:match("^([^:]*):?(%d*)$") end
  local path = rest:gsub("#.*$", "")
  if path == "" then path = "/" elseif sub(path, 1, 1) == "?" then path = "/" .. path end
  return lower(scheme), host, port ~= "" and port or nil, path
end

-- A headers table read case-insensitively: throng's res.headers holds lower
-- case names, wrk's scripts ask for "X-Token".
local headers_meta = { __index = function(t, k)
  if type(k) == "string" then return rawget(t, lower(k)) end
end }

-- The thread's wrk.thread: get and set reach the script's globals, stop
-- stops the thread's clients.
local function make_thread(env, addr, state)
  local thread = { addr = addr }
  function thread:get(name) return env[name] end
  function thread:set(name, value) env[name] = value end
  function thread:stop() state.stopped = true end
  return thread
end

-- Hands the script's plain globals, as text, to throng.wrk_keep(thread,
-- text) when the thread's Lua state closes, so that done's thread:get
-- reads them.
local function keep_at_close(env, thread, state)
  local keep = throng.wrk_keep
  if type(keep) ~= "function" then return end
  local proxy = newproxy(true)
  getmetatable(proxy).__gc = function()
    pcall(function()
      local plain = {}
      for k, v in pairs(env) do
        if type(k) == "string" and k ~= "wrk" and k ~= "_G" then plain[k] = v end
      end
      keep(thread, serialize(plain) or "{}")
    end)
  end
  state.proxy = proxy
end

-- Loads the script for this thread: its environment, the wrk table, init.
local function load_script(args)
  local url = args.url and tostring(args.url) or fail("no url argument")
  local scheme, host, port, path = split_url(url)
  local state = { stopped = false, cache_raw = nil, cache = nil }
  local env = setmetatable({}, { __index = _G })
  env._G = env
  local wrk = { scheme = scheme, host = host, port = port, method = "GET", path = path,
                headers = {}, body = nil }
  wrk.format = make_format(wrk)
  wrk.lookup = function()
    error("wrk.lookup is available in setup and done, not in a thread's hooks", 2)
  end
  wrk.connect = wrk.lookup
  for line in tostring(args.headers or ""):gmatch("[^\n]+") do
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    if name then wrk.headers[name] = value end
  end
  wrk.thread = make_thread(env, host .. ":" .. (port or (scheme == "https" and "443" or "80")),
                           state)
  env.wrk = wrk
  if args.script then
    local chunk, why = loadfile(tostring(args.script))
    if not chunk then error(why, 0) end
    setfenv(chunk, env)
    chunk()
  end
  if args.wrk_sets then
    local f, why = loadstring("return " .. tostring(args.wrk_sets), "=setup")
    if not f then fail("wrk_sets: %s", why) end
    setfenv(f, {})
    for k, v in pairs(f()) do env[k] = v end
  end
  if args.wrk_keep then keep_at_close(env, tonumber(args.thread) or 1, state) end
  -- wrk.init: the Host header, init(args), the static request.
  if not wrk.headers["Host"] then
    local h = find(host, ":", 1, true) and ("[" .. host .. "]") or host
    wrk.headers["Host"] = port and (h .. ":" .. port) or h
  end
  local init_args = { [0] = url }
  for i = 1, tonumber(args.wrk_argc) or 0 do init_args[i] = tostring(args["wrk_arg" .. i]) end
  if type(rawget(env, "init")) == "function" then env.init(init_args) end
  local req = wrk.format()
  wrk.request = function() return req end
  state.env, state.wrk = env, wrk
  return state
end

-- The requests in raw (one or more, as wrk.format writes them), as request
-- tables named "wrk"; body is what the response's body is for.
local function parse(raw, body_use)
  local reqs, pos, n = {}, 1, #raw
  while pos <= n do
    local head_end = find(raw, "\r\n\r\n", pos, true)
    if not head_end then
      fail("request() returned an incomplete request (no blank line after its headers)")
    end
    local line_end = find(raw, "\r\n", pos, true)
    local method, path = sub(raw, pos, line_end - 1):match("^(%S+) (%S+) HTTP/1%.[01]$")
    if not method then
      fail("request() returned '%s', not an HTTP request line", sub(raw, pos, line_end - 1))
    end
    local headers, length = {}, 0
    for name, value in sub(raw, line_end + 2, head_end + 1):gmatch("([^:\r\n]+):[ \t]*([^\r\n]*)\r\n") do
      if lower(name) == "content-length" then
        length = tonumber(value) or fail("Content-Length '%s' is not a number", value)
      elseif headers[name] then
        headers[name] = headers[name] .. ", " .. value
      else
        headers[name] = value
      end
    end
    local body = length > 0 and sub(raw, head_end + 4, head_end + 3 + length) or nil
    if body and #body < length then fail("request() returned a body shorter than its Content-Length") end
    reqs[#reqs + 1] = { method = upper(method), path = path, headers = headers, body = body,
                        name = "wrk", response_body = body_use }
    pos = head_end + 4 + length
  end
  if #reqs == 0 then fail("request() returned an empty string") end
  return reqs
end

function P:init(args)
  if not script then script = load_script(args) end
  self.s = script
end

function P:request()
  local s = self.s
  local env = s.env
  local fn = rawget(env, "request")
  if type(fn) ~= "function" then fn = s.wrk.request end
  local raw = fn()
  if type(raw) ~= "string" then
    fail("request() must return a string (wrk.format's), not %s", type(raw))
  end
  local reqs
  if raw == s.cache_raw then
    reqs = s.cache
  else
    local use = type(rawget(env, "response")) == "function" and "keep" or "discard"
    reqs = parse(raw, use)
    s.cache_raw, s.cache = raw, reqs
  end
  -- Several requests (pipeline.lua's) go as a list: the engine pipelines
  -- them, in one write, and reads their responses in order.
  if #reqs > 1 then return reqs end
  return reqs[1]
end

function P:response(res)
  local fn = rawget(self.s.env, "response")
  if type(fn) ~= "function" then return end
  local headers = setmetatable({}, headers_meta)
  for k, v in pairs(res.headers) do headers[k] = v end
  fn(res.status, headers, res.body)
end

-- As long as a stopped thread's clients wait: past any run's end.
local STOPPED_WAIT = 1e7

function P:delay()
  local s = self.s
  if s.stopped then return STOPPED_WAIT end
  local fn = rawget(s.env, "delay")
  if type(fn) ~= "function" then return 0 end
  local ms = fn()
  return (tonumber(ms) or 0) / 1000
end

return P
