#!/usr/bin/env bash
# test_data.sh - throng.data: accounts from one CSV shared by the clients of
# every thread and process. A thousand clients in 2 processes x 2 threads
# take `unique` accounts from a CSV of 1000 rows: the server's record shows
# every account used, and each by one client only. `cycle` walks each
# client's rows in order from its own start (from a CSV beside the persona,
# named by a relative path); `random` draws rows of the file. One client
# more than rows: the worker that runs out reports a script-error fault
# naming the file and the rows, and the other clients go on.
. "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
PERSONA="$HERE/personas/data_accounts.lua"

# start_accounts NAME: a threaded HTTP server on a free loopback port,
# bounded to 100 s, that writes "ACCOUNT CLIENT" for each request (its
# X-Account and X-Client headers) to ACC_LOG, $WORK/NAME.log; sets ACC_PORT.
# Each run has a server of its own: a server that lags behind a run still
# writes its last requests after the run has ended, and they must not count
# as the next run's.
start_accounts() {
    ACC_LOG="$WORK/$1.log"
    : >"$ACC_LOG"
    cat >"$WORK/accounts_server.py" <<'PY'
import http.server, sys, threading

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    def log_message(self, *args):
        pass
    def do_GET(self):
        line = "%s %s\n" % (self.headers.get("X-Account"), self.headers.get("X-Client"))
        with Handler.lock:
            log.write(line)
            log.flush()
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 4096  # a thousand clients connect at once
    daemon_threads = True

log = open(sys.argv[1], "a")
server = Server(("127.0.0.1", 0), Handler)
print("listening on %d" % server.server_address[1], flush=True)
threading.Timer(float(sys.argv[2]), server.shutdown).start()
server.serve_forever()
PY
    start_python ACC_PORT 120 "$WORK/accounts_server.py" "$ACC_LOG" 100
}

# accounts_check PYTHON: runs PYTHON over `pairs` (the record, a list of
# (account, client) pairs); it prints why and exits 1 when a check fails.
accounts_check() {
    python3 - "$ACC_LOG" "$1" <<'PY' || fail "$2 (record in $ACC_LOG)"
import sys
pairs = [tuple(l.split()) for l in open(sys.argv[1]) if l.strip()]
exec(sys.argv[2])
PY
}

start_accounts unique
python3 -c 'import sys
print("user,password")
for i in range(1, 1001): print("user%04d,pw%d" % (i, i))' >"$WORK/accounts.csv"

# --- unique: 1000 clients, 1000 rows, 2 processes x 2 threads ------------
run_throng "$WORK/unique.out" run "$PERSONA" -s "127.0.0.1:$ACC_PORT" -c 1000 -p 2 -t 2 \
    -d 3s --slow-down 1s --json "$WORK/unique.json" -- file="$WORK/accounts.csv" mode=unique
expect_rc 0 "$WORK/unique.out"
expect_no_fault "$WORK/unique.out" script-error
check_ledger "$WORK/unique.json"
accounts_check '
by_account, by_client = {}, {}
for a, c in pairs:
    by_account.setdefault(a, set()).add(c)
    by_client.setdefault(c, set()).add(a)
shared = {a: cs for a, cs in by_account.items() if len(cs) > 1}
if shared:
    print("accounts used by more than one client:", list(shared.items())[:5]); sys.exit(1)
several = {c: s for c, s in by_client.items() if len(s) > 1}
if several:
    print("clients that used more than one account:", list(several.items())[:5]); sys.exit(1)
want = {"user%04d" % i for i in range(1, 1001)}
if set(by_account) != want or len(by_client) != 1000:
    print("%d accounts used by %d clients; missing %s, unknown %s" % (len(by_account),
          len(by_client), sorted(want - set(by_account))[:5], sorted(set(by_account) - want)[:5]))
    sys.exit(1)
# Clients that asked again kept their row (checked above); on a loaded
# machine not every client gets a second turn in 3 s, so ask for some.
again = sum(1 for c in by_client if sum(1 for _, x in pairs if x == c) > 1) if len(pairs) < 20000 else 1000
if again < 50:
    print("%d requests, %d clients asked twice: the clients did not come back" % (len(pairs), again)); sys.exit(1)
