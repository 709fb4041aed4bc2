#!/usr/bin/env bash
# test_serve.sh - `throng serve`, the demonstration table service, driven
# from outside with curl and raw sockets: the wire format, the crunch
# operations (/Multiply, /Divide) and their faults, errors, /status,
# keep-alive and pipelining, hostile input, the fault-injection flags, a
# stall (--pause-at) timed with curl, the listening line and a clean stop on
# SIGINT.
#
# Needs THRONG (the built binary); uses only 127.0.0.1 and ephemeral ports.
set -u

THRONG=${THRONG:?THRONG must name the built throng binary}
WORK=$(mktemp -d)
PIDS=()
FAILED=0

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    FAILED=1
}

pass() {
    echo "ok: $*"
}

# Starts a server with the given flags on an ephemeral port; sets PORT and
# SERVER (its pid). The server dies on its own after a while, whatever happens.
start_server() {
    local out="$WORK/server.$#.$RANDOM"
    timeout 150 "$THRONG" serve --listen 127.0.0.1:0 "$@" >"$out.out" 2>"$out.err" &
    SERVER=$!
    SERVER_ERR="$out.err"
    PIDS+=("$SERVER")
    PORT=""
    for _ in $(seq 100); do
        PORT=$(sed -n 's/^throng serve: listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$out.out")
        [ -n "$PORT" ] && break
        sleep 0.05
    done
    if [ -z "$PORT" ]; then
        echo "FAIL: server with flags '$*' printed no listening line" >&2
        cat "$out.err" >&2
        exit 1
    fi
    URL="http://127.0.0.1:$PORT"
}

# Stops the running server with SIGINT; sets STOP_RC.
stop_server() {
    kill -INT "$SERVER"
    wait "$SERVER"
    STOP_RC=$?
}

req() {
    curl -s --max-time 5 "$@"
}

post_table() { # x y [curl flags...]
    local x=$1 y=$2
    shift 2
    req -H 'Content-Type: application/json' -d "{\"value\":{\"x\":$x,\"y\":$y}}" "$@" "$URL/Xy"
}

post_crunch() { # operation x y [curl flags...]
    local op=$1 x=$2 y=$3
    shift 3
    req -H 'Content-Type: application/json' -d "{\"value\":{\"x\":$x,\"y\":$y}}" "$@" "$URL/$op"
}

# The number of an Output envelope read on stdin, or "bad".
output_value() {
    sed -n 's/^{"value":\["Output",{"value":\(-\{0,1\}[0-9][0-9.e+-]*\)},\[\]\]}$/\1/p' | grep . || echo bad
}

faulted() { # condition: the Faulted envelope the service answers with it
    echo "{\"value\":[\"layer_cake.point_runtime.Faulted\",{\"condition\":\"$1\",\"explanation\":null,\"error_code\":null,\"exit_status\":null},[]]}"
}

# Prints "ROWS COLS" of a layer-cake table body read on stdin, or "bad".
shape() {
    awk '
    BEGIN { RS = "\001" }
    {
        sub(/\n$/, "")
        pre = "{\"value\":[\"vector<vector<float8>>\",[["
        suf = "]],[]]}"
        if (index($0, pre) != 1 || substr($0, length($0) - length(suf) + 1) != suf) {
            print "bad"; exit
        }
        body = substr($0, length(pre) + 1, length($0) - length(pre) - length(suf))
        n = split(body, rows, /\],\[/)
        cols = -1
        for (i = 1; i <= n; i++) {
            m = split(rows[i], cells, ",")
            for (j = 1; j <= m; j++)
                if (cells[j] !~ /^[0-9]+\.[0-9]+$/) { print "bad"; exit }
            if (cols >= 0 && m != cols) { print "bad"; exit }
            cols = m
        }
        print n, cols
        exit
    }'
}

# The "requests" counter of GET /status.
status_requests() {
    req "$URL/status" | sed -n 's/.*"requests":\([0-9]*\).*/\1/p'
}

# The "crunch" counter of GET /status.
status_crunch() {
    req "$URL/status" | sed -n 's/.*"crunch":\([0-9]*\).*/\1/p'
}

# Sends raw bytes (from stdin) on a new connection and prints what comes
# back within a second or two.
raw() {
    local out="$WORK/raw.$RANDOM"
    (
        exec 3<>"/dev/tcp/127.0.0.1/$PORT" || exit 1
        cat >&3 2>/dev/null
        timeout 2 cat <&3
    ) >"$out" 2>/dev/null
    cat "$out"
}

# ------------------------------------------------------------ the wire format

start_server --seed 7

headers=$(post_table 3 2 -o "$WORK/body" -D - -w '%{http_code} %{content_type}\n')
case "$headers" in
*"200 application/json"*) pass "POST /Xy answers 200 application/json" ;;
*) fail "POST /Xy: expected 200 application/json, got: $headers" ;;
esac
got=$(shape <"$WORK/body")
[ "$got" = "2 3" ] && pass "POST x=3 y=2 gives 2 rows of 3" || fail "POST x=3 y=2 gave shape '$got'"
grep -qi '^content-length: ' <<<"$headers" || fail "POST /Xy answer has no Content-Length"

