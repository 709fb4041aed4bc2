#!/usr/bin/env bash
# test_wrk_scripts.sh - wrk scripts under `throng wrk`, each written from
# the behaviour of a script in wrk's scripts/ folder (auth, counter, delay,
# pipeline, post, report, setup, stop) and one that fails, against a small
# server that counts what it is asked (wrk_server.py): the figures `throng
# wrk` prints are compared with the server's own counts, and every JSON
# report's ledger is checked.
. "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
S="$HERE/personas/wrk"

python3 "$HERE/wrk_server.py" 100 >"$WORK/ws.out" 2>"$WORK/ws.err" &
SERVER_PIDS="$SERVER_PIDS $!"
PORT=""
for i in $(seq 100); do
    PORT=$(sed -n 's/^listening on //p' "$WORK/ws.out")
    [ -n "$PORT" ] && break
    sleep 0.05
done
[ -n "$PORT" ] || fail "the counting server did not start: $(cat "$WORK/ws.err")"
URL="http://127.0.0.1:$PORT"
BEFORE='{}'

# wrk NAME [flags...]: runs `throng wrk` with personas/wrk/NAME.lua, the
# output in $WORK/NAME.out and the JSON report in $WORK/NAME.json; keeps the
# server's counts from before the run in BEFORE.
wrk() {
    local name=$1
    shift
    BEFORE=$(curl -sf "$URL/__stats")
    run_throng "$WORK/$name.out" wrk -s "$S/$name.lua" --json "$WORK/$name.json" "$@"
    [ -f "$WORK/$name.json" ] && check_ledger "$WORK/$name.json"
}

# asked EXPR: a Python expression over `now` and `before` (the server's
# counts after and before the last run) and `report` (its JSON totals).
# The counts go through files: after many runs they outgrow an argument.
asked() {
    curl -sf "$URL/__stats" >"$WORK/stats.now"
    printf '%s' "$BEFORE" >"$WORK/stats.before"
    python3 - "$WORK/stats.now" "$WORK/stats.before" "$1" "${2:-}" <<'PY'
import json, sys
now, before = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
report = json.load(open(sys.argv[4]))["totals"] if sys.argv[4] else None
def new(key, sub=None):
    if sub is None:
        return now[key] - before.get(key, 0)
    return now[key].get(sub, 0) - before.get(key, {}).get(sub, 0)
print(eval(sys.argv[3]))
PY
}

expect_true() {
    local got
    got=$(asked "$1" "${2:-}")
    [ "$got" = True ] || fail "expected $1 (got $got); output:
$(cat "$3")"
}

# printed FILE: the N of "N requests in ..." in wrk's layout.
printed() {
    sed -n 's/^  \([0-9][0-9]*\) requests in .*/\1/p' "$1"
}

# Whatever a run printed, the server was asked every request it counts as
# answered and no more than it sent.
expect_counts_match() {
    local n
    n=$(printed "$WORK/$1.out")
    [ -n "$n" ] || fail "no 'N requests in' line: $(cat "$WORK/$1.out")"
    expect_true "report['requests'] == $n <= new('requests') <= report['sent']" "$WORK/$1.json" \
        "$WORK/$1.out"
}

# --- counter: one count per thread, in an X-Count header ---------------------
wrk counter -t2 -c2 -d1s "$URL/"
expect_rc 0 "$WORK/counter.out"
expect_counts_match counter
# Each thread counts from 0 on its own: every value is sent by both threads
# (twice) but for the last few of the faster one, and 0..k all appear.
expect_true "new('counts', '0') == 2 and new('counts', '1') == 2" "" "$WORK/counter.out"
expect_true "max(now['counts'][k] - before.get('counts', {}).get(k, 0) for k in now['counts']) == 2" "" \
    "$WORK/counter.out"
expect_true "all(new('counts', str(i)) >= 1 for i in range(len([k for k in now['counts'] if new('counts', k) > 0])))" \
    "" "$WORK/counter.out"
expect_true "new('paths', '/Xy') == new('requests')" "" "$WORK/counter.out"

# --- auth: a token from the first answer, sent with every later request ------
wrk auth -t2 -c4 -d1s "$URL/"
expect_rc 0 "$WORK/auth.out"
expect_counts_match auth
expect_true "1 <= new('paths', '/login') <= 4 and new('paths', '/data') > 100" "" "$WORK/auth.out"
expect_true "new('tokens', 't0k3n') == new('paths', '/data')" "" "$WORK/auth.out"
grep -q 'Non-2xx' "$WORK/auth.out" && fail "every /data had its token, yet: $(cat "$WORK/auth.out")"

