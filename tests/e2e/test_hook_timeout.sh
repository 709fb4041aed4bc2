#!/bin/bash
# test_hook_timeout.sh - a hook that never returns (issue 11, finding 2)
# costs its client, never the run: it is interrupted after --hook-timeout
# with a script-error naming file and line while the thread's other client
# goes on; a run asked to end (its duration, SIGINT) ends about a second
# later with its report, in one process or in worker processes; a hook
# stuck in C, where no interrupt reaches, leaves its thread behind and the
# run still ends on time, with the figures measured before and exit 1.
. "$(dirname "$0")/lib.sh"
P=$(dirname "$0")/personas
start_server S

# timed_run OUT [args...]: runs `throng run`, bounded, and sets RC and
# TOOK (whole seconds, rounded up).
timed_run() {
    local out=$1 t0
    shift
    t0=$(date +%s%N)
    timeout 60 "$THRONG" run "$@" >"$out" 2>&1
    RC=$?
    TOOK=$((($(date +%s%N) - t0 + 999999999) / 1000000000))
}

# ended_within FILE.json SECONDS WHAT: the run's own elapsed time (start to
# end, as its report gives it) is at most SECONDS, and the whole command,
# start-up and report included, took at most 10 s more (a loaded machine
# starts slowly; a hang would take the 60 s of timed_run's bound).
ended_within() {
    python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["elapsed"] > float(sys.argv[2]))' \
        "$1" "$2" || fail "$3 ran $(json_field "$1" 'r["elapsed"]')s, more than $2s"
    [ "$TOOK" -le $((${2%.*} + 10)) ] || fail "$3 took ${TOOK}s in all"
}

# json_field FILE EXPR: a value of the JSON report, as Python prints it.
json_field() {
    python3 -c "import json, sys; r = json.load(open(sys.argv[1])); print($2)" "$1"
}

# 1. Interrupted after the timeout; the other client of the thread goes on.
timed_run "$WORK/loop.txt" "$P/stuck_hook.lua" -s "$S_ADDR" -c 2 -d 4s --slow-down 0.01 \
    --hook-timeout 1s --json "$WORK/loop.json"
expect_rc 1 "$WORK/loop.txt"
check_ledger "$WORK/loop.json"
ended_within "$WORK/loop.json" 5.5 "a 4s run with a stuck hook"
[ "$(fault_count "$WORK/loop.txt" script-error)" = 1 ] || fail "one script error expected: $(cat "$WORK/loop.txt")"
expect_grep "stuck_hook.lua:10: interrupted: the hook ran longer than the hook timeout (1s)" "$WORK/loop.txt"
expect_grep "clients    1 running, 1 faulted out, of 2" "$WORK/loop.txt"
# The survivor's requests after the interruption: more than the 49 before.
[ "$(json_field "$WORK/loop.json" 'r["totals"]["requests"]')" -gt 80 ] ||
    fail "the thread's other client did not go on: $(cat "$WORK/loop.txt")"

# 2. The session style: the same, between two exchanges.
timed_run "$WORK/sess.txt" "$P/stuck_session.lua" -s "$S_ADDR" -c 2 -d 4s --slow-down 0.01 \
    --hook-timeout 1s --json "$WORK/sess.json"
expect_rc 1 "$WORK/sess.txt"
check_ledger "$WORK/sess.json"
ended_within "$WORK/sess.json" 5.5 "a 4s run with a stuck session"
expect_grep "stuck_session.lua:10: interrupted: the hook ran longer than the hook timeout" "$WORK/sess.txt"

# 3. The run ends on time even when the hook outlasts it (default timeout
#    5s, duration 2s): interrupted a second after the end, with a report.
timed_run "$WORK/end.txt" "$P/stuck_hook.lua" -s "$S_ADDR" -c 2 -d 2s --slow-down 0.01 \
    --json "$WORK/end.json"
expect_rc 1 "$WORK/end.txt"
check_ledger "$WORK/end.json"
ended_within "$WORK/end.json" 3.5 "a 2s run with a stuck hook"
expect_grep "interrupted: the run ended and the hook was still running 1s later" "$WORK/end.txt"
[ "$(json_field "$WORK/end.json" 'r["totals"]["requests"]')" -ge 40 ] ||
    fail "the figures before the stuck hook are missing: $(cat "$WORK/end.txt")"

# 4. SIGINT while a hook is stuck: the first signal ends the run, with a
#    report (status 3), about a second later.
#    The signal goes to throng itself (not to a wrapper such as timeout),
#    once its run has begun; a watchdog kills it after 30 s.
"$THRONG" run "$P/stuck_hook.lua" -s "$S_ADDR" -c 2 -d 60s --slow-down 0.01 \
    --json "$WORK/int.json" >"$WORK/int.txt" 2>&1 &
pid=$!
(for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || exit 0
    sleep 0.1
done
kill -9 "$pid") 2>/dev/null &
for _ in $(seq 100); do
    grep -q "clients on 1 thread" "$WORK/int.txt" && break
    sleep 0.1
done
sleep 1.5 # the hook is stuck by now (its 50th request, at about 0.5 s)
t0=$(date +%s%N)
kill -INT "$pid"
wait "$pid"
RC=$?
TOOK=$((($(date +%s%N) - t0) / 1000000000))
expect_rc 3 "$WORK/int.txt"
[ "$TOOK" -le 3 ] || fail "the run ended ${TOOK}s after SIGINT, with a stuck hook"
check_ledger "$WORK/int.json"
expect_grep "ended: aborted" "$WORK/int.txt"

