#!/bin/bash
# test_persona_limits.sh - what a persona does to its own client and never
# to the process (issue 11, findings 1, 3 and 11): bodies of big tables do
# not pile up in the session style, a persona past its Lua memory budget
# (or the machine's) is a script-error fault with a report, os.exit is an
# error, and a coroutine.yield of the session's own faults its client,
# so that --once ends. Every --json report balances its ledger.
. "$(dirname "$0")/lib.sh"
P=$(dirname "$0")/personas
start_server S
# A sanitized build keeps freed memory in quarantine and reserves terabytes
# of address space: its resident memory says nothing, and ulimit -v stops it.
SANITIZED=0
grep -qa -e __asan_init -e __tsan_init "$THRONG" && SANITIZED=1

# peak_rss OUT [args...]: runs `throng run` in the background, bounded, and
# sets PEAK to the largest resident memory seen (MB) and RC.
peak_rss() {
    local out=$1 pid r
    shift
    timeout 60 "$THRONG" run "$@" >"$out" 2>&1 &
    pid=$!
    PEAK=0
    while kill -0 "$pid" 2>/dev/null; do
        r=$(pgrep -P "$pid" throng | head -1)
        r=$(awk '/VmRSS/ { print int($2 / 1024) }' "/proc/${r:-$pid}/status" 2>/dev/null)
        [ -n "$r" ] && [ "$r" -gt "$PEAK" ] && PEAK=$r
        sleep 0.1
    done
    wait "$pid"
    RC=$?
}

# Finding 1: 600 KB tables read by 2 session clients. Each body used to stay
# until the collector finalized its object: over 100 MB within seconds
# (gigabytes with bigger tables).
peak_rss "$WORK/big.txt" "$P/big_tables.lua" -s "$S_ADDR" -c 2 -d 3s --slow-down 0 -q \
    --json "$WORK/big.json"
expect_rc 0 "$WORK/big.txt"
check_ledger "$WORK/big.json"
[ "$(report_count "$WORK/big.txt" requests)" -gt 100 ] || fail "too few requests: $(cat "$WORK/big.txt")"
[ "$SANITIZED" = 1 ] || [ "$PEAK" -lt 50 ] ||
    fail "resident memory reached $PEAK MB reading 600 KB tables"

# Finding 3: the budget makes the hog a script-error fault of its client.
run_throng "$WORK/hog.txt" run "$P/memory_hog.lua" -s "$S_ADDR" -c 2 -d 8s -q --lua-memory 64 \
    --json "$WORK/hog.json"
expect_rc 1 "$WORK/hog.txt"
check_ledger "$WORK/hog.json"
[ "$(fault_count "$WORK/hog.txt" script-error)" = 2 ] || fail "two script errors expected: $(cat "$WORK/hog.txt")"
expect_grep "out of Lua memory (budget 64 MB)" "$WORK/hog.txt"
[ "$(report_count "$WORK/hog.txt" requests)" = 2 ] || fail "$(cat "$WORK/hog.txt")"

# ... and restarted clients run again once the hog's memory is collected.
# A sanitizer makes each 32 MB hog take a second or more: more time for
# its three.
HOG_TIME=3s
[ "$SANITIZED" = 1 ] && HOG_TIME=8s
run_throng "$WORK/hog2.txt" run "$P/memory_hog.lua" -s "$S_ADDR" -c 1 -d "$HOG_TIME" -q --lua-memory 32 \
    --on-fault restart --json "$WORK/hog2.json"
expect_rc 1 "$WORK/hog2.txt"
check_ledger "$WORK/hog2.json"
[ "$(fault_count "$WORK/hog2.txt" script-error)" -ge 3 ] || fail "the client did not restart: $(cat "$WORK/hog2.txt")"

# Under a machine limit below the budget, running out is still a fault with
# a report, never "PANIC: unprotected error in call to Lua API".
if [ "$SANITIZED" = 0 ]; then
    (
        ulimit -v 2000000
        run_throng "$WORK/ulimit.txt" run "$P/memory_hog.lua" -s "$S_ADDR" -c 2 -d 6s -q \
            --json "$WORK/ulimit.json"
        expect_rc 1 "$WORK/ulimit.txt"
    ) || exit 1
    ! grep -q PANIC "$WORK/ulimit.txt" || fail "$(cat "$WORK/ulimit.txt")"
    check_ledger "$WORK/ulimit.json"
    [ "$(fault_count "$WORK/ulimit.txt" script-error)" = 2 ] || fail "$(cat "$WORK/ulimit.txt")"
fi

# Finding 11: os.exit(7) exited 7 with no report.
run_throng "$WORK/exit.txt" run "$P/exits.lua" -s "$S_ADDR" -c 2 -d 2s -q --json "$WORK/exit.json"
expect_rc 1 "$WORK/exit.txt"
check_ledger "$WORK/exit.json"
expect_grep "os.exit is not allowed in a persona" "$WORK/exit.txt"
run_throng "$WORK/exitp.txt" run "$P/exits.lua" -s "$S_ADDR" -c 2 -p 2 -d 2s -q \
    --json "$WORK/exitp.json"
expect_rc 1 "$WORK/exitp.txt"
check_ledger "$WORK/exitp.json"
[ "$(fault_count "$WORK/exitp.txt" script-error)" = 2 ] || fail "$(cat "$WORK/exitp.txt")"

# A stray coroutine.yield stalled its client silently; with --once the run
# never ended. Both end now, with the fault and where it happened.
run_throng "$WORK/yield.txt" run "$P/stray_yield.lua" -s "$S_ADDR" --once --json "$WORK/yield.json"
expect_rc 1 "$WORK/yield.txt"
check_ledger "$WORK/yield.json"
expect_grep "coroutine.yield outside a client method [in" "$WORK/yield.txt"
expect_grep "stray_yield.lua:5" "$WORK/yield.txt"
run_throng "$WORK/hog1.txt" run "$P/memory_hog.lua" -s "$S_ADDR" --once --lua-memory 16 \
    --json "$WORK/hog1.json"
expect_rc 1 "$WORK/hog1.txt"
check_ledger "$WORK/hog1.json"
run_throng "$WORK/exit1.txt" run "$P/exits.lua" -s "$S_ADDR" --once --json "$WORK/exit1.json"
expect_rc 1 "$WORK/exit1.txt"
check_ledger "$WORK/exit1.json"

# Bad values of the flag are usage errors.
run_throng "$WORK/bad.txt" run "$P/exits.lua" -s "$S_ADDR" --lua-memory lots
expect_rc 2 "$WORK/bad.txt"
echo "persona limits: ok"