# --- post: method, body and content type set at the script's top level -------
wrk post -t1 -c2 -d1s "$URL/form"
expect_rc 0 "$WORK/post.out"
expect_counts_match post
expect_true "new('methods', 'POST') == new('requests') == new('bodies', 'alpha=1&beta=two') == new('types', 'application/x-www-form-urlencoded')" \
    "" "$WORK/post.out"

# --- pipeline: three requests in one request() string, pipelined -------------
# Each of the 2 threads' connection writes its 3 requests at once: the
# server reads them 3 per recv() (no read holds 2 of them), answers all,
# and response() sees the answers in order (a script error else). The
# server counts a request as it handles it: at the run's end each
# connection's last pipeline may be cut short after its reads.
wrk pipeline -t2 -c2 -d1s "$URL/"
expect_rc 0 "$WORK/pipeline.out"
expect_counts_match pipeline
expect_true "new('paths', '/one') >= new('paths', '/two') >= new('paths', '/three') >= new('paths', '/one') - 2 and new('paths', '/three') > 50" \
    "" "$WORK/pipeline.out"
expect_true "new('batches', '3') * 3 - 4 <= new('requests') <= new('batches', '3') * 3 and new('batches', '2') == 0" \
    "" "$WORK/pipeline.out"
expect_true "'script-error' not in report.get('faults', {}) and report['faulted'] == 0 and report['requests'] >= 150" \
    "$WORK/pipeline.json" "$WORK/pipeline.out"

# --- delay: 20 to 40 ms before each request -----------------------------------
wrk delay -t1 -c1 -d2s "$URL/"
expect_rc 0 "$WORK/delay.out"
expect_counts_match delay
n=$(printed "$WORK/delay.out")
[ "$n" -ge 30 ] && [ "$n" -le 100 ] ||
    fail "one connection thinking 20-40 ms for 2 s should ask 30 to 100 times, not $n: $(cat "$WORK/delay.out")"

# --- report: done prints percentiles and the summary --------------------------
wrk report -t2 -c2 -d1s "$URL/"
expect_rc 0 "$WORK/report.out"
expect_counts_match report
for p in 50% 90% 99% 99.999%; do
    grep -qE "^$p,[0-9]+\$" "$WORK/report.out" || fail "no '$p,N' line: $(cat "$WORK/report.out")"
done
p50=$(sed -n 's/^50%,//p' "$WORK/report.out")
p99=$(sed -n 's/^99%,//p' "$WORK/report.out")
[ "$p50" -ge 1 ] && [ "$p50" -le "$p99" ] || fail "p50 $p50 us, p99 $p99 us: $(cat "$WORK/report.out")"
n=$(printed "$WORK/report.out")
grep -qE "^summary,$n,[0-9]+,[0-9]+,0\$" "$WORK/report.out" ||
    fail "summary.requests should be the $n printed: $(cat "$WORK/report.out")"
expect_true "report['bytes_received'] == $(sed -n 's/^summary,[0-9]*,\([0-9]*\),.*/\1/p' "$WORK/report.out")" \
    "$WORK/report.json" "$WORK/report.out"
grep -qE '^latency,[0-9]+,[0-9]+,[0-9]+,[0-9]+$' "$WORK/report.out" ||
    fail "latency.min, max, #latency and latency(1): $(cat "$WORK/report.out")"

# --- setup: thread:set before, thread:get after, init once per thread ---------
# thread:get needs no file: nothing is written under TMPDIR.
mkdir "$WORK/tmp"
TMPDIR="$WORK/tmp" wrk setup -t2 -c4 -d1s "$URL/" one two
[ -z "$(ls -A "$WORK/tmp")" ] || fail "throng wrk left files in TMPDIR: $(ls -A "$WORK/tmp")"
expect_rc 0 "$WORK/setup.out"
expect_counts_match setup
for t in 1 2; do
    [ "$(grep -c "^thread $t created with 2 args: one two\$" "$WORK/setup.out")" = 1 ] ||
        fail "init should run once in thread $t, with the script's arguments: $(cat "$WORK/setup.out")"
