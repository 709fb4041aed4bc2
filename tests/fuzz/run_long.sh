#!/bin/sh
# run_long.sh MINUTES [TARGET...]: the long run. Builds the targets as
# run.sh does, then runs every target at once under `nice -n 19` for
# MINUTES minutes each, each with a corpus of its own in a scratch folder
# (seeded from tests/fuzz/corpus and the regressions; the checked-in seeds
# are never written), and writes a summary: executions, coverage, features,
# corpus size and crashes per target. It goes on past a crash (-fork mode
# with -ignore_crashes), so a long run reports every crash it finds, each
# input kept under the scratch folder's crashes/<target>/.
# Environment: SCRATCH (default build-fuzz/long-<date>), WORKERS (fork
# workers per target, default 1), BUILD (default build-fuzz).
set -eu
[ $# -ge 1 ] || { echo "usage: tests/fuzz/run_long.sh MINUTES [TARGET...]" >&2; exit 2; }
minutes=$1
shift
cd "$(dirname "$0")/../.."
root=$PWD
build=${BUILD:-build-fuzz}
targets=${*:-$(sed -n '/^set(THRONG_FUZZ_TARGETS/,/)/p' tests/fuzz/CMakeLists.txt |
    tr -d '()' | sed 's/set\|THRONG_FUZZ_TARGETS//g')}
scratch=${SCRATCH:-$build/long-$(date +%Y%m%d-%H%M%S)}
case $scratch in /*) ;; *) scratch="$root/$scratch" ;; esac
seconds=$((minutes * 60))

[ "$minutes" -gt 0 ] || { echo "run_long: give at least 1 minute" >&2; exit 2; }
# shellcheck disable=SC2086
BUILD=$build tests/fuzz/run.sh 0 $targets # builds only

mkdir -p "$scratch"
echo "run_long: $minutes minutes per target, all at once, in $scratch"
pids=""
for t in $targets; do
    mkdir -p "$scratch/corpus/$t" "$scratch/crashes/$t"
    regressions="tests/fuzz/regressions/$t"
    [ -d "$regressions" ] || regressions=""
    # shellcheck disable=SC2086
    nice -n 19 "$build/fuzz/fuzz_$t" -fork="${WORKERS:-1}" -ignore_crashes=1 -ignore_ooms=1 \
        -ignore_timeouts=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$scratch/crashes/$t/" \
        "$scratch/corpus/$t" "tests/fuzz/corpus/$t" $regressions >"$scratch/$t.log" 2>&1 &
    pids="$pids $!"
done
status=0
for pid in $pids; do wait "$pid" || status=1; done

summary="$scratch/summary.txt"
{
    echo "throng fuzz long run: $minutes minutes per target, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores"
    printf '%-16s %12s %8s %9s %8s %8s\n' target executions coverage features corpus crashes
    for t in $targets; do
        log="$scratch/$t.log"
        # -fork prints "#N: cov: C ft: F corp: K exec/s: E ..." lines; the last one counts.
        last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1)
        execs=$(echo "$last" | sed -n 's/^#\([0-9]*\):.*/\1/p')
        cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
        ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
        corp=$(ls "$scratch/corpus/$t" | wc -l)
        crashes=$(ls "$scratch/crashes/$t" | wc -l)
        printf '%-16s %12s %8s %9s %8s %8s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
            "$corp" "$crashes"
    done
    for t in $targets; do
        for f in "$scratch/crashes/$t"/*; do
            [ -f "$f" ] || continue
            echo "crash: $t: $f"
        done
    done
} >"$summary"
cat "$summary"
[ -z "$(ls "$scratch"/crashes/*/ 2>/dev/null)" ] || status=1
exit "$status"
