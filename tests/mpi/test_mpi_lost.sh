#!/bin/bash
# test_mpi_lost.sh - a rank killed mid-run (kill -9 of rank 1's pid, found
# among the grandchildren of the mpirun started here) under mpirun
# --enable-recovery: the other ranks finish the run, rank 0 reports rank 1
# lost with its last figures and writes the merged report. (Without
# --enable-recovery Open MPI 4.1 tears the whole job down within about two
# seconds of a rank's death, rank 0 included, before it can report; with
# it, mpirun exits 0 whatever rank 0 says: docs/mpi.md.)
. "$(dirname "$0")/lib.sh"

start_server S

# rank_pid PID RANK: the pid of that rank among the grandchildren of PID
# (timeout, then mpirun), waiting up to 20 s for it.
rank_pid() {
    local kid i
    for i in $(seq 200); do
        for kid in $(pgrep -P "$(pgrep -P "$1" | tr '\n' ',' | sed 's/,$//')" 2>/dev/null); do
            if tr '\0' '\n' <"/proc/$kid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then
                echo "$kid"
                return 0
            fi
        done
        sleep 0.1
    done
}

# lost_run NAME DURATION [mpirun flags...]: a 3-rank run whose rank 1 is
# killed 1.5 s into its load; sets RC (mpirun's status).
lost_run() {
    local name=$1 duration=$2
    shift 2
    timeout 60 "$MPIRUN" $MPI_FLAGS "$@" -np 3 "$THRONG" run --mpi --server "$S_ADDR" --clients 3 \
        --slow-down 10ms --duration "$duration" --json "$WORK/$name.json" \
        --json-per-rank "$WORK/$name-rank" -q >"$WORK/$name.out" 2>"$WORK/$name.err" &
    local mp=$!
    local victim
    victim=$(rank_pid $mp 1)
    [ -n "$victim" ] || fail "$name: rank 1 never started: $(cat "$WORK/$name.err")"
    # Killed once the load is on (a rank killed inside MPI_Init leaves the
    # others waiting there for good), which takes a while in a sanitizer build.
    local i before
    before=$(status_field "$S_ADDR" requests)
    for i in $(seq 200); do
        [ "$(status_field "$S_ADDR" requests)" -gt "$before" ] && break
        sleep 0.1
    done
    sleep 1.5
    kill -9 "$victim"
    wait $mp
    RC=$?
    [ -s "$WORK/$name.json" ] || fail "$name: rank 0 wrote no report (mpirun $RC): $(cat "$WORK/$name.err")"
    [ ! -e "$WORK/$name-rank1.json" ] || fail "$name: the killed rank wrote a report"
}

lost_run recovered 6s --enable-recovery
[ "$RC" = 0 ] || fail "recovered: mpirun exited $RC"
python3 "$CHECK_RANKS" --lost "$WORK/recovered.json" "$WORK/recovered-rank0.json" \
    "$WORK/recovered-rank2.json" || fail "recovered: the merged report lacks the ranks' figures"
python3 - "$WORK/recovered.json" <<'PY' || fail "recovered: $(cat "$WORK/recovered.err")"
import json, sys
w = json.load(open(sys.argv[1]))
assert w["processes"]["lost"] == 1 and w["processes"]["sample"].startswith("rank 1 "), w["processes"]
assert w["ending"] == "duration", w["ending"]
assert w["elapsed"] >= 6, w["elapsed"]
print("recovered: ran", w["elapsed"], "s")
PY
echo "ok"
