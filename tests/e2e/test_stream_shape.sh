#!/usr/bin/env bash
# The table persona needs only a reply's shape: against a server streaming
# a huge valid table (a 1x1 table whose one number has 12 MiB of digits, 1.5
# times max_body), 32 clients are answered without a fault and the client's
# resident memory stays small, as the bodies are scanned as they stream in
# and never kept.
. "$(dirname "$0")/lib.sh"

cat >"$WORK/huge.py" <<'PY'
import http.server, socketserver, sys

DIGITS = b"0" * 65536

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        def chunk(b):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))
        chunk(b'{"value":["vector<vector<float8>>",[[1.')
        for _ in range(192):  # 12 MiB of digits
            chunk(DIGITS)
        chunk(b"5]],[]]}")
        self.wfile.write(b"0\r\n\r\n")

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 64

srv = Server(("127.0.0.1", 0), Handler)
print("listening on 127.0.0.1:%d" % srv.server_address[1], flush=True)
srv.serve_forever()
PY
timeout 60 python3 "$WORK/huge.py" >"$WORK/huge.out" 2>"$WORK/huge.err" &
SERVER_PIDS="$SERVER_PIDS $!"
ADDR=""
for i in $(seq 100); do
    ADDR=$(sed -n 's/^listening on //p' "$WORK/huge.out")
    [ -n "$ADDR" ] && break
    sleep 0.05
done
[ -n "$ADDR" ] || fail "the huge-table server did not start: $(cat "$WORK/huge.err")"

# A sanitized build scans bytes several times slower and its resident
# memory says nothing (shadow memory, quarantine): fewer clients for
# longer, and no memory bound there.
CLIENTS=32 DURATION=5s MIN_TABLES=8 SANITIZED=0
if grep -qa -e __asan_init -e __tsan_init "$THRONG"; then
    CLIENTS=8 DURATION=8s MIN_TABLES=4 SANITIZED=1
fi

# Runs throng in the background and samples its resident memory every 0.1 s;
# PEAK_KB is the largest seen.
timeout 60 "$THRONG" run table -s "$ADDR" -c $CLIENTS -d $DURATION --big-table 1 --slow-down 0 \
    --timeout 20s --json "$WORK/huge.json" >"$WORK/run.out" 2>&1 &
pid=$!
PEAK_KB=0
while kill -0 "$pid" 2>/dev/null; do
    child=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null) # throng, under timeout
    kb=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/${child%% *}/status" 2>/dev/null)
    [ -n "$kb" ] && [ "$kb" -gt "$PEAK_KB" ] && PEAK_KB=$kb
    sleep 0.1
done
wait "$pid"
RC=$?
echo "table persona, -c $CLIENTS, 12 MiB tables: peak resident memory $((PEAK_KB / 1024)) MB"
expect_rc 0 "$WORK/run.out"
check_ledger "$WORK/huge.json"
python3 - "$WORK/huge.json" "$MIN_TABLES" <<'PY' || fail "expected answered tables and no fault: $(cat "$WORK/run.out")"
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
print("requests %d, faulted %d, bytes received %d" % (t["requests"], t["faulted"],
      t.get("bytes_received", t.get("received", 0))))
sys.exit(0 if t["requests"] >= int(sys.argv[2]) and t["faulted"] == 0 else 1)
PY
# Kept whole, 32 bodies of 12 MiB would take 384 MB (and max_body would
# refuse them); scanned, the client stays near its size at rest.
[ "$SANITIZED" = 1 ] || { [ "$PEAK_KB" -gt 0 ] && [ "$PEAK_KB" -lt 102400 ]; } ||
    fail "peak resident memory $((PEAK_KB / 1024)) MB, expected under 100 MB"
exit 0
