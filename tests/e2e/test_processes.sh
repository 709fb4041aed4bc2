# Worker processes, the described system's three shapes and flags, and the
# lifecycle log.
. "$(dirname "$0")/lib.sh"

start_server S

# Three processes: the merged count is exactly what the server answered.
before=$(status_field "$S_ADDR" requests)
run_throng "$WORK/p3.out" run -s "$S_ADDR" -p 3 -c 9 -n 900 --request-count 5 --slow-down 0 -q
expect_rc 0 "$WORK/p3.out"
expect_grep "9 clients in 3 processes of 1 thread" "$WORK/p3.out"
expect_grep "processes  3 started, 0 lost" "$WORK/p3.out"
[ "$(report_count "$WORK/p3.out" requests)" = 900 ] || fail "merged count: $(cat "$WORK/p3.out")"
after=$(status_field "$S_ADDR" requests)
[ $((after - before)) = 900 ] || fail "the server answered $((after - before)), the client counted 900"

# A timed run: the report's count matches the server's within what was in flight.
before=$(status_field "$S_ADDR" requests)
run_throng "$WORK/timed.out" run -s "$S_ADDR" -p 3 -c 6 -d 2 --request-count 4 --slow-down 5ms -q
expect_rc 0 "$WORK/timed.out"
counted=$(report_count "$WORK/timed.out" requests)
answered=$(($(status_field "$S_ADDR" requests) - before))
[ "$counted" -gt 100 ] && [ $((answered - counted)) -ge 0 ] && [ $((answered - counted)) -le 6 ] ||
    fail "counted $counted, answered $answered"

# children_of PID N: waits (up to 20 s: a sanitizer build on a loaded
# machine starts slowly) until PID has N child processes; prints them.
children_of() {
    local kids="" i
    for i in $(seq 200); do
        kids=$(pgrep -P "$1")
        [ "$(echo "$kids" | wc -w)" -ge "$2" ] && break
        sleep 0.1
    done
    echo "$kids"
}

# kill -9 of one worker process: named in the report, the others counted.
"$THRONG" run -s "$S_ADDR" -p 3 -c 6 -d 3 --slow-down 5ms -q >"$WORK/kill.out" 2>"$WORK/kill.err" &
parent=$!
victim=$(children_of "$parent" 3 | sed -n 2p)
sleep 0.5 # let the others count a while
[ -n "$victim" ] || fail "no worker process found under $parent"
kill -9 "$victim"
wait "$parent"
RC=$?
expect_rc 1 "$WORK/kill.out"
expect_grep "processes  3 started, 1 lost: worker process $victim killed by signal 9" "$WORK/kill.out"
expect_grep "clients    4 running" "$WORK/kill.out"
[ "$(report_count "$WORK/kill.out" requests)" -gt 200 ] || fail "the others' requests: $(cat "$WORK/kill.out")"

# alive PID: 0 when PID is a live process (not a zombie waiting to be reaped).
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# SIGINT to the parent: one report, aborted, and no worker left behind.
"$THRONG" run -s "$S_ADDR" -p 4 -c 8 -d 30 --slow-down 5ms -q >"$WORK/int.out" 2>&1 &
parent=$!
kids=$(children_of "$parent" 4)
sleep 0.5
[ "$(echo "$kids" | wc -w)" = 4 ] || fail "expected 4 worker processes, found: $kids"
kill -INT "$parent"
wait "$parent"
RC=$?
expect_rc 3 "$WORK/int.out"
[ "$(grep -c '^ended:' "$WORK/int.out")" = 1 ] || fail "one report expected: $(cat "$WORK/int.out")"
for k in $kids; do alive "$k" && fail "worker process $k outlived the run"; done

# Even a parent killed outright takes its workers with it.
"$THRONG" run -s "$S_ADDR" -p 2 -c 4 -d 30 -q >/dev/null 2>&1 &
parent=$!
kids=$(children_of "$parent" 2)
[ "$(echo "$kids" | wc -w)" = 2 ] || fail "expected 2 worker processes, found: $kids"
kill -9 "$parent"
wait "$parent" 2>/dev/null
for _ in $(seq 50); do
    left=""
    for k in $kids; do alive "$k" && left="$left $k"; done
    [ -z "$left" ] && break
    sleep 0.1
done
[ -z "$left" ] || fail "worker processes$left outlived a killed parent"

# --once: one client, one session; the exit status says how it went.
run_throng "$WORK/once.out" run -s "$S_ADDR" --once --print --request-count 2 --big-table 3 \
    --json "$WORK/once.json"
