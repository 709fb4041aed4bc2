#!/bin/bash
# test_mpi_run.sh - throng run --mpi under `mpirun -np 3` (issue 16, point
# 2): the table persona and a plan against `throng serve`; rank 0's merged
# report counts what the server counted, every rank's own report
# (--json-per-rank) balances, and the merged histograms are their sum
# bucket by bucket; a threshold failing on the whole gives mpirun's exit
# status 5.
. "$(dirname "$0")/lib.sh"

start_server S

# The table persona, 3 ranks.
mpi_throng "$WORK/t.out" "$WORK/t.err" 3 -- run --mpi --server "$S_ADDR" --clients 6 \
    --slow-down 10ms --duration 3s --json "$WORK/t.json" --json-per-rank "$WORK/t-rank" --interval 1s
[ "$RC" = 0 ] || fail "mpirun exited $RC: $(cat "$WORK/t.err" "$WORK/t.out")"
SERVED=$(status_field "$S_ADDR" requests)
python3 "$CHECK_RANKS" "$WORK/t.json" "$WORK/t-rank0.json" "$WORK/t-rank1.json" \
    "$WORK/t-rank2.json" --server "$SERVED" || fail "table: the ranks do not add up"
# One report and one progress line, from rank 0 only.
[ "$(grep -c '^  table ' "$WORK/t.out")" = 1 ] || fail "one report expected: $(cat "$WORK/t.out")"
grep -q "^progress: 1s/3s" "$WORK/t.err" || fail "no progress line from rank 0: $(cat "$WORK/t.err")"
[ "$(grep -c '^progress: 1s/3s' "$WORK/t.err")" = 1 ] || fail "progress from more than one rank"
REQ=$(report_count "$WORK/t.out" requests)
[ "$REQ" = "$SERVED" ] || fail "the text report says $REQ requests, the server $SERVED"

# A request limit is divided among the ranks: exactly that many, all
# answered, and the clients too (7 over 3 ranks: 3, 2 and 2).
BEFORE=$(status_field "$S_ADDR" requests)
mpi_throng "$WORK/n.out" "$WORK/n.err" 3 -- run --mpi --server "$S_ADDR" --clients 7 \
    --slow-down 5ms --requests 1500 --json "$WORK/n.json" --json-per-rank "$WORK/n-rank" -q
[ "$RC" = 0 ] || fail "-n: mpirun exited $RC: $(cat "$WORK/n.err" "$WORK/n.out")"
AFTER=$(status_field "$S_ADDR" requests)
[ $((AFTER - BEFORE)) = 1500 ] || fail "-n 1500: the server answered $((AFTER - BEFORE))"
python3 "$CHECK_RANKS" "$WORK/n.json" "$WORK/n-rank0.json" "$WORK/n-rank1.json" \
    "$WORK/n-rank2.json" --server 1500 --exact || fail "-n: the ranks do not add up"
python3 - "$WORK/n.json" "$WORK"/n-rank{0,1,2}.json <<'PY' || fail "-n: clients not divided"
import json, sys
w, *r = (json.load(open(p)) for p in sys.argv[1:])
assert w["groups"][0]["clients"] == 7 and [x["groups"][0]["clients"] for x in r] == [3, 2, 2], r
PY

# A plan of two groups (a script persona among them), 3 ranks.
BEFORE=$(status_field "$S_ADDR" requests)
mpi_throng "$WORK/p.out" "$WORK/p.err" 3 -- run --mpi "$(dirname "$0")/../e2e/plans/two_groups.lua" \
    --server "$S_ADDR" --duration 3s --json "$WORK/p.json" --json-per-rank "$WORK/p-rank" -q
[ "$RC" = 0 ] || fail "plan: mpirun exited $RC: $(cat "$WORK/p.err" "$WORK/p.out")"
AFTER=$(status_field "$S_ADDR" requests)
python3 "$CHECK_RANKS" "$WORK/p.json" "$WORK/p-rank0.json" "$WORK/p-rank1.json" \
    "$WORK/p-rank2.json" --server $((AFTER - BEFORE)) || fail "plan: the ranks do not add up"

# A threshold the whole misses: rank 0's exit status comes out of mpirun.
mpi_throng "$WORK/th.out" "$WORK/th.err" 3 -- run --mpi --server "$S_ADDR" --clients 3 \
    --slow-down 10ms --duration 2s --threshold 'rate>1000000' --json "$WORK/th.json" -q
[ "$RC" = 5 ] || fail "a failed threshold: mpirun exited $RC, not 5: $(cat "$WORK/th.err")"
python3 - "$WORK/th.json" <<'PY' || fail "the threshold is not failed in the merged report"
import json, sys
r = json.load(open(sys.argv[1]))
assert [t["passed"] for t in r["thresholds"]] == [False], r["thresholds"]
PY
# Worker processes cannot fork under MPI: refused before anything runs.
mpi_throng "$WORK/p2.out" "$WORK/p2.err" 2 -- run --mpi -p 2 --server "$S_ADDR" -d 1s -q
[ "$RC" = 2 ] || fail "--mpi -p 2: mpirun exited $RC, not 2"
grep -q -- "--mpi runs each rank in one process" "$WORK/p2.err" || fail "--mpi -p 2: $(cat "$WORK/p2.err")"
echo "ok"