done
got=$(sed -n 's/^thread [12] made [0-9]* requests and got \([0-9]*\) responses$/\1/p' "$WORK/setup.out" |
    awk '{s += $1} END {print s}')
[ "$got" = "$(printed "$WORK/setup.out")" ] ||
    fail "the threads' responses ($got) should add up to the requests printed: $(cat "$WORK/setup.out")"
sed -n 's/^thread [12] made \([0-9]*\) requests and got \([0-9]*\) responses$/\1 \2/p' "$WORK/setup.out" |
    while read -r made answered; do
        [ "$made" -ge "$answered" ] && [ "$made" -le $((answered + 2)) ] ||
            fail "a thread made $made requests for $answered responses: $(cat "$WORK/setup.out")"
    done || exit 1

# --- stop: each thread stops after 50 responses, the run still lasts its time -
start=$(date +%s.%N)
wrk stop -t2 -c4 -d2s "$URL/"
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
expect_rc 0 "$WORK/stop.out"
expect_counts_match stop
n=$(printed "$WORK/stop.out")
[ "$n" -ge 100 ] && [ "$n" -le 104 ] ||
    fail "two threads stopping at 50 responses, with 2 connections each, answered $n: $(cat "$WORK/stop.out")"
awk -v t="$took" 'BEGIN { exit !(t >= 1.9) }' || fail "a stopped thread should not end the run (took $took s)"

# --- the blog posts' pattern: random paths, JSON bodies, done in ms ----------
wrk blog -t2 -c2 -d1s "$URL/"
expect_rc 0 "$WORK/blog.out"
expect_counts_match blog
expect_true "new('methods', 'POST') == new('requests') == new('types', 'application/json') == sum(new('paths', p) for p in ('/api/a', '/api/b', '/api/c'))" \
    "" "$WORK/blog.out"
expect_true "min(new('paths', p) for p in ('/api/a', '/api/b', '/api/c')) > new('requests') / 6" "" \
    "$WORK/blog.out"
expect_true "all(__import__('json').loads(b)['name'].startswith('user') for b in now['bodies'] if b.startswith('{'))" \
    "" "$WORK/blog.out"
for p in p50 p90 p99; do
    grep -qE "^$p [0-9]+\.[0-9]{3} ms\$" "$WORK/blog.out" || fail "no '$p N ms' line: $(cat "$WORK/blog.out")"
done
grep -qE "^total $(printed "$WORK/blog.out"), errors 0, mean rate [0-9.]+/s over 1\.[0-9]{2} s\$" "$WORK/blog.out" ||
    fail "done's summary should hold the requests printed: $(cat "$WORK/blog.out")"

# --- setup: wrk.lookup, wrk.connect, and thread.addr sending a thread elsewhere -
start_server OTHER
OTHER_ADDR=$OTHER_ADDR wrk addr -t2 -c2 -d1s "$URL/Xy?x=1&y=1"
expect_rc 0 "$WORK/addr.out"
for t in 1 2; do
    expect_grep "setup $t lookup 127.0.0.1:$PORT connect true" "$WORK/addr.out"
done
expect_grep "setup 1 addr 127.0.0.1:$PORT" "$WORK/addr.out"
expect_grep "setup 2 addr $OTHER_ADDR" "$WORK/addr.out"
other=$(status_field "$OTHER_ADDR" requests)
[ "${other:-0}" -ge 10 ] || fail "thread 2 should have loaded $OTHER_ADDR: ${other:-0} requests there"
expect_true "new('requests') + $other >= $(printed "$WORK/addr.out") and new('requests') >= 10" \
    "" "$WORK/addr.out"

# --- a script error is counted with its file:line, and the run goes on -------
wrk broken -t1 -c2 -d1s "$URL/"
expect_rc 1 "$WORK/broken.out"
expect_grep "Script errors: " "$WORK/broken.out"
expect_grep "broken.lua:7: attempt to index local 'missing'" "$WORK/broken.out"
expect_grep "Requests/sec:" "$WORK/broken.out"
n=$(printed "$WORK/broken.out")
[ "$n" -ge 20 ] || fail "the run should go on after a script error: $(cat "$WORK/broken.out")"
expect_true "report['faults']['script-error']['count'] >= 2" "$WORK/broken.json" "$WORK/broken.out"

echo "PASS"