got=$(req "$URL/Xy?x=3&y=2" | shape)
[ "$got" = "2 3" ] && pass "GET /Xy?x=3&y=2 gives 2 rows of 3" || fail "GET x=3 y=2 gave '$got'"
got=$(req "$URL/Xy?y=40&x=57" | shape)
[ "$got" = "40 57" ] && pass "GET 57 x 40" || fail "GET x=57 y=40 gave '$got'"
got=$(post_table 1 1 | shape)
[ "$got" = "1 1" ] && pass "POST 1 x 1" || fail "POST x=1 y=1 gave '$got'"
got=$(req "$URL/Xy?x=1500&y=300" | shape)
[ "$got" = "300 1500" ] && pass "a large table (1500 x 300) comes whole" || fail "large table gave '$got'"

# ---------------------------------------------------------------- crunches

crunch_before=$(status_crunch)
got=$(post_crunch Multiply 6 7 -o "$WORK/body" -w '%{http_code} %{content_type}')
[ "$got" = "200 application/json" ] && pass "POST /Multiply answers 200 application/json" ||
    fail "POST /Multiply: expected 200 application/json, got: $got"
[ "$(cat "$WORK/body")" = '{"value":["Output",{"value":42},[]]}' ] ||
    [ "$(cat "$WORK/body")" = '{"value":["Output",{"value":42.0},[]]}' ] &&
    pass "Multiply 6 * 7 is 42" || fail "Multiply 6 * 7 answered: $(cat "$WORK/body")"
got=$(post_crunch Divide 1 4 | output_value)
awk -v v="$got" 'BEGIN { exit !(v == 0.25) }' && pass "Divide 1 / 4 is 0.25 ($got)" ||
    fail "Divide 1 / 4 answered '$got'"
got=$(post_crunch Multiply 0.1 3 | output_value)
[ "$got" = 0.30000000000000004 ] && pass "Multiply 0.1 * 3 reads back exactly ($got)" ||
    fail "Multiply 0.1 * 3 answered '$got'"
got=$(post_crunch Divide -7.5 2.5 | output_value)
awk -v v="$got" 'BEGIN { exit !(v == -3) }' && pass "Divide -7.5 / 2.5 is -3 ($got)" ||
    fail "Divide -7.5 / 2.5 answered '$got'"

got=$(post_crunch Divide 1 0 -w ' %{http_code} %{content_type}')
[ "$got" = "$(faulted 'division by zero') 500 application/json" ] &&
    pass "Divide by zero answers the Faulted envelope with 500" ||
    fail "Divide 1 / 0 answered: $got"
