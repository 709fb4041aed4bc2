# The example personas of scripts/, each against its own `throng serve`:
# clean runs with no fault, Busy replies taken in stride, wrong answers and
# an unhealthy service caught.
. "$(dirname "$0")/lib.sh"

SCRIPTS=${THRONG_SOURCE:?THRONG_SOURCE must name the repository root}/scripts

# clean_run NAME [run flags...]: NAME.lua against a fresh server runs
# several sessions with requests and ends with exit 0 and no fault.
clean_run() {
    local name=$1 out="$WORK/$1.out"
    shift
    start_server CLEAN
    run_throng "$out" run "$SCRIPTS/$name.lua" -s "$CLEAN_ADDR" -d 2 -q "$@"
    expect_rc 0 "$out"
    expect_grep "faults     none" "$out"
    [ "$(report_count "$out" requests)" -gt 0 ] || fail "$name made no requests: $(cat "$out")"
    [ "$(report_count "$out" sessions)" -gt 1 ] || fail "$name ran one session or none: $(cat "$out")"
}

clean_run watchdog -c 2 --request-count 3 --slow-down 50ms -- every=0.1
clean_run typical -c 4 --request-count 4 --slow-down 20ms
clean_run admin -c 2 --slow-down 50ms
clean_run expert -c 2 --request-count 2 --slow-down 50ms --big-table 50

# Busy replies are counted, the sessions go on, and the run is clean.
start_server BUSY --busy 0.3
for name in typical expert; do
    out="$WORK/busy-$name.out"
    run_throng "$out" run "$SCRIPTS/$name.lua" -s "$BUSY_ADDR" -c 4 -d 1.5 --request-count 4 \
        --slow-down 20ms -q -- pause=0.01
    expect_rc 0 "$out"
    [ "$(fault_count "$out" busy)" -gt 0 ] || fail "$name saw no Busy reply: $(cat "$out")"
    expect_no_fault "$out" invalid
    expect_grep "layer_cake.point_runtime.Busy" "$out"
done

# Wrong answers: every expert client faults invalid, naming the check, and
# leaves; the run ends with every client gone.
start_server WRONG --wrong-size 1
out="$WORK/wrong.out"
run_throng "$out" run "$SCRIPTS/expert.lua" -s "$WRONG_ADDR" -c 3 -d 10 -q
expect_rc 1 "$out"
[ "$(fault_count "$out" invalid)" = 3 ] || fail "expected 3 invalid faults: $(cat "$out")"
expect_grep "expert.lua:" "$out"
expect_grep ", expected " "$out"
expect_grep "ended: number of clients declined to zero" "$out"

# The watchdog calls the service unhealthy when a malformed request shows
# up between two of its looks.
start_server SICK
# (after the first looks, even when a sanitized build starts slowly)
(sleep 2 && curl -s -o /dev/null "http://$SICK_ADDR/no-such-path") &
out="$WORK/sick.out"
run_throng "$out" run "$SCRIPTS/watchdog.lua" -s "$SICK_ADDR" -c 1 -d 5 --request-count 100 -q \
    -- every=0.1
expect_rc 1 "$out"
expect_grep "bad grew by 1 since the last look" "$out"
echo "ok"
