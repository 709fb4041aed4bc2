#!/bin/sh
# run.sh SECONDS_PER_TARGET [TARGET...]: builds the fuzz targets with clang
# (libFuzzer, AddressSanitizer, UndefinedBehaviorSanitizer) in build-fuzz
# (only that, when SECONDS_PER_TARGET is 0) and runs each for SECONDS_PER_TARGET seconds, starting from its seed
# corpus (tests/fuzz/corpus/<target>, read only: new inputs go to a scratch
# folder) and its kept regressions. Prints the executions of each target;
# fails when any target crashes, leaks, or breaks one of its checks, and
# leaves the crashing input in build-fuzz/crashes/<target>/.
# Environment: BUILD (default build-fuzz), JOBS (make -j, and the targets
# fuzzed at once, default 2),
# FUZZ_FLAGS (more libFuzzer flags).
set -eu
[ $# -ge 1 ] || { echo "usage: tests/fuzz/run.sh SECONDS_PER_TARGET [TARGET...]" >&2; exit 2; }
seconds=$1
shift
cd "$(dirname "$0")/../.."
root=$PWD
build=${BUILD:-build-fuzz}
targets=${*:-$(sed -n '/^set(THRONG_FUZZ_TARGETS/,/)/p' tests/fuzz/CMakeLists.txt |
    tr -d '()' | sed 's/set\|THRONG_FUZZ_TARGETS//g')}

CC=clang cmake -S . -B "$build" -DTHRONG_FUZZ=ON -DTHRONG_SANITIZE=ON -DTHRONG_TESTS=OFF \
    -DTHRONG_EXAMPLES=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"${TMPDIR:-/tmp}/throng-fuzz-configure.log" 2>&1 ||
    { cat "${TMPDIR:-/tmp}/throng-fuzz-configure.log"; exit 1; }
fuzz_targets=""
for t in $targets; do fuzz_targets="$fuzz_targets fuzz_$t"; done
# shellcheck disable=SC2086
cmake --build "$build" -j"${JOBS:-2}" --target $fuzz_targets >"$build/build.log" 2>&1 ||
    { tail -50 "$build/build.log"; exit 1; }

# 0 seconds: build only (libFuzzer itself reads -max_total_time=0 as no limit).
[ "$seconds" -gt 0 ] || exit 0

# fuzz_one TARGET: runs one target; its line (and, when it failed, the
# report's start) goes to $build/work/TARGET/result, and the file
# $build/work/TARGET/failed marks a failure.
fuzz_one() {
    t=$1
    work="$build/work/$t"
    crashes="$build/crashes/$t"
    seeds="tests/fuzz/corpus/$t"
    regressions="tests/fuzz/regressions/$t"
    [ -d "$regressions" ] || regressions=""
    rc=0
    # shellcheck disable=SC2086
    "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$root/$crashes/" ${FUZZ_FLAGS:-} \
        "$work/corpus" "$seeds" $regressions >"$work/log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
    cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1 | sed 's/cov: //')
    if [ "$rc" -ne 0 ]; then
        {
            echo "fuzz $t: FAILED after ${execs:-?} executions (exit $rc); the input is in $crashes/"
            grep -A30 -E '^==[0-9]+==ERROR|check failed|runtime error|^SUMMARY' "$work/log" | head -60
        } >"$work/result"
        : >"$work/failed"
    else
        echo "fuzz $t: ${execs:-?} executions in ${seconds}s, coverage ${cov:-?}" >"$work/result"
    fi
}

# finish_running: waits for the targets running, prints their lines, and
# marks the run failed when one of them failed.
finish_running() {
    wait
    for r in $running; do
        cat "$build/work/$r/result"
        [ ! -e "$build/work/$r/failed" ] || status=1
    done
    running=""
}

# JOBS targets at a time (one a core: each is one process), each for its
# full SECONDS.
status=0
running=""
for t in $targets; do
    rm -rf "$build/work/$t"
    mkdir -p "$build/work/$t/corpus" "$build/crashes/$t"
    fuzz_one "$t" &
    running="$running $t"
    # shellcheck disable=SC2086
    set -- $running
    [ $# -lt "${JOBS:-2}" ] || finish_running
done
finish_running
exit "$status"