got=$(post_crunch Multiply 1e300 1e300 -w ' %{http_code}')
[ "$got" = "$(faulted 'result out of range') 500" ] &&
    pass "an infinite product answers Faulted: result out of range" ||
    fail "Multiply 1e300 * 1e300 answered: $got"

refused=0
for body in '{"value":{"x":6,' '{"value":{"x":"6","y":7}}' '{"value":{"x":6}}' \
    '{"value":{"x":1e999,"y":2}}' '[6,7]'; do
    got=$(req -w ' %{http_code} %{content_type}' -H 'Content-Type: application/json' \
        -d "$body" "$URL/Multiply")
    case "$got" in
    ?*" 400 text/plain") refused=$((refused + 1)) ;;
    *) fail "Multiply with body '$body' answered: $got" ;;
    esac
done
[ "$refused" = 5 ] && pass "bad crunch bodies get 400 with a message"
code=$(req -o /dev/null -w '%{http_code}' -d '{"value":{"x":6,"y":7}}' "$URL/Divide")
[ "$code" = 415 ] && pass "a crunch without Content-Type: application/json gets 415" ||
    fail "Divide without the JSON type got $code"
got=$(req -w ' %{http_code}' "$URL/Multiply")
[ "$got" = "/Multiply takes POST
 405" ] && pass "GET /Multiply gets 405" || fail "GET /Multiply answered: $got"
code=$(req -o /dev/null -w '%{http_code}' "$URL/Divide?x=1&y=4")
[ "$code" = 405 ] && pass "GET /Divide gets 405" || fail "GET /Divide got $code"

crunch_after=$(status_crunch)
if [ -n "$crunch_before" ] && [ -n "$crunch_after" ] &&
    [ "$crunch_after" -eq $((crunch_before + 6)) ]; then
    pass "/status counts the six crunch answers, faults included ($crunch_before -> $crunch_after)"
else
    fail "/status crunch went from '$crunch_before' to '$crunch_after', expected +6"
fi

answers=$(printf '%s' \
    $'POST /Multiply HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 23\r\n\r\n' \
    '{"value":{"x":2,"y":3}}' \
    $'GET /Xy?x=2&y=1 HTTP/1.1\r\nHost: t\r\n\r\n' \
    $'POST /Divide HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 23\r\n' \
    $'Connection: close\r\n\r\n{"value":{"x":9,"y":2}}' | raw)
order=$(grep -o '"value":[0-9.]*}\|\[\[[0-9.,]*\]\]' <<<"$answers" | tr '\n' ' ')
case "$order" in
'"value":6} [['*']] "value":4.5} ') pass "pipelined crunches and tables are answered in order" ;;
*) fail "pipelined crunches: answers '$order'" ;;
esac

# ------------------------------------------------------------------ errors

