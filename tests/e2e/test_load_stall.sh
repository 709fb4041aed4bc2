#!/usr/bin/env bash
# test_load_stall.sh - the demonstration of docs/load-models.md: a server
# that stalls for 2 s (`throng serve --pause-at 3s:2s`, counted from its
# first request), loaded once by a closed model and once by an open one at
# about the same rate. The closed clients wait with the server, so only a
# handful of requests see the stall and their p99 hides it; the open
# model's arrivals keep coming, each counted from its intended time, so
# its p99 shows it. The closed run's corrected distribution
# (--expected-interval) fills in the requests its stalled clients never
# sent, and thresholds on it and on dropped arrivals decide the exit.
# The three runs, each against a stalled server of its own, run at the same
# time (they are light: a few hundred requests a second); their checks
# follow once all three have ended.
. "$(dirname "$0")/lib.sh"

# json_value FILE EXPR: a Python expression over the report `r`.
json_value() {
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# ms FILE EXPR: a latency of the report in whole milliseconds.
ms() {
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(int(eval(sys.argv[2]) * 1000))' "$1" "$2"
}

# stalled NAME: a server answering in 5 ms, that stalls 2 s from 3 s after
# its first request.
stalled() {
    start_server "$1" --latency 5ms --threads 2 --pause-at 3s:2s --pause-from first-request
}

# run_bg NAME [args...]: runs throng in the background, bounded, output in
# $WORK/NAME.txt and exit status in $WORK/NAME.rc; adds its pid to RUNS.
RUNS=""
run_bg() {
    local name=$1
    shift
    (
        timeout 60 "$THRONG" "$@" >"$WORK/$name.txt" 2>&1
        echo $? >"$WORK/$name.rc"
    ) &
    RUNS="$RUNS $!"
}

# Closed: 5 clients, 20 ms of think time: about 200 requests a second,
# 5 of which wait out the stall.
stalled closed
# Open: 200 arrivals a second whatever the server does.
stalled open
# A pool too small for the stall (20 clients at most).
stalled small
run_bg closed run -s "$closed_ADDR" -c 5 --slow-down 20ms -d 8s -q \
    --expected-interval 25ms --threshold 'p99<100ms' --threshold 'corrected.p99<100ms' \
    --json "$WORK/closed.json"
run_bg open run -s "$open_ADDR" --rate 200 -d 8s -q --threshold 'dropped<1%' \
    --json "$WORK/open.json"
run_bg small run -s "$small_ADDR" --rate 200 --max-clients 20 -c 20 -d 8s -q \
    --threshold 'dropped<1%' --json "$WORK/small.json"
# shellcheck disable=SC2086
wait $RUNS

RC=$(cat "$WORK/closed.rc")
check_ledger "$WORK/closed.json"
closed_p99=$(ms "$WORK/closed.json" 'r["totals"]["latency"]["p99"]')
closed_max=$(ms "$WORK/closed.json" 'r["totals"]["latency"]["max"]')
corrected_p99=$(ms "$WORK/closed.json" 'r["totals"]["corrected"]["p99"]')
requests=$(json_value "$WORK/closed.json" 'r["totals"]["requests"]')
[ "$closed_max" -ge 1500 ] || fail "the closed run's max is ${closed_max} ms: it never saw the stall"
# It answers in 5 ms; below half the stall is hiding it (a sanitizer build
# on a busy machine has its own slow moments).
[ "$closed_p99" -lt 1000 ] || fail "the closed run's p99 is ${closed_p99} ms: expected it to hide the stall"
[ "$corrected_p99" -ge 500 ] || fail "the corrected p99 is ${corrected_p99} ms: the stall is not filled in"
# p99 met, corrected p99 not: exit 5, the failed threshold named.
expect_rc 5 "$WORK/closed.txt"
expect_grep "corrected.p99<100ms" "$WORK/closed.txt"
echo "ok: closed, $requests requests: p99 ${closed_p99} ms hides the 2 s stall (max ${closed_max} ms); corrected p99 ${corrected_p99} ms"

# Open: whatever the server does, the arrivals kept coming.
RC=$(cat "$WORK/open.rc")
check_ledger "$WORK/open.json"
expect_rc 0 "$WORK/open.txt"
open_p99=$(ms "$WORK/open.json" 'r["totals"]["latency"]["p99"]')
open_p50=$(ms "$WORK/open.json" 'r["totals"]["latency"]["p50"]')
dropped=$(json_value "$WORK/open.json" 'r["totals"]["dropped"]')
arrivals=$(json_value "$WORK/open.json" 'r["totals"]["arrivals"]')
[ "$open_p99" -ge 1500 ] || fail "the open run's p99 is ${open_p99} ms: expected the stall in it"
# Most arrivals fell outside the stall: the median is far below it (even
# in a sanitizer build, where the client is slow).
[ "$open_p50" -lt 1000 ] || fail "the open run's p50 is ${open_p50} ms"
[ "$dropped" = 0 ] || fail "$dropped of $arrivals arrivals dropped with a pool that may grow"
served=$(status_field "$open_ADDR" requests)
sent=$(json_value "$WORK/open.json" 'r["totals"]["sent"]')
answered=$(json_value "$WORK/open.json" 'r["totals"]["requests"]')
# Every answer throng counted, and at most those the run's end cancelled.
[ "$served" -ge "$answered" ] && [ "$served" -le "$sent" ] ||
    fail "the server answered $served; throng: $answered answered of $sent sent"
echo "ok: open, $arrivals arrivals at 200/s: p99 ${open_p99} ms shows the stall (p50 ${open_p50} ms), none dropped"

# A pool too small for the stall: arrivals dropped, counted, the
# threshold on them failed.
RC=$(cat "$WORK/small.rc")
check_ledger "$WORK/small.json"
expect_rc 5 "$WORK/small.txt"
dropped=$(json_value "$WORK/small.json" 'r["totals"]["dropped"]')
[ "$dropped" -ge 300 ] || fail "only $dropped arrivals dropped by 20 clients through a 2 s stall"
echo "ok: a pool of 20 drops $dropped arrivals during the stall, and dropped<1% fails"
