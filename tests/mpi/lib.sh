# lib.sh - what the MPI tests share, on top of the end-to-end tests' lib:
# mpirun on this machine (three ranks on two cores: --oversubscribe; as
# root Open MPI wants --allow-run-as-root), bounded in time.
. "$(dirname "$0")/../e2e/lib.sh"

MPIRUN=${MPIRUN:-mpirun}
MPI_FLAGS="--oversubscribe"
[ "$(id -u)" = 0 ] && MPI_FLAGS="$MPI_FLAGS --allow-run-as-root"
# A sanitizer build's ranks: LeakSanitizer's scan at exit takes minutes in
# a process holding Open MPI (its many mappings re-read for every leak of
# Open MPI's own it finds): no leak check here (the rest of the suite has
# it); AddressSanitizer and UBSan stay on.
export ASAN_OPTIONS="${ASAN_OPTIONS:-} detect_leaks=0"

# mpi_throng OUT ERR NP [mpirun flags...] -- [throng flags...]: runs
# `mpirun -np NP throng ...`, bounded to 60 s, output in OUT and ERR; sets RC.
mpi_throng() {
    local out=$1 err=$2 np=$3
    shift 3
    local pre=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        pre+=("$1")
        shift
    done
    shift
    # shellcheck disable=SC2086
    timeout 60 "$MPIRUN" $MPI_FLAGS "${pre[@]}" -np "$np" "$THRONG" "$@" >"$out" 2>"$err"
    RC=$?
}

CHECK_RANKS="$(dirname "$0")/check_ranks.py"
