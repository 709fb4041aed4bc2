#!/usr/bin/env bash
# res.headers when an answer repeats a header (three Set-Cookie lines, two
# Vary lines, as web frameworks send): the values are joined with ", " in
# their order (RFC 9110 5.3), not the last one alone; the jar keeps every
# cookie, a quoted value with its quotes (sent back as it came, as
# browsers do); a header sent once is as it came. Both styles.
. "$(dirname "$0")/lib.sh"

cat >"$WORK/server.py" <<'PY'
import http.server
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path == "/echo":  # the Cookie header the client sent
            body = (self.headers.get("Cookie") or "").encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return self.wfile.write(body)
        self.send_response(200)
        self.send_header("Set-Cookie", "a=1; Max-Age=3600; Path=/")
        self.send_header("Set-Cookie", 'b="x y"; Path=/')
        self.send_header("Set-Cookie", "c=2; Path=/")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Vary", "Cookie")
        self.send_header("X-Once", "one, value")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print("listening on 127.0.0.1:%d" % s.server_address[1], flush=True)
s.serve_forever()
PY
start_python ADDR 60 "$WORK/server.py"

cat >"$WORK/session.lua" <<'LUA'
local P = {}
function P:session(client)
  local h = client:get("/").headers
  client:check(h["set-cookie"] == 'a=1; Max-Age=3600; Path=/, b="x y"; Path=/, c=2; Path=/',
               "set-cookie joined")
  client:check(h["vary"] == "Accept-Encoding, Cookie", "vary joined")
  client:check(h["x-once"] == "one, value", "once as it came")
  client:check(#client.cookies:list() == 3, "three cookies kept")
  -- A quoted value keeps its quotes, and goes back as it came.
  client:check(client.cookies:get("b") == '"x y"', "quotes kept")
  local sent = client:get("/echo").body
  client:check(sent:find('b="x y"', 1, true) and sent:find("a=1", 1, true), "sent back quoted")
end
return P
LUA
run_throng "$WORK/session.out" run "$WORK/session.lua" -s "$ADDR" -c 1 -n 2 --slow-down 0 \
    --threshold 'check:set-cookie joined>=100%' --threshold 'check:vary joined>=100%' \
    --threshold 'check:once as it came>=100%' --threshold 'check:three cookies kept>=100%' \
    --threshold 'check:quotes kept>=100%' --threshold 'check:sent back quoted>=100%'
expect_rc 0 "$WORK/session.out"

cat >"$WORK/request.lua" <<'LUA'
local P = {}
function P:request() return { path = "/" } end
function P:response(res)
  local vary = res.headers["vary"]
  if vary ~= "Accept-Encoding, Cookie" then return false, "vary " .. tostring(vary) end
end
return P
LUA
run_throng "$WORK/request.out" run "$WORK/request.lua" -s "$ADDR" -c 1 -n 2 --slow-down 0
expect_rc 0 "$WORK/request.out"
expect_no_fault "$WORK/request.out" invalid
echo "ok"
