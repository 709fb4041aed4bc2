# --source (issue 14, point 1): connections come from the local addresses
# given, spread evenly over the clients; a source that is not local fails
# at bind time as a not-connected fault naming it (no packet leaves: a bind
# to a foreign address fails before connect), and a source of another
# family than the server's is refused before the run starts.
. "$(dirname "$0")/lib.sh"

start_server SRV
PORT=${SRV_ADDR##*:}

# run_counting SEEN OUT ARGS...: runs throng ARGS (output in OUT, bounded;
# sets RC) with its debug log, and writes to SEEN how many connections each
# local address made ("127.0.0.2 1000"), one a line, from the log's
# "connected from ADDR:PORT to ..." lines: exact, where sampling the
# kernel's socket table misses connections that close between two samples
# (a machine with many sockets in TIME_WAIT drops new ones from it).
run_counting() {
    local seen=$1 out=$2
    shift 2
    timeout 60 "$THRONG" "$@" --log-level debug --log "$out.log" >"$out" 2>&1
    RC=$?
    python3 - "$out.log" >"$seen" <<'PY'
import re, sys
counts = {}
for line in open(sys.argv[1]):
    m = re.search(r" debug: connected from (\S+):\d+ to ", line)
    if m:
        counts[m.group(1)] = counts.get(m.group(1), 0) + 1
for a in sorted(counts):
    print(a, counts[a])
PY
}

# 2000 clients over two source addresses: every one connects, 1000 from
# each (client k takes address k mod 2), none from the system's choice.
# (One session each: the think time of 10 s outlasts the run. The run
# ends at its 2000th answer, which needs every client connected; 8 s is
# the bound for a slow start, a client that never connects runs it out.)
run_counting "$WORK/two.seen" "$WORK/two.out" run -s "$SRV_ADDR" -c 2000 -n 2000 \
    --source 127.0.0.2-127.0.0.3 -d 8s --slow-down 10s --json "$WORK/two.json" -q
expect_rc 0 "$WORK/two.out"
expect_no_fault "$WORK/two.out" not-connected
check_ledger "$WORK/two.json"
connects=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['totals']['connect']['count'])" "$WORK/two.json")
[ "$connects" = 2000 ] || fail "expected 2000 connects, the report says $connects: $(cat "$WORK/two.out")"
[ "$(cat "$WORK/two.seen")" = "127.0.0.2 1000
127.0.0.3 1000" ] || fail "expected 1000 connections from each of 127.0.0.2 and 127.0.0.3, saw: $(cat "$WORK/two.seen")"

# The same spread over worker processes and threads (client ids run on
# across them): 600 clients in 2 processes of 2 threads over three
# addresses connect 200 from each, as a run of 100,000 over -p 6 needs.
run_counting "$WORK/procs.seen" "$WORK/procs.out" run -s "$SRV_ADDR" -c 600 -n 600 -p 2 -t 2 \
    --source 127.0.0.2-127.0.0.4 -d 6s --slow-down 10s --json "$WORK/procs.json" -q
expect_rc 0 "$WORK/procs.out"
expect_no_fault "$WORK/procs.out" not-connected
check_ledger "$WORK/procs.json"
[ "$(cat "$WORK/procs.seen")" = "127.0.0.2 200
127.0.0.3 200
127.0.0.4 200" ] || fail "expected 200 connections from each of 127.0.0.2-127.0.0.4 in 2 processes, saw: $(cat "$WORK/procs.seen")"

# A plan's group takes its own source; --source is the default of the
# others (--show-config shows both), a group without one connects from the
# address the system chooses.
cat >"$WORK/plan.lua" <<'LUA'
return {
  near = { persona = "table", clients = 3, source = "127.0.0.7" },
  far  = { persona = "table", clients = 2 },
}
LUA
run_throng "$WORK/plan.out" run -s "$SRV_ADDR" "$WORK/plan.lua" --source 127.0.0.9 --show-config
expect_rc 0 "$WORK/plan.out"
grep -q "group  *near: .*source 127.0.0.7$" "$WORK/plan.out" || fail "the plan's source is not near's: $(cat "$WORK/plan.out")"
grep -q "group  *far: .*source 127.0.0.9$" "$WORK/plan.out" || fail "--source is not the default of far: $(cat "$WORK/plan.out")"
run_counting "$WORK/plan.seen" "$WORK/plan-run.out" run -s "$SRV_ADDR" "$WORK/plan.lua" -d 2s \
    --slow-down 5s -q
expect_rc 0 "$WORK/plan-run.out"
[ "$(cat "$WORK/plan.seen")" = "127.0.0.1 2
127.0.0.7 3" ] || fail "expected near's 3 connections from 127.0.0.7 and far's 2 from the system's choice, saw: $(cat "$WORK/plan.seen")"
cat >"$WORK/bad-plan.lua" <<'LUA'
return { near = { persona = "table", clients = 3, source = "127.0.0.7,localhost" } }
LUA
run_throng "$WORK/bad-plan.out" run -s "$SRV_ADDR" "$WORK/bad-plan.lua" -d 1s
expect_rc 2 "$WORK/bad-plan.out"
expect_grep "'localhost' is not an IP address" "$WORK/bad-plan.out"
expect_grep "near" "$WORK/bad-plan.out"

# A source that is not an address of this machine: the bind fails
# (EADDRNOTAVAIL) before any packet is sent, and every client counts a
# not-connected fault naming the address.
run_throng "$WORK/foreign.out" run -s "$SRV_ADDR" -c 4 --source 10.0.0.1 -d 2s \
    --json "$WORK/foreign.json"
expect_rc 1 "$WORK/foreign.out"
[ "$(fault_count "$WORK/foreign.out" not-connected)" = 4 ] || fail "expected 4 not-connected: $(cat "$WORK/foreign.out")"
expect_grep "bind to source 10.0.0.1: address not available (EADDRNOTAVAIL)" "$WORK/foreign.out"
check_ledger "$WORK/foreign.json"

# Refused before the start: another family than the server's, a range
# that runs backwards, more addresses than the cap.
run_throng "$WORK/v6.out" run -s "$SRV_ADDR" -c 2 --source ::1 -d 1s
expect_rc 2 "$WORK/v6.out"
expect_grep "source ::1 is IPv6 but the server $SRV_ADDR is IPv4" "$WORK/v6.out"
grep -q "^  requests" "$WORK/v6.out" && fail "a refused run reported: $(cat "$WORK/v6.out")"
run_throng "$WORK/back.out" run -s "$SRV_ADDR" -c 2 --source 127.0.0.40-127.0.0.2 -d 1s
expect_rc 2 "$WORK/back.out"
expect_grep "the range runs backwards" "$WORK/back.out"
run_throng "$WORK/many.out" run -s "$SRV_ADDR" -c 2 --source 127.0.0.0-127.1.0.0 -d 1s
expect_rc 2 "$WORK/many.out"
expect_grep "65537 addresses, at most 65536" "$WORK/many.out"
echo "ok"
