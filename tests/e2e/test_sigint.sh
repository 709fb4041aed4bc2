# SIGINT in the middle of a run: a clean stop, the report, the aborted status.
. "$(dirname "$0")/lib.sh"

# background_run OUT args...: starts throng in the background with a
# watchdog that kills it after 30 s (signals must reach throng itself, not a
# wrapper such as timeout).
background_run() {
    local out=$1
    shift
    "$THRONG" "$@" >"$out" 2>&1 &
    pid=$!
    (for _ in $(seq 300); do
        kill -0 "$pid" 2>/dev/null || exit 0
        sleep 0.1
    done
    kill -9 "$pid") 2>/dev/null &
}

start_server SLOW --latency 2s
background_run "$WORK/run.out" run -s "$SLOW_ADDR" -c 4 -d 60 -q
# SIGINT once all 4 clients are connected, their requests on the way: a
# fixed sleep was too short for a sanitizer build's start on a loaded
# machine. The server counts connections accepted, the status queries'
# own among them: the i-th query sees i of its own.
for i in $(seq 200); do
    [ "$(status_field "$SLOW_ADDR" connections)" -ge $((i + 4)) ] 2>/dev/null && break
    sleep 0.1
done
sleep 0.3
started=$(date +%s)
kill -INT "$pid"
wait "$pid"
RC=$?
took=$(($(date +%s) - started))
expect_rc 3 "$WORK/run.out"
[ "$took" -le 3 ] || fail "the run took ${took}s to stop after SIGINT"
expect_grep "ended: aborted" "$WORK/run.out"
# Every client had a request in flight: each is counted as aborted.
[ "$(fault_count "$WORK/run.out" aborted)" = 4 ] || fail "expected 4 aborted exchanges: $(cat "$WORK/run.out")"

# SIGTERM too.
background_run "$WORK/term.out" run -s "$SLOW_ADDR" -c 1 -d 60 -q
sleep 0.5
kill -TERM "$pid"
wait "$pid"
RC=$?
expect_rc 3 "$WORK/term.out"
expect_grep "ended: aborted" "$WORK/term.out"
echo "ok"