' "unique: an account used twice, or not every row used once"

# --- running out: one client more than rows -------------------------------
start_accounts short
run_throng "$WORK/short.out" run "$PERSONA" -s "127.0.0.1:$ACC_PORT" -c 1001 -p 2 -t 2 \
    -d 4s --slow-down 1s --json "$WORK/short.json" -- file="$WORK/accounts.csv" mode=unique
[ "$(fault_count "$WORK/short.out" script-error)" = 1 ] ||
    fail "expected one script-error fault when the rows run out:
$(cat "$WORK/short.out")"
# The sample in the JSON report: the file, the share, the rows and the clients.
python3 - "$WORK/short.json" "$WORK/accounts.csv" <<'PY' || fail "running out: the fault should name the file, the rows and the clients"
import json, sys
doc = json.load(open(sys.argv[1]))
sample = doc["groups"][0]["totals"]["faults"]["script-error"]["sample"]
want = ("%s: unique rows used up (this worker's 250 of 1000, 2x2 workers, 250 clients; "
        "client 251 got none)" % sys.argv[2])
if want not in sample:
    print("expected\n  %s\nin the sample\n  %s" % (want, sample), file=sys.stderr)
    sys.exit(1)
PY
check_ledger "$WORK/short.json"
accounts_check '
# Every row goes to one client only; the other clients still run (all
# 1000 rows in a quiet run; a sanitizer build on a loaded machine may not
# start every client within the run).
owner = {}
for a, c in pairs:
    if owner.setdefault(a, c) != c:
        print("account %s used by two clients" % a); sys.exit(1)
if len(owner) < 500:
    print("%d accounts used" % len(owner)); sys.exit(1)
' "running out: the other clients should still have used their rows, each its own"

# --- cycle: rows in order from each client's own start (relative path) ----
start_accounts cycle
run_throng "$WORK/cycle.out" run "$PERSONA" -s "127.0.0.1:$ACC_PORT" -c 3 -t 1 \
    -n 30 --slow-down 0 -- mode=cycle
expect_rc 0 "$WORK/cycle.out"
accounts_check '
rows = ["ann", "ben", "cid", "dee", "eve"]
seq = {}
for a, c in pairs:
    seq.setdefault(c, []).append(rows.index(a))
if len(seq) != 3 or sum(map(len, seq.values())) != 30:
    print("expected 30 requests of 3 clients:", seq); sys.exit(1)
for c, s in seq.items():
    if any(b != (a + 1) % 5 for a, b in zip(s, s[1:])):
        print("client %s did not walk the rows in order: %s" % (c, s)); sys.exit(1)
starts = sorted(s[0] for s in seq.values())
if starts != [0, 1, 2]:
    print("the clients should start at rows 1, 2 and 3, not", starts); sys.exit(1)
' "cycle: each client walks the rows in order from its own start"

# --- random: rows of the file, all of them over enough draws --------------
start_accounts random
run_throng "$WORK/random.out" run "$PERSONA" -s "127.0.0.1:$ACC_PORT" -c 2 -t 1 \
    -n 200 --slow-down 0 -- mode=random
expect_rc 0 "$WORK/random.out"
accounts_check '
rows = {"ann", "ben", "cid", "dee", "eve"}
seen = [a for a, c in pairs]
if len(seen) != 200 or set(seen) != rows:
    print("%d requests over rows %s" % (len(seen), sorted(set(seen)))); sys.exit(1)
in_order = sum(1 for a, b in zip(seen, seen[1:]) if a == b)
if in_order < 10:
    print("a row never came twice running in 200 draws: not random"); sys.exit(1)
' "random: rows drawn from the whole file"

# --- a bad file is a clear error before the load starts -------------------
printf 'user,password\nann,"a1\n' >"$WORK/bad.csv"
run_throng "$WORK/bad.out" run "$PERSONA" -s "127.0.0.1:$ACC_PORT" -c 1 -d 1s \
    -- file="$WORK/bad.csv"
[ "$RC" -ne 0 ] || fail "a bad CSV should fail the run:
$(cat "$WORK/bad.out")"
expect_grep "$WORK/bad.csv:2: bad quote" "$WORK/bad.out"

echo "test_data: ok"