code=$(req -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"value":{"x":3,' "$URL/Xy")
[ "$code" = 400 ] && pass "malformed JSON gets 400" || fail "malformed JSON got $code"
code=$(req -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"value":{"x":0,"y":2}}' "$URL/Xy")
[ "$code" = 400 ] && pass "x=0 gets 400" || fail "x=0 got $code"
code=$(req -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"value":{"x":2.5,"y":2}}' "$URL/Xy")
[ "$code" = 400 ] && pass "x=2.5 gets 400" || fail "x=2.5 got $code"
code=$(req -o /dev/null -w '%{http_code}' "$URL/Xy?x=10001&y=2")
[ "$code" = 400 ] && pass "x=10001 gets 400" || fail "x=10001 got $code"
code=$(req -o /dev/null -w '%{http_code}' "$URL/Xy?x=3")
[ "$code" = 400 ] && pass "a missing y gets 400" || fail "missing y got $code"
code=$(req -o /dev/null -w '%{http_code}' "$URL/nowhere")
[ "$code" = 404 ] && pass "an unknown path gets 404" || fail "unknown path got $code"
code=$(head -c 1100000 /dev/zero | tr '\0' ' ' |
    req -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @- "$URL/Xy")
[ "$code" = 413 ] && pass "a body over 1 MiB gets 413" || fail "1.1 MB body got $code"

# ------------------------------------------------------------------ /status

before=$(status_requests)
req "$URL/Xy?x=2&y=2" >/dev/null
req "$URL/Xy?x=2&y=2" >/dev/null
after=$(status_requests)
if [ -n "$before" ] && [ -n "$after" ] && [ "$after" -eq $((before + 2)) ]; then
    pass "/status counts requests ($before -> $after)"
else
    fail "/status requests went from '$before' to '$after', expected +2"
fi
req "$URL/status" | grep -q '"uptime":[0-9.]*,"requests":[0-9]*,"tables":[0-9]*,"busy":0,"bad":[1-9]' ||
    fail "/status body: $(req "$URL/status")"

# ------------------------------------------------- keep-alive and pipelining

connects=$(req -o /dev/null -o /dev/null -w '%{num_connects} %{http_code}\n' \
    "$URL/Xy?x=2&y=3" "$URL/Xy?x=3&y=2" | tr '\n' ' ')
[ "$connects" = "1 200 0 200 " ] && pass "two requests share one connection" ||
    fail "keep-alive: connects and codes were '$connects'"

answers=$(printf '%s' \
    $'GET /Xy?x=1&y=1 HTTP/1.1\r\nHost: t\r\n\r\n' \
    $'POST /Xy HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 23\r\n\r\n' \
    '{"value":{"x":2,"y":1}}' \
    $'GET /Xy?x=3&y=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' | raw)
n=$(($(grep -o 'HTTP/1.1 200 OK' <<<"$answers" | wc -l)))
order=$(grep -o '\[\[[0-9.,]*\]\]' <<<"$answers" | awk -F, '{ printf "%d ", NF }')
[ "$n" = 3 ] && [ "$order" = "1 2 3 " ] && pass "three pipelined requests answered in order" ||
    fail "pipelining: $n answers, row widths '$order'"
grep -q '^Connection: close' <<<"$answers" || fail "Connection: close was not honoured"

answer=$(printf 'GET /Xy?x=1&y=1 HTTP/1.0\r\n\r\n' | raw)
grep -q '^Connection: close' <<<"$answer" && pass "HTTP/1.0 without keep-alive is closed" ||
    fail "HTTP/1.0 answer: $answer"

# ----------------------------------------------------------- hostile input

head -c 100000 /dev/urandom | raw >/dev/null
{
    printf 'GET /Xy?x=1&y=1 HTTP/1.1\r\nX-Big: '
    head -c 200000 /dev/zero | tr '\0' a
    printf '\r\n\r\n'
} | raw >"$WORK/big"
grep -q '^HTTP/1.1 431' "$WORK/big" || fail "a huge header did not get 431"
printf 'POST /Xy HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"va' |
    raw >/dev/null
printf 'GET /Xy?x=1&y' | raw >/dev/null
printf 'GET /%0300d HTTP/1.1\r\n\r\n' 0 | raw | grep -q '^HTTP/1.1 414' ||
    fail "a long request target did not get 414"
printf 'BREW /Xy HTTP/1.1\r\n\r\n\r\n\r\n' | raw >/dev/null
printf 'POST /Xy HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n' |
    raw >/dev/null
code=$(req -o /dev/null -w '%{http_code}' "$URL/status")
[ "$code" = 200 ] && pass "garbage, a huge header and truncated requests leave it serving" ||
    fail "after hostile input /status got '$code'"

stop_server
[ "$STOP_RC" = 0 ] && pass "SIGINT stops it with status 0" || fail "SIGINT: exit status $STOP_RC"
grep -q '^throng serve: stopped after .* requests' "$SERVER_ERR" && pass "it prints a summary" ||
    fail "no summary on stderr: $(cat "$SERVER_ERR")"

# ---------------------------------------------------------- fault injection

start_server --busy 1
busy='{"value":["layer_cake.point_runtime.Busy",{"condition":"server busy","explanation":null,"error_code":null,"exit_status":null},[]]}'
got=$(post_table 3 2 -w ' %{http_code} %{content_type}')
[ "$got" = "$busy 500 application/json" ] && pass "--busy 1 answers the Busy envelope with 500" ||
    fail "--busy 1 answered: $got"
req "$URL/status" | grep -q '"busy":1,' || fail "/status does not count the Busy answer"
got=$(post_crunch Multiply 6 7 -w ' %{http_code}')
[ "$got" = "$busy 500" ] && pass "--busy 1 answers a crunch Busy too" ||
    fail "--busy 1 crunch answered: $got"
req "$URL/status" | grep -q '"busy":2,.*"crunch":0,' || fail "/status counts a Busy crunch wrongly"
stop_server

start_server --wrong-size 1
got=$(req "$URL/Xy?x=4&y=5" | shape)
if [ "$got" != "5 4" ] && [ "$got" != bad ] && [ -n "$got" ]; then
    pass "--wrong-size 1 answers a table of another shape ($got)"
else
    fail "--wrong-size 1 answered shape '$got'"
fi
got=$(post_crunch Multiply 6 7 | output_value)
if [ "$got" != bad ] && awk -v v="$got" 'BEGIN { exit !(v != 42) }'; then
    pass "--wrong-size 1 answers a wrong crunch result ($got)"
else
    fail "--wrong-size 1 crunch answered '$got'"
fi
got=$(post_crunch Divide 6 0 -w ' %{http_code}')
[ "$got" = "$(faulted 'division by zero') 500" ] || fail "--wrong-size 1 changed a fault: $got"
stop_server

start_server --drop 1
req -o /dev/null "$URL/Xy?x=4&y=5"
rc=$?
[ "$rc" = 52 ] || [ "$rc" = 56 ] && pass "--drop 1 closes without an answer" ||
    fail "--drop 1: curl exit status $rc"
post_crunch Divide 1 4 -o /dev/null
rc=$?
[ "$rc" = 52 ] || [ "$rc" = 56 ] && pass "--drop 1 drops a crunch too" ||
    fail "--drop 1 crunch: curl exit status $rc"
req "$URL/status" | grep -q '"dropped":2,.*"crunch":0,' || fail "/status: $(req "$URL/status")"
stop_server

start_server --latency 300ms -t 3
t=$(req -o /dev/null -w '%{time_total}' "$URL/Xy?x=2&y=2")
awk -v t="$t" 'BEGIN { exit !(t >= 0.29) }' && pass "--latency 300ms delays the answer (${t}s)" ||
    fail "--latency 300ms answered in ${t}s"
got=$(post_crunch Multiply 6 7 -o /dev/null -w '%{http_code} %{time_total}')
awk -v c="${got% *}" -v t="${got#* }" 'BEGIN { exit !(c == 200 && t >= 0.29) }' &&
    pass "--latency 300ms delays a crunch (${got#* }s)" || fail "--latency 300ms crunch: $got"
# Leaves a delayed request behind: the client goes away mid-timer.
req --max-time 0.1 -o /dev/null "$URL/Xy?x=2&y=2"
for i in 1 2 3 4 5 6; do req -o /dev/null -w '%{http_code}\n' "$URL/Xy?x=$i&y=2" & done >"$WORK/codes"
for _ in $(seq 50); do
    [ "$(grep -c 200 "$WORK/codes")" = 6 ] && break
    sleep 0.1
done
[ "$(grep -c 200 "$WORK/codes")" = 6 ] && pass "three threads answer concurrent requests" ||
    fail "with -t 3: $(tr '\n' ' ' <"$WORK/codes")"
stop_server
[ "$STOP_RC" = 0 ] || fail "with -t 3 and a request in its timer, SIGINT gave exit status $STOP_RC"

# -------------------------------------------------------------------- stall

# Seconds since $1 (a `date +%s.%N`), and whether a number is in [lo, hi).
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v < hi) }'; }
# Sleeps until $2 seconds after $1.
sleep_until() { sleep "$(awk -v a="$1" -v t="$2" -v b="$(date +%s.%N)" 'BEGIN { d = a + t - b; printf "%.3f", (d > 0 ? d : 0) }')"; }

