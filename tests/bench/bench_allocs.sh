#!/bin/bash
# bench_allocs.sh - heap allocations per request of the table persona.
#
# Runs `throng run` against `throng serve` twice, with a small and a large
# request limit, under an LD_PRELOAD library that counts malloc/calloc/
# realloc calls; the difference divided by the difference in requests is
# the allocations per request (the engine's goal: zero). Two counts: those
# of the worker threads (the clients: the hot path) and the whole process
# (which adds the report, whose size grows with the histograms' buckets). Done for long
# sessions (one connection per client) and for one-request sessions
# (a connection per request).
#
# usage: tests/bench/bench_allocs.sh [throng-binary]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/bench/lib.sh
. "$here/lib.sh"
THRONG=${1:-${THRONG:-$here/../../build/throng}}
[ -x "$THRONG" ] || { echo "bench_allocs: no throng binary at $THRONG (build first)" >&2; exit 2; }
command -v gcc >/dev/null || { echo "bench_allocs: gcc is needed" >&2; exit 2; }

work=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
gcc -shared -fPIC -O2 "$here/count_allocs.c" -o "$work/count_allocs.so"

start_serve bench_allocs "$THRONG" 300 "$work/serve.out"

# allocs N REQUEST_COUNT: "workers whole" allocations of a run of N requests.
allocs() {
    LD_PRELOAD="$work/count_allocs.so" timeout 120 "$THRONG" run -s "$addr" -n "$1" -c 10 \
        --request-count "$2" --slow-down 0 -q 2>&1 >/dev/null |
        sed -n 's/^count_allocs: malloc \([0-9]*\) calloc \([0-9]*\) realloc \([0-9]*\) workers \([0-9]*\)/\1 \2 \3 \4/p' |
        awk '{print $4, $1 + $2 + $3}'
}

per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {printf "%.4f", (b - a) / n}'; }

small=1000 large=51000
printf '%-24s %-14s %10s %10s %12s\n' "sessions" "threads" "n=$small" "n=$large" "per request"
for rc in 1000000 1; do
    set -- $(allocs $small $rc) $(allocs $large $rc)
    printf '%-24s %-14s %10s %10s %12s\n' "request-count $rc" "workers" "$1" "$3" \
        "$(per "$1" "$3" $((large - small)))"
    printf '%-24s %-14s %10s %10s %12s\n' "" "whole process" "$2" "$4" \
        "$(per "$2" "$4" $((large - small)))"
done
