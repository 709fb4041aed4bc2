# Every request accounted for exactly once: the JSON report's ledger
# (sent = requests + faulted + cancelled + in_flight) balances in the run's
# totals, each group and each request name, whether the server answers,
# refuses, or the run ends with requests under way.
. "$(dirname "$0")/lib.sh"
PERSONAS="${THRONG_SOURCE:?}/tests/e2e/personas"

# ledger FILE KEY: a number from the run's totals.
ledger() {
    python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['totals'][sys.argv[2]])" "$1" "$2"
}

# client:concurrently against a refused port with -n 6: each session's
# first refusal ends it, and its sibling is cancelled, not lost.
start_server GONE
kill ${SERVER_PIDS##* } 2>/dev/null
wait ${SERVER_PIDS##* } 2>/dev/null
run_throng "$WORK/refused.out" run "$PERSONAS/concurrent_pair.lua" -s "$GONE_ADDR" -n 6 -c 3 \
    --json "$WORK/refused.json" -q
expect_rc 1 "$WORK/refused.out"
check_ledger "$WORK/refused.json"
[ "$(ledger "$WORK/refused.json" sent)" = 6 ] || fail "expected 6 sent: $(cat "$WORK/refused.out")"
[ "$(ledger "$WORK/refused.json" requests)" = 0 ] || fail "nothing can be answered"
[ "$(ledger "$WORK/refused.json" in_flight)" = 0 ] || fail "nothing may stay in flight"
[ "$(( $(ledger "$WORK/refused.json" faulted) + $(ledger "$WORK/refused.json" cancelled) ))" = 6 ] ||
    fail "each of the 6 must be faulted or cancelled: $(cat "$WORK/refused.json")"

# The same persona against a server that answers: the limit is reached
# exactly, everything answered.
start_server UP
run_throng "$WORK/up.out" run "$PERSONAS/concurrent_pair.lua" -s "$UP_ADDR" -n 40 -c 3 \
    --slow-down 0 --json "$WORK/up.json" -q
expect_rc 0 "$WORK/up.out"
check_ledger "$WORK/up.json"
[ "$(ledger "$WORK/up.json" sent)" = 40 ] || fail "expected 40 sent: $(cat "$WORK/up.out")"
[ "$(ledger "$WORK/up.json" requests)" = 40 ] || fail "expected 40 answered: $(cat "$WORK/up.out")"

# A run whose duration ends while a slow server holds every request: the
# requests under way are cancelled, not faults.
start_server SLOW --latency 5s
run_throng "$WORK/slow.out" run "$PERSONAS/concurrent_pair.lua" -s "$SLOW_ADDR" -c 2 -d 0.5 \
    --timeout 10s --json "$WORK/slow.json" -q
check_ledger "$WORK/slow.json"
[ "$(ledger "$WORK/slow.json" cancelled)" = 4 ] || fail "expected 4 cancelled: $(cat "$WORK/slow.json")"
[ "$(ledger "$WORK/slow.json" failures)" = 0 ] || fail "cancelled requests are not failures"

# Reports merged by `throng report` keep the ledger.
run_throng "$WORK/merged.out" report "$WORK/refused.json" "$WORK/up.json" --json "$WORK/merged.json"
expect_rc 0 "$WORK/merged.out"
check_ledger "$WORK/merged.json"
[ "$(ledger "$WORK/merged.json" sent)" = 46 ] || fail "merged: expected 46 sent"
[ "$(ledger "$WORK/merged.json" cancelled)" = "$(( $(ledger "$WORK/refused.json" cancelled) ))" ] ||
    fail "merged: the cancelled requests of both reports"
echo "ok"
