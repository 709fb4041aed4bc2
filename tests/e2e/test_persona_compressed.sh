#!/usr/bin/env bash
# The persona-wide compressed = true (as follow = N and cookies = false):
# every request asks for a compressed body (Accept-Encoding: gzip, deflate)
# unless it says compressed = false itself, in the request style and the
# session style; without it nothing is asked for. form_server.py's /page
# echoes the Accept-Encoding it saw.
. "$(dirname "$0")/lib.sh"

start_python ADDR 60 "$(dirname "$0")/form_server.py"

# The request style: two requests a session, the second says false.
cat >"$WORK/req.lua" <<'LUA'
local throng = require "throng"
local P = { compressed = true }
function P:init() self.n = 0 end
function P:request()
  self.n = self.n + 1
  if self.n % 2 == 1 then return { path = "/page?enc=none&size=10", name = "asked" } end
  return { path = "/page?enc=none&size=10", name = "not asked", compressed = false }
end
function P:response(res)
  local seen = res:json().accept_encoding
  if self.n % 2 == 1 and seen ~= "gzip, deflate" then return false, "asked: " .. tostring(seen) end
  if self.n % 2 == 0 and seen ~= nil and seen ~= throng.json.null then
    return false, "not asked: " .. tostring(seen)
  end
end
return P
LUA
run_throng "$WORK/req.out" run "$WORK/req.lua" -s "$ADDR" -c 2 -n 40 --request-count 2 \
    --slow-down 0 --json "$WORK/req.json"
expect_rc 0 "$WORK/req.out"
expect_no_fault "$WORK/req.out" invalid
check_ledger "$WORK/req.json"
[ "$(report_count "$WORK/req.out" requests)" = 40 ] || fail "40 requests: $(cat "$WORK/req.out")"

# The session style: the same default, a request's own false, and a gzip
# page decoded before the persona reads it.
cat >"$WORK/session.lua" <<'LUA'
local throng = require "throng"
local P = { compressed = true }
function P:session(client)
  local res = client:get("/page", { query = { enc = "gzip", size = 3000 } })
  local doc = res:json()
  client:check(res.headers["content-encoding"] == "gzip", "gzip answer")
  client:check(doc and doc.accept_encoding == "gzip, deflate", "asked by default")
  client:check(doc and #doc.text == 3000, "decoded")
  doc = client:get("/page?enc=none&size=1", { compressed = false }):json()
  client:check(doc and doc.accept_encoding == throng.json.null, "compressed = false wins")
end
return P
LUA
run_throng "$WORK/session.out" run "$WORK/session.lua" -s "$ADDR" -c 2 -d 1s --slow-down 0 \
    --json "$WORK/session.json" --threshold 'check:asked by default>=100%' \
    --threshold 'check:compressed = false wins>=100%' --threshold 'check:decoded>=100%' \
    --threshold 'check:gzip answer>=100%'
expect_rc 0 "$WORK/session.out"
check_ledger "$WORK/session.json"

# Without the setting nothing is asked for.
cat >"$WORK/plain.lua" <<'LUA'
local throng = require "throng"
local P = {}
function P:session(client)
  local doc = client:get("/page?enc=none&size=1"):json()
  client:check(doc and doc.accept_encoding == throng.json.null, "not asked")
end
return P
LUA
run_throng "$WORK/plain.out" run "$WORK/plain.lua" -s "$ADDR" -c 1 -n 3 --slow-down 0 \
    --threshold 'check:not asked>=100%'
expect_rc 0 "$WORK/plain.out"
echo "ok"