# The pause counts from the first request (sent 1.2 s after the start, when
# a pause counted from the start would hold it), so it is [1 s, 2 s) from
# that request's arrival, a moment after T0: the timings below do not
# depend on how long the server took to start.
start_server --latency 20ms --pause-at 1s:1s --pause-from first-request
sleep 1.2
T0=$(date +%s.%N)
t=$(req -o /dev/null -w '%{time_total}' "$URL/Xy?x=2&y=2")
within "$t" 0.019 0.5 && pass "before the pause (from the first request) an answer takes its latency (${t}s)" ||
    fail "before the pause: ${t}s"
sleep_until "$T0" 1.2
req -o /dev/null -w '%{http_code} %{time_total}\n' "$URL/Xy?x=3&y=2" >"$WORK/held" &
held_curl=$!
sleep 0.2
got=$(req -w ' %{time_total}' "$URL/status")
if echo "$got" | grep -q '"held":1}' && within "${got##* }" 0 0.5; then
    pass "/status answers at once during the pause, counting the held request"
else
    fail "/status during the pause: $got"
fi
wait "$held_curl"
read -r code t <"$WORK/held"
at=$(since "$T0")
[ "$code" = 200 ] && within "$t" 0.4 1.5 && pass "a request sent in the pause is answered at its end (${t}s)" ||
    fail "in the pause: status $code after ${t}s (answered ${at}s after the start)"
