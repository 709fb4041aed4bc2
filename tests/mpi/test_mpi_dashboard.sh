#!/bin/bash
# test_mpi_dashboard.sh - throng run --mpi --dashboard (issue 17, point 1):
# rank 0 alone serves the live dashboard, over the whole run: during the
# run its snapshot's seconds count every rank's requests, and after it
# (--dashboard-linger) /snapshot.json and /metrics count exactly what the
# merged report does.
. "$(dirname "$0")/lib.sh"

start_server S
timeout 60 "$MPIRUN" $MPI_FLAGS -np 3 "$THRONG" run --mpi --server "$S_ADDR" --clients 3 \
    --slow-down 10ms --duration 5s --dashboard 127.0.0.1:0 --dashboard-linger 4s \
    --json "$WORK/r.json" --json-per-rank "$WORK/rank" -q >"$WORK/run.out" 2>"$WORK/run.err" &
RUN=$!
D=""
for _ in $(seq 200); do
    D=$(sed -n 's|.*dashboard on http://\([^/]*\)/$|\1|p' "$WORK/run.err")
    [ -n "$D" ] && break
    sleep 0.05
done
[ -n "$D" ] || fail "no dashboard address: $(cat "$WORK/run.err")"
[ "$(grep -c 'dashboard on' "$WORK/run.err")" = 1 ] || fail "more than one rank serves a dashboard"
# snapshot_field FILE EXPR: a value of a snapshot, as Python reads d[...]
snapshot_field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null; }
# Mid-run: a snapshot once two seconds have settled (a loaded sanitizer
# run starts late), while the run still goes.
for _ in $(seq 100); do
    curl -sf --max-time 5 "http://$D/snapshot.json" >"$WORK/snap_mid.json" || fail "no snapshot during the run"
    [ "$(snapshot_field "$WORK/snap_mid.json" 'max([p["t"] for p in d["series"]], default=0) >= 2')" = True ] && break
    sleep 0.1
done
for _ in $(seq 100); do [ -s "$WORK/r.json" ] && break; sleep 0.1; done
[ -s "$WORK/r.json" ] || fail "no report: $(cat "$WORK/run.err")"
# The dashboard's next look at the engine after the report sees the end.
for _ in $(seq 100); do
    curl -sf --max-time 5 "http://$D/snapshot.json" >"$WORK/snap_end.json" || fail "no snapshot while lingering"
    [ "$(snapshot_field "$WORK/snap_end.json" 'd["state"]')" = ended ] && break
    sleep 0.1
done
curl -sf --max-time 5 "http://$D/metrics" >"$WORK/m_end.txt" || fail "no /metrics while lingering"
wait $RUN
RC=$?
[ $RC = 0 ] || fail "mpirun exited $RC: $(cat "$WORK/run.err")"
python3 - "$WORK/r.json" "$WORK/rank0.json" "$WORK/snap_mid.json" "$WORK/snap_end.json" \
    "$WORK/m_end.txt" <<'PY' || fail "the dashboard does not count the whole run"
import json, sys
r, r0, mid, end = (json.load(open(p)) for p in sys.argv[1:5])
lines = [l for l in open(sys.argv[5]) if not l.startswith("#")]
whole = r["totals"]["requests"]
# During a 5 s run of three equal ranks: the seconds settled so far hold
# every rank's requests, well more than rank 0's own in those seconds.
assert mid["state"] == "running", mid["state"]
last = max((p["t"] for p in mid["series"]), default=0)
assert last >= 1, mid["series"]
seen = sum(p["requests"] for p in mid["series"] if p["t"] <= last)
mine = sum(p["requests"] for p in r0["series"] if p["t"] <= last)
assert seen > 1.5 * mine > 0, (seen, mine, last)
assert end["state"] == "ended" and end["requests"] == whole, (end["requests"], whole)
total = sum(float(l.split()[1]) for l in lines if l.startswith("throng_requests_total{"))
assert total == whole, (total, whole)
print("first", last, "s: all ranks", seen, "rank 0 alone", mine, "; whole", whole)
PY
echo "ok"