expect_rc 0 "$WORK/once.out"
expect_grep "ended: every client ran its one session" "$WORK/once.out"
# The client finished its session: it is not running any more.
expect_grep "clients    0 running, 1 finished, 0 faulted out, of 1" "$WORK/once.out"
check_ledger "$WORK/once.json"
python3 - "$WORK/once.json" <<'PY' || fail "the JSON report should show the --once client finished"
import json, sys
g = json.load(open(sys.argv[1]))["groups"][0]
assert (g["clients_active"], g["clients_finished"], g["clients_faulted"]) == (0, 1, 0), g
PY
expect_grep "last reply: status 200" "$WORK/once.out"
expect_grep '{"value":["vector<vector<float8>>",[[' "$WORK/once.out"
start_server WRONG --wrong-size 1
run_throng "$WORK/once_bad.out" run -s "$WRONG_ADDR" --once
expect_rc 1 "$WORK/once_bad.out"
expect_grep "not the matching table" "$WORK/once_bad.out"
run_throng "$WORK/once_c.out" run -s "$S_ADDR" --once -c 5
expect_rc 2 "$WORK/once_c.out"
expect_grep "drop --clients" "$WORK/once_c.out"

# The described system's flags give the same configuration as throng's own.
run_throng "$WORK/described.cfg" run --process-count=20 --thread-count=20 --request-count=4 \
    --server-address='{"host":"127.0.0.1","port":5050}' --client-type=connect_and_request.ConnectAndRequest \
    --debug-level=DEBUG --slow-down=1.0 --big-table=50 --show-config
expect_rc 0 "$WORK/described.cfg"
run_throng "$WORK/own.cfg" run table -p 20 -c 400 --request-count 4 -s 127.0.0.1:5050 \
    --log-level debug --slow-down 1s --big-table 50 --show-config
cmp -s "$WORK/described.cfg" "$WORK/own.cfg" ||
    fail "different configurations: $(diff "$WORK/described.cfg" "$WORK/own.cfg")"
expect_grep "processes        20" "$WORK/own.cfg"
expect_grep "clients          400" "$WORK/own.cfg"
# --show-config checks as a run would, and shows a plan's every group.
run_throng "$WORK/missing.cfg" run "$WORK/no_such_persona.lua" --show-config
expect_rc 2 "$WORK/missing.cfg"
expect_grep "cannot open $WORK/no_such_persona.lua" "$WORK/missing.cfg"
run_throng "$WORK/plan.cfg" run "$THRONG_SOURCE/examples/plans/site.lua" --show-config
expect_rc 0 "$WORK/plan.cfg"
for g in watchdog admin typical expert; do
    grep -Eq "^group +$g: persona .*/scripts/$g.lua, [0-9]+ clients?, " "$WORK/plan.cfg" ||
        fail "--show-config of the site plan lacks group $g: $(cat "$WORK/plan.cfg")"
done
expect_grep "typical: argument small_table:=10" "$WORK/plan.cfg"
# ... and loads each persona and runs one init, as a start would.
run_throng "$WORK/notfn.cfg" run "$THRONG_SOURCE/tests/e2e/personas/hook_not_function.lua" --show-config
expect_rc 2 "$WORK/notfn.cfg"
expect_grep "'request' must be a function, not a number" "$WORK/notfn.cfg"
run_throng "$WORK/badarg.cfg" run typical --show-config -- small_table=tiny
expect_rc 2 "$WORK/badarg.cfg"
expect_grep "small_table must be a whole number of at least 1, not tiny" "$WORK/badarg.cfg"
# -n without -d runs until the requests are done; with -d, whichever first.
run_throng "$WORK/n.cfg" run -n 100 --show-config
expect_grep "duration         0s (no limit)" "$WORK/n.cfg"
run_throng "$WORK/nd.cfg" run -n 100 -d 5s --show-config
expect_grep "duration         5s" "$WORK/nd.cfg"
run_throng "$WORK/d.cfg" run --show-config
expect_grep "duration         10s" "$WORK/d.cfg"
run_throng "$WORK/bad_addr.out" run --server-address='{"host":"x"}'
expect_rc 2 "$WORK/bad_addr.out"
expect_grep "--server-address" "$WORK/bad_addr.out"

# A debug log holds one client's whole life, in order.
run_throng "$WORK/life.out" run -s "$S_ADDR" -c 2 -n 4 --request-count 2 --slow-down 10ms -q \
    --log-level debug --log "$WORK/life.log"
expect_rc 0 "$WORK/life.out"
grep " client 1 " "$WORK/life.log" | sed 's/.* client 1 debug: //' | cut -d' ' -f1-2 >"$WORK/life1"
want="created
session started
connecting to
connected from
request sent:
response received:
response judged:
timer started
timer fired
request sent:
response received:
response judged:
session completed:
closing the"
[ "$(head -14 "$WORK/life1" | cut -d' ' -f1-2)" = "$(echo "$want" | cut -d' ' -f1-2)" ] ||
    fail "client 1's life: $(cat "$WORK/life1")"
grep -q "^20[0-9-]*T[0-9:.]* \[[0-9]*\] client 1 debug: connected from 127.0.0.1:[0-9]* to $S_ADDR" \
    "$WORK/life.log" || fail "connected line: $(grep connected "$WORK/life.log")"
echo "ok"
