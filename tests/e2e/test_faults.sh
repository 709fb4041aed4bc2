# Faults provoked on purpose: each is detected, counted and named, and the
# exit status says faults were seen.
. "$(dirname "$0")/lib.sh"

# Wrong-sized tables: every client faults `invalid` and leaves; the run ends
# with "number of clients declined to zero".
start_server WRONG --wrong-size 1
run_throng "$WORK/wrong.out" run -s "$WRONG_ADDR" -c 5 -d 20 -q
expect_rc 1 "$WORK/wrong.out"
expect_grep "ended: number of clients declined to zero" "$WORK/wrong.out"
expect_grep "not the matching table" "$WORK/wrong.out"
[ "$(fault_count "$WORK/wrong.out" invalid)" = 5 ] || fail "expected 5 invalid faults: $(cat "$WORK/wrong.out")"
expect_grep "clients    0 running, 5 faulted out, of 5" "$WORK/wrong.out"

# --on-fault restart keeps the load going instead.
run_throng "$WORK/restart.out" run -s "$WRONG_ADDR" -c 2 -d 1 --on-fault restart -q
expect_rc 1 "$WORK/restart.out"
expect_grep "ended: duration reached" "$WORK/restart.out"
[ "$(fault_count "$WORK/restart.out" invalid)" -gt 2 ] || fail "restarted clients should fault again: $(cat "$WORK/restart.out")"

# No server: a port that was just closed.
start_server GONE
kill ${SERVER_PIDS##* } 2>/dev/null
wait ${SERVER_PIDS##* } 2>/dev/null
run_throng "$WORK/none.out" run -s "$GONE_ADDR" -c 3 -d 20 -q
expect_rc 1 "$WORK/none.out"
[ "$(fault_count "$WORK/none.out" not-connected)" = 3 ] || fail "expected 3 not-connected: $(cat "$WORK/none.out")"
expect_grep "connection refused" "$WORK/none.out"

# A server slower than --timeout: timed-out, and the clients stay.
start_server SLOW --latency 1s
run_throng "$WORK/slow.out" run -s "$SLOW_ADDR" -c 2 -d 1.5 --timeout 200ms --slow-down 100ms -q
expect_rc 1 "$WORK/slow.out"
[ "$(fault_count "$WORK/slow.out" timed-out)" -ge 2 ] || fail "expected timed-out faults: $(cat "$WORK/slow.out")"
expect_grep "no complete response within 0.2s" "$WORK/slow.out"
expect_grep "clients    2 running, 0 faulted out" "$WORK/slow.out"

# A server that closes the connection instead of answering: abandoned.
start_server DROP --drop 1
run_throng "$WORK/drop.out" run -s "$DROP_ADDR" -c 2 -d 20 -q
expect_rc 1 "$WORK/drop.out"
[ "$(fault_count "$WORK/drop.out" abandoned)" = 2 ] || fail "expected 2 abandoned: $(cat "$WORK/drop.out")"

# Busy replies are counted, consume a request, and are not failures.
start_server BUSY --busy 1
run_throng "$WORK/busy.out" run -s "$BUSY_ADDR" -c 1 -n 40 --request-count 4 --slow-down 0 -q
expect_rc 0 "$WORK/busy.out"
[ "$(fault_count "$WORK/busy.out" busy)" = 40 ] || fail "expected 40 busy: $(cat "$WORK/busy.out")"
expect_grep "layer_cake.point_runtime.Busy" "$WORK/busy.out"
[ "$(report_count "$WORK/busy.out" sessions)" = 10 ] || fail "busy replies should complete sessions: $(cat "$WORK/busy.out")"
echo "ok"
