#!/usr/bin/env bash
# Cookies and redirects against a small Python web application
# (cookie_server.py): a log-in that sets a session cookie and answers 303
# to a page that needs it, a 302 to a relative Location, a 307 that must
# keep the POST and its body, a redirect to another server (its own
# connection), a redirect loop (an http-error fault "too many redirects"),
# cookies = false per request and per persona, client.cookies read, set
# and cleared, and the request style's follow = N. Each followed redirect
# is one exchange: the ledger balances and no hop is counted apart.
. "$(dirname "$0")/lib.sh"

timeout 90 python3 "$(dirname "$0")/cookie_server.py" >"$WORK/srv.out" 2>"$WORK/srv.err" &
SERVER_PIDS="$SERVER_PIDS $!"
ADDR=""
for i in $(seq 100); do
    ADDR=$(sed -n 's/^listening on //p' "$WORK/srv.out")
    [ -n "$ADDR" ] && break
    sleep 0.05
done
[ -n "$ADDR" ] || fail "cookie_server.py did not start: $(cat "$WORK/srv.err")"

# The session style: everything a shopper's log-in needs.
cat >"$WORK/shop.lua" <<'LUA'
local P = {}
function P:session(client)
  client:check(#client.cookies:list() == 0, "a new session starts with an empty jar")
  local res = client:post("/login", { form = { user = "ann" } })
  client:check(res.status == 200 and res.body == "welcome ann", "303 to the dashboard: " .. res.status)
  client:check(res.redirects == 1 and res.url:match("/dashboard$"), "res.url " .. tostring(res.url))
  client:check(client.cookies:get("sid") == "ann", "the jar keeps sid")
  local c = client.cookies:list()[1]
  client:check(c.http_only and c.same_site == "Lax" and c.path == "/", "attributes kept")
  res = client:get("/cookies", { cookies = false })
  client:check(res.body == "", "cookies = false sent " .. res.body)
  res = client:get("/enter")
  client:check(res.body == "welcome guest", "302 to a relative Location: " .. res.body)
  res = client:post("/keep", { body = "payload" })
  local j = res:json()
  client:check(j.method == "POST" and j.body == "payload", "307 keeps the POST: " .. res.body)
  res = client:get("/away")
  client:check(res.body == "there" and res.redirects == 1, "another server: " .. res.status)
  res = client:get("/cookies")
  client:check(res.body == "sid=guest", "back on its own server: " .. res.body)
  res = client:get("/enter", { follow = 0 })
  client:check(res.status == 302 and res.redirects == 0, "follow = 0 hands over the 302")
  client.cookies:clear()
  res = client:get("/dashboard")
  client:check(res.status == 401, "cleared jar: " .. res.status)
  client.cookies:set("sid", "bob")
  res = client:get("/dashboard")
  client:check(res.body == "welcome bob", "cookies:set: " .. res.body)
end
return P
LUA
run_throng "$WORK/shop.out" run "$WORK/shop.lua" -s "$ADDR" -c 2 -d 2s --slow-down 0 \
    --json "$WORK/shop.json"
expect_rc 0 "$WORK/shop.out"
expect_no_fault "$WORK/shop.out" invalid
expect_no_fault "$WORK/shop.out" http-error
check_ledger "$WORK/shop.json"
python3 - "$WORK/shop.json" <<'PY' || fail "one exchange per followed redirect: $(cat "$WORK/shop.out")"
import json, sys
doc = json.load(open(sys.argv[1]))
names = {n["name"]: n for g in doc["groups"] for n in g["names"]}
login = names["/login"]["requests"]
assert login >= 2, "at least a session each, got %d log-ins" % login
for hop in ("/dashboard", "/echo", "/there"):
    # hops are counted under the request that began them, never apart
    assert hop not in names or hop == "/dashboard", "a hop counted apart: %s" % hop
# /dashboard is requested by name twice a session (cleared, set), never as a hop
assert names["/dashboard"]["requests"] <= 2 * login + 2, names["/dashboard"]
print("log-ins %d, requests %d" % (login, doc["totals"]["requests"]))
PY

# A redirect loop: an http-error fault after the session style's 5 hops.
cat >"$WORK/loop.lua" <<'LUA'
local P = {}
function P:session(client) client:get("/loop") end
return P
LUA
run_throng "$WORK/loop.out" run "$WORK/loop.lua" -s "$ADDR" -c 1 -n 1 --json "$WORK/loop.json"
[ "$(fault_count "$WORK/loop.out" http-error)" = 1 ] || fail "one http-error expected"
expect_grep "too many redirects (5)" "$WORK/loop.out"
check_ledger "$WORK/loop.json"

# cookies = false for the whole persona: the log-in's cookie is not kept.
cat >"$WORK/nocookies.lua" <<'LUA'
local P = { cookies = false }
function P:session(client)
  local res = client:post("/login", { form = { user = "ann" } })
  client:check(res.status == 401, "no cookie was to be kept: " .. res.status)
  client:check(client.cookies:get("sid") == nil, "the jar stays empty")
end
return P
LUA
run_throng "$WORK/nocookies.out" run "$WORK/nocookies.lua" -s "$ADDR" -c 1 -n 4 --slow-down 0
expect_rc 0 "$WORK/nocookies.out"
expect_no_fault "$WORK/nocookies.out" invalid

# The request style: follow = N on its own server, the jar used by default.
cat >"$WORK/req.lua" <<'LUA'
local P = {}
function P:request() return { path = "/enter", follow = 1 } end
function P:response(res)
  if res.status ~= 200 or res.body ~= "welcome guest" or res.redirects ~= 1 then
    return false, "status " .. res.status .. " after " .. res.redirects .. " redirects"
  end
  return true
end
return P
LUA
run_throng "$WORK/req.out" run "$WORK/req.lua" -s "$ADDR" -c 2 -n 20 --json "$WORK/req.json"
expect_rc 0 "$WORK/req.out"
expect_no_fault "$WORK/req.out" invalid
check_ledger "$WORK/req.json"
[ "$(report_count "$WORK/req.out" requests)" = 20 ] || fail "20 requests, hops not counted: $(cat "$WORK/req.out")"

# The request style does not follow to another server: it says so.
cat >"$WORK/away.lua" <<'LUA'
local P = {}
function P:request() return { path = "/away", follow = 3 } end
return P
LUA
run_throng "$WORK/away.out" run "$WORK/away.lua" -s "$ADDR" -c 1 -n 1
[ "$(fault_count "$WORK/away.out" http-error)" = 1 ] || fail "one http-error expected"
expect_grep "follows redirects on its own server only" "$WORK/away.out"
echo "ok"
