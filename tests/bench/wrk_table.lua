-- wrk_table.lua - wrk's side of bench_table.sh: the same load as throng's
-- built-in table persona with method=GET. Each request asks for a random
-- x-by-y table (x, y in 1..BIG_TABLE, default 10) with GET /Xy?x=X&y=Y, and
-- each response is checked: status 200, the layer-cake envelope
-- {"value":["vector<vector<float8>>",[[n,...],...],[]]}, y rows of x numbers
-- (every row is checked, each number must be made of number characters).
--
-- wrk's response() is not told which request a response answers, so the
-- server echoes the size it was asked for in an X-Xy: "X Y" header and the
-- body is checked against that header. What was sent is checked as far as
-- wrk allows: per size, no more replies may come back than were asked for,
-- and the requests left unanswered at the end (in flight when wrk stopped)
-- are reported; the bench checks that they are no more than the connections.
--
-- Run: wrk -t1 -c50 -d5s -s tests/bench/wrk_table.lua http://127.0.0.1:PORT
-- done() prints one line the bench parses:
--   wrk_table: checked N failures N unanswered N
-- and, when something failed, "wrk_table: first failure: ...".

local random, format, find, match, gsub, sub =
  math.random, string.format, string.find, string.match, string.gsub, string.sub

local big = tonumber(os.getenv("BIG_TABLE") or "") or 10

-- Per-thread state. Globals, so that done() can read them with thread:get().
checked, failures, first_failure = 0, 0, nil
sent, got = {}, {}      -- requests / replies per size, keyed x * 1000 + y
for x = 1, big do
  for y = 1, big do
    sent[x * 1000 + y], got[x * 1000 + y] = 0, 0
  end
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("id", #threads)
end

function init(args)
  -- Each thread has its own Lua state; give each its own sequence.
  math.randomseed(os.time() * 1000 + (id or 0))
end

function request()
  local x, y = random(1, big), random(1, big)
  local k = x * 1000 + y
  sent[k] = sent[k] + 1
  return wrk.format("GET", format("/Xy?x=%d&y=%d", x, y))
end

local function fail(why)
  failures = failures + 1
  if not first_failure then first_failure = why end
end

-- The envelope around the table: captures the rows, "[..],[..],...".
local ENVELOPE = '^{"value":%["vector<vector<float8>>",%[(.*)%],%[%]%]}$'

-- Checks row by row that body holds y rows of x numbers; returns nil or
-- why not. Slower: it builds a string per row. Used to explain a failure of
-- the fast check below, and instead of it for tables too big for one pattern.
local function slow_check(body, x, y)
  local inner = match(body, ENVELOPE)
  if not inner then return "not a layer-cake table envelope" end
  local rows, used = 0, 0
  for row in inner:gmatch("%[([^%[%]]*)%]") do
    rows = rows + 1
    used = used + #row + 2
    -- Numbers only: digits, sign, point, exponent, separated by single commas.
    if row == "" or find(row, "[^%d%.eE+%-,]") or find(row, ",,", 1, true)
       or sub(row, 1, 1) == "," or sub(row, -1) == "," then
      return format("row %d is not a list of numbers", rows)
    end
    local _, commas = gsub(row, ",", "")
    if commas + 1 ~= x then
      return format("row %d has %d numbers, asked for %d", rows, commas + 1, x)
    end
  end
  -- Rows plus one comma between each must account for every byte.
  if rows == 0 or used + rows - 1 ~= #inner then
    return "junk between the rows"
  end
  if rows ~= y then
    return format("%d rows, asked for %d", rows, y)
  end
  return nil
end

-- The fast check: for each size one anchored Lua pattern that matches
-- exactly the envelope with y rows of x numbers (each number a run of
-- number characters), so that validating a reply is one string.find in C,
-- with no string built. Made on first use, kept per size. LuaJIT's matcher
-- nests one level per "+" item and stops at 200, hence FAST_MAX.
local FAST_MAX = 150
local NUM = "[%d%.eE+%-]+"
local shapes = {}
local function shape_pattern(x, y)
  local row = "%[" .. string.rep(NUM .. ",", x - 1) .. NUM .. "%]"
  return '^{"value":%["vector<vector<float8>>",%[' .. row .. string.rep("," .. row, y - 1)
         .. '%],%[%]%]}$'
end

local function check_table(body, x, y)
  if x * y > FAST_MAX then return slow_check(body, x, y) end
  local k = x * 1000 + y
  local pat = shapes[k]
  if not pat then pat = shape_pattern(x, y); shapes[k] = pat end
  if find(body, pat) then return nil end
  return slow_check(body, x, y) or "not the expected table"
end

function response(status, headers, body)
  checked = checked + 1
  if status ~= 200 then return fail("status " .. status) end
  local xy = headers["X-Xy"] or headers["x-xy"]
  local x, y = match(xy or "", "^(%d+) (%d+)$")
  x, y = tonumber(x), tonumber(y)
  if not x then return fail("no X-Xy header echoing the size asked for") end
  local k = x * 1000 + y
  if not sent[k] then return fail(format("X-Xy %dx%d was never asked for", x, y)) end
  got[k] = got[k] + 1
  if got[k] > sent[k] then
    return fail(format("more %dx%d replies than requests", x, y))
  end
  local why = check_table(body, x, y)
  if why then fail(format("%dx%d: %s", x, y, why)) end
end

function done(summary, latency, requests)
  local c, f, unanswered, first = 0, 0, 0, nil
  for _, t in ipairs(threads) do
    c = c + t:get("checked")
    f = f + t:get("failures")
    first = first or t:get("first_failure")
    local s, g = t:get("sent"), t:get("got")
    for k, n in pairs(s) do unanswered = unanswered + n - g[k] end
  end
  io.write(format("wrk_table: checked %d failures %d unanswered %d\n", c, f, unanswered))
  if first then io.write("wrk_table: first failure: ", first, "\n") end
end
