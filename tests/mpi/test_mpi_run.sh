#!/bin/bash
# test_mpi_run.sh - throng run --mpi under `mpirun -np 3` (issue 16, point
# 2): the table persona against `throng serve`, for a time and for a request
# limit divided among the ranks; rank 0's merged report counts what the
# server counted, every rank's own report (--json-per-rank) balances, and
# the merged histograms are their sum bucket by bucket.
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
JREQ=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"]["requests"])' "$WORK/t.json")
[ "$REQ" = "$JREQ" ] || fail "the text report says $REQ requests, the JSON $JREQ"

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

echo "ok"