sleep_until "$T0" 2.3
t=$(req -o /dev/null -w '%{time_total}' "$URL/Xy?x=2&y=2")
within "$t" 0.019 0.5 && pass "after the pause an answer takes its latency again (${t}s)" ||
    fail "after the pause: ${t}s"
stop_server
grep -q ' 3 requests, .* 1 held$' "$SERVER_ERR" && pass "the summary counts the held request" ||
    fail "summary: $(cat "$SERVER_ERR")"

# ------------------------------------------------------------ command line

"$THRONG" serve --busy 3 >/dev/null 2>"$WORK/err"
rc=$?
[ "$rc" = 2 ] && grep -q -- '--busy' "$WORK/err" && pass "a bad flag value exits 2 naming it" ||
    fail "--busy 3: exit $rc, said: $(cat "$WORK/err")"
"$THRONG" serve --pause-at 3s >/dev/null 2>"$WORK/err"
rc=$?
[ "$rc" = 2 ] && grep -q -- "--pause-at: pause '3s' is not WHEN:FOR" "$WORK/err" &&
    pass "a --pause-at without its length exits 2 saying so" ||
    fail "--pause-at 3s: exit $rc, said: $(cat "$WORK/err")"
start_server
timeout 10 "$THRONG" serve --listen "127.0.0.1:$PORT" >/dev/null 2>"$WORK/err"
rc=$?
[ "$rc" = 2 ] && grep -q "127.0.0.1:$PORT" "$WORK/err" && pass "a busy port exits 2 naming the address" ||
    fail "listening twice on $PORT: exit $rc, said: $(cat "$WORK/err")"
timeout 10 "$THRONG" serve -t 2 --listen "127.0.0.1:$PORT" >/dev/null 2>"$WORK/err"
rc=$?
[ "$rc" = 2 ] || fail "two threads on a busy port: exit $rc, said: $(cat "$WORK/err")"
stop_server

if [ "$FAILED" != 0 ]; then
    echo "test_serve: FAILED" >&2
    exit 1
fi
echo "test_serve: all passed"
