#!/usr/bin/env bash
# test_wrk_cli.sh - `throng wrk`'s command line and report against `throng
# serve`: wrk's layout line by line, the requests printed against the
# server's own count, Non-2xx responses, timeouts and connect errors as
# socket errors, -H headers, --json (its ledger) and --html, https://, and wrong
# flags refused with exit status 2 before anything runs.
. "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)

printed() {
    sed -n 's/^  \([0-9][0-9]*\) requests in .*/\1/p' "$1"
}

# --- 1. wrk's layout, and the count against the server's ----------------------
start_server TABLE
run_throng "$WORK/plain.out" wrk -t2 -c10 -d1s --latency --json "$WORK/plain.json" \
    --html "$WORK/plain.html" "http://$TABLE_ADDR/Xy?x=3&y=2"
expect_rc 0 "$WORK/plain.out"
check_ledger "$WORK/plain.json"
[ -s "$WORK/plain.html" ] || fail "--html wrote nothing"
python3 - "$WORK/plain.out" "$TABLE_ADDR" <<'PY' || fail "not wrk's layout: $(cat "$WORK/plain.out")"
import re, sys
lines = open(sys.argv[1]).read().split("\n")
want = [
    r"Running 1s test @ http://%s/Xy\?x=3&y=2$" % re.escape(sys.argv[2]),
    r"  2 threads and 10 connections$",
    r"  Thread Stats   Avg      Stdev     Max   \+/- Stdev$",
    r"    Latency +[0-9.]+(us|ms|s) +[0-9.]+(us|ms|s) +[0-9.]+(us|ms|s) +[0-9.]+%$",
    r"    Req/Sec +[0-9.]+k? +[0-9.]+k? +[0-9.]+k? +[0-9.]+%$",
    r"  Latency Distribution$",
    r"     50% +[0-9.]+(us|ms|s)$",
    r"     75% +[0-9.]+(us|ms|s)$",
    r"     90% +[0-9.]+(us|ms|s)$",
    r"     99% +[0-9.]+(us|ms|s)$",
    r"  [0-9]+ requests in [0-9.]+(ms|s), [0-9.]+[KMG]?B read$",
    r"Requests/sec: +[0-9.]+$",
    r"Transfer/sec: +[0-9.]+[KMG]?B$",
    r"throng's full report: --json FILE or --html FILE \(written to .*plain\.json, .*plain\.html\)$",
]
for i, w in enumerate(want):
    if i >= len(lines) or not re.match(w, lines[i]):
        print("line %d: %r does not match %r" % (i + 1, lines[i] if i < len(lines) else None, w))
        sys.exit(1)
PY
n=$(printed "$WORK/plain.out")
served=$(status_field "$TABLE_ADDR" requests)
[ "${n:-0}" -ge 1000 ] || fail "ten connections for 1 s answered only ${n:-0}"
# The server answered every request printed, and at most the ten in flight
# at the end besides.
[ "$served" -ge "$n" ] && [ "$served" -le $((n + 10)) ] ||
    fail "printed $n requests, the server answered $served: $(cat "$WORK/plain.out")"
python3 -c "
import json, sys
d = json.load(open('$WORK/plain.json'))
sys.exit(0 if sum(g['connects'] for g in d['groups']) == 10 and len(d['groups']) == 2 else 1)" ||
    fail "each of the 10 connections should be opened once and kept"
# Requests/sec is the requests over the time printed.
python3 - "$WORK/plain.out" <<'PY' || fail "Requests/sec does not follow: $(cat "$WORK/plain.out")"
import re, sys
t = open(sys.argv[1]).read()
n, secs, unit = re.search(r"  (\d+) requests in ([0-9.]+)(ms|s),", t).groups()
secs = float(secs) / (1000 if unit == "ms" else 1)
rate = float(re.search(r"Requests/sec: +([0-9.]+)", t).group(1))
sys.exit(0 if abs(rate - int(n) / secs) <= 0.01 * rate + 1 else 1)
PY
grep -q 'Socket errors\|Non-2xx' "$WORK/plain.out" && fail "no errors expected: $(cat "$WORK/plain.out")"

# --- 2. answers that are not 2xx or 3xx ----------------------------------------
run_throng "$WORK/404.out" wrk -t1 -c2 -d1s "http://$TABLE_ADDR/nowhere"
expect_rc 0 "$WORK/404.out"
n=$(printed "$WORK/404.out")
expect_grep "  Non-2xx or 3xx responses: $n" "$WORK/404.out"

# --- 3. timeouts are socket errors, and in the latency --------------------------
start_server SLOW --latency 0.4
run_throng "$WORK/slow.out" wrk -t1 -c2 -d1s --timeout 100ms --json "$WORK/slow.json" \
    "http://$SLOW_ADDR/Xy?x=1&y=1"
