#!/bin/bash
# test_mpi_plan.sh - throng run --mpi under `mpirun -np 3` (issue 16, point
# 2): a plan of two groups (a script persona among them) against `throng
# serve`, checked as test_mpi_run.sh checks the table persona, group by
# group; a threshold failing on the whole gives mpirun's exit status 5; and
# -p is refused with --mpi.
. "$(dirname "$0")/lib.sh"

start_server S

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