# 5. Worker processes: each process's stuck hook is interrupted the same
#    way, and no process is lost.
timed_run "$WORK/procs.txt" "$P/stuck_hook.lua" -s "$S_ADDR" -c 4 -p 2 -d 3s --slow-down 0.01 \
    --hook-timeout 1s --json "$WORK/procs.json"
expect_rc 1 "$WORK/procs.txt"
check_ledger "$WORK/procs.json"
ended_within "$WORK/procs.json" 4.5 "a 3s run in processes with stuck hooks"
[ "$(fault_count "$WORK/procs.txt" script-error)" = 2 ] || fail "one script error per process expected: $(cat "$WORK/procs.txt")"
expect_grep "processes  2 started, 0 lost" "$WORK/procs.txt"

# 6. Stuck in C: no interrupt reaches it; the thread is left behind when
#    the run ends, which it does on time, with what was measured before.
for procs in 1 2; do
    timed_run "$WORK/c$procs.txt" "$P/stuck_in_c.lua" -s "$S_ADDR" -c 2 -p $procs -d 3s \
        --slow-down 0.01 --hook-timeout 1s --json "$WORK/c$procs.json"
    expect_rc 1 "$WORK/c$procs.txt"
    check_ledger "$WORK/c$procs.json"
    ended_within "$WORK/c$procs.json" 4.5 "a 3s run (-p $procs) stuck in C"
    [ "$(json_field "$WORK/c$procs.json" 'r["threads"]["abandoned"]')" = "$procs" ] ||
        fail "-p $procs: the abandoned threads are not counted: $(cat "$WORK/c$procs.txt")"
    expect_grep "abandoned: " "$WORK/c$procs.txt"
    expect_grep "stuck outside Lua (in a C function)" "$WORK/c$procs.txt"
    [ "$(json_field "$WORK/c$procs.json" 'r["totals"]["requests"]')" -ge 10 ] ||
        fail "-p $procs: the figures before the stuck hook are missing: $(cat "$WORK/c$procs.txt")"
done

# 7. Every client of a thread stuck in turn: once the run is asked to end,
#    no hook starts any more, and the one running is interrupted a second
#    later; with --hook-timeout 0 (LuaJIT's compiler on, whose loops no
#    interrupt reaches) the thread is left behind at the end instead.
timed_run "$WORK/all.txt" "$P/stuck_always.lua" -s "$S_ADDR" -c 10 -d 2s --json "$WORK/all.json"
expect_rc 1 "$WORK/all.txt"
check_ledger "$WORK/all.json"
ended_within "$WORK/all.json" 3.6 "a 2s run whose 10 clients all get stuck"
timed_run "$WORK/zero.txt" "$P/stuck_always.lua" -s "$S_ADDR" -c 2 -d 2s --hook-timeout 0 \
    --json "$WORK/zero.json"
expect_rc 1 "$WORK/zero.txt"
check_ledger "$WORK/zero.json"
ended_within "$WORK/zero.json" 4 "a 2s run stuck with --hook-timeout 0"

# 8. A script's top level, or an init, that never returns: the start fails
#    at the hook timeout (status 2, file and line), or at once on SIGINT.
for f in stuck_init stuck_load; do
    timed_run "$WORK/$f.txt" "$P/$f.lua" -s "$S_ADDR" -c 2 -d 2s --hook-timeout 1s
    expect_rc 2 "$WORK/$f.txt"
    [ "$TOOK" -le 8 ] || fail "$f.lua: the start took ${TOOK}s"
    expect_grep "$f.lua:" "$WORK/$f.txt"
    expect_grep "ran longer than the hook timeout (1s)" "$WORK/$f.txt"
done
"$THRONG" run "$P/stuck_init.lua" -s "$S_ADDR" -c 2 -d 60s >"$WORK/sinit.txt" 2>&1 &
pid=$!
(for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || exit 0
    sleep 0.1
done
kill -9 "$pid") 2>/dev/null &
sleep 1
t0=$(date +%s%N)
kill -INT "$pid"
wait "$pid"
RC=$?
TOOK=$((($(date +%s%N) - t0) / 1000000000))
expect_rc 2 "$WORK/sinit.txt"
[ "$TOOK" -le 2 ] || fail "SIGINT during a stuck init took ${TOOK}s"
expect_grep "interrupted: a stop was asked for while the script loaded" "$WORK/sinit.txt"

# 9. The flag: 0 turns the timeout off; a bad value is a usage error.
run_throng "$WORK/off.txt" run "$P/../../../scripts/watchdog.lua" -s "$S_ADDR" -c 1 -d 1s -q \
    --hook-timeout 0
expect_rc 0 "$WORK/off.txt"
run_throng "$WORK/bad.txt" run -s "$S_ADDR" --hook-timeout -1s
expect_rc 2 "$WORK/bad.txt"
expect_grep "hook-timeout" "$WORK/bad.txt"
run_throng "$WORK/help.txt" run --help
expect_grep "--hook-timeout TIME" "$WORK/help.txt"
echo "PASS"