expect_rc 0 "$WORK/slow.out"
check_ledger "$WORK/slow.json"
t=$(sed -n 's/^  Socket errors: connect 0, read 0, write 0, timeout \([0-9]*\)$/\1/p' "$WORK/slow.out")
[ "${t:-0}" -ge 2 ] || fail "every request should time out: $(cat "$WORK/slow.out")"
expect_grep "  Timeouts in latency: $t requests timed out" "$WORK/slow.out"
python3 - "$WORK/slow.json" "$t" <<'PY' || fail "timed-out count differs from the JSON report"
import json, sys
tot = json.load(open(sys.argv[1]))["totals"]
sys.exit(0 if tot["faults"]["timed-out"]["count"] == int(sys.argv[2]) else 1)
PY
grep -qE '^    Latency +(9[0-9]|1[0-9][0-9])\.[0-9]+ms' "$WORK/slow.out" ||
    fail "the timed-out waits (about 100 ms) should make the latency: $(cat "$WORK/slow.out")"

# --- 4. connect errors ----------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run_throng "$WORK/refused.out" wrk -t1 -c1 -d1s "http://127.0.0.1:$port/"
expect_rc 0 "$WORK/refused.out"
grep -qE '^  Socket errors: connect [1-9][0-9]*, read 0, write 0, timeout 0$' "$WORK/refused.out" ||
    fail "a refused connection is a connect error: $(cat "$WORK/refused.out")"
expect_grep "  0 requests in" "$WORK/refused.out"

# --- 5. -H headers reach the server ---------------------------------------------
python3 "$HERE/wrk_server.py" 60 >"$WORK/ws.out" 2>"$WORK/ws.err" &
SERVER_PIDS="$SERVER_PIDS $!"
for i in $(seq 100); do
    PORT=$(sed -n 's/^listening on //p' "$WORK/ws.out")
    [ -n "$PORT" ] && break
    sleep 0.05
done
run_throng "$WORK/h.out" wrk -t1 -c1 -d1s -H 'X-Token: t0k3n' -H 'X-Count: 7' "http://127.0.0.1:$PORT/data"
expect_rc 0 "$WORK/h.out"
n=$(printed "$WORK/h.out")
curl -sf "http://127.0.0.1:$PORT/__stats" | python3 -c "
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if s['requests'] >= $n and s['tokens'].get('t0k3n') == s['requests'] == s['counts'].get('7') else 1)" ||
    fail "every request should carry both -H headers: $(curl -sf "http://127.0.0.1:$PORT/__stats")"
grep -q 'Non-2xx' "$WORK/h.out" && fail "/data with its token answers 200: $(cat "$WORK/h.out")"

# --- 6. https://, its certificate not verified, as wrk does not ---------------
(cd "$WORK" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=localhost -keyout self.key -out self.crt >/dev/null 2>&1) || fail "openssl req failed"
start_server TLS --tls-cert "$WORK/self.crt" --tls-key "$WORK/self.key"
run_throng "$WORK/tls.out" wrk -t1 -c2 -d1s "$TLS_ADDR/Xy?x=1&y=1"
expect_rc 0 "$WORK/tls.out"
n=$(printed "$WORK/tls.out")
[ "${n:-0}" -ge 100 ] || fail "a self-signed server should be loaded: $(cat "$WORK/tls.out")"
grep -q 'Socket errors' "$WORK/tls.out" && fail "no errors expected over TLS: $(cat "$WORK/tls.out")"

# --- 7. wrong flags: exit 2, nothing run ----------------------------------------
run_throng "$WORK/ct.out" wrk -t4 -c2 -d1s "http://$TABLE_ADDR/"
expect_rc 2 "$WORK/ct.out"
expect_grep "number of connections must be >= threads" "$WORK/ct.out"
run_throng "$WORK/url.out" wrk -d1s "not a url"
expect_rc 2 "$WORK/url.out"
expect_grep "invalid URL: not a url" "$WORK/url.out"
run_throng "$WORK/nos.out" wrk -d1s -s "$WORK/missing.lua" "http://$TABLE_ADDR/"
expect_rc 2 "$WORK/nos.out"
expect_grep "missing.lua" "$WORK/nos.out"
printf 'request = function(\n' >"$WORK/syntax.lua"
run_throng "$WORK/syn.out" wrk -d1s -s "$WORK/syntax.lua" "http://$TABLE_ADDR/"
expect_rc 2 "$WORK/syn.out"
expect_grep "syntax.lua:" "$WORK/syn.out"
grep -q "Running" "$WORK/syn.out" && fail "nothing should run with a script that does not load"
run_throng "$WORK/v.out" wrk -v
expect_rc 0 "$WORK/v.out"
expect_grep "throng wrk" "$WORK/v.out"
run_throng "$WORK/help.out" wrk --help
expect_rc 0 "$WORK/help.out"
expect_grep "--latency" "$WORK/help.out"

echo "PASS"
