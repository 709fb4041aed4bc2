# lib.sh - what the MPI tests share, on top of the end-to-end tests' lib:
# mpirun on this machine (three ranks on two cores: --oversubscribe; as
# root Open MPI wants --allow-run-as-root), bounded in time.
. "$(dirname "$0")/../e2e/lib.sh"

MPIRUN=${MPIRUN:-mpirun}
MPI_FLAGS="--oversubscribe"
[ "$(id -u)" = 0 ] && MPI_FLAGS="$MPI_FLAGS --allow-run-as-root"
# A sanitizer build's ranks: Open MPI keeps its own allocations until the
# process ends, which LeakSanitizer would report as throng's.
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp ${LSAN_OPTIONS:-}"

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
