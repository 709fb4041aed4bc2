#!/usr/bin/env bash
# callgrind_personas.sh - instructions per request of throng's worker thread,
# counted by valgrind's callgrind (deterministic: a shared, loaded machine
# does not change the count), for four workloads against the nginx target of
# bench_table.sh (tables up to 10x10, mean reply about 430 bytes):
#   builtin   the built-in table persona, keep-alive (--request-count 1000000)
#   hooks     tests/bench/personas/table_hooks.lua (request-style hooks)
#   session   tests/bench/personas/table_session.lua (session style)
#   churn     the built-in persona, one request per connection (--request-count 1)
# Each runs `throng run -c 50 -t 1 -n N` under callgrind; the figure printed
# is the inclusive count of worker_main (the worker thread: no start-up, no
# report) less its on_tick (the progress tick every 250 ms, a cost per
# second that valgrind's slowness would multiply about 50 times), divided
# by N. With --keep the callgrind outputs stay in the temp dir
# (callgrind_annotate --inclusive=yes FILE shows where the instructions go).
#
# usage: tests/bench/callgrind_personas.sh [-n REQUESTS] [--keep] [WORKLOAD...]
# env:   THRONG (path to the binary; build it RelWithDebInfo), NGINX, VALGRIND,
#        EXTRA (more options for every `throng run`, e.g. "--hook-timeout 0")
# Not part of the test suite. Everything listens on and connects to 127.0.0.1.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/bench/lib.sh
. "$here/lib.sh"

n=20000
keep=${KEEP_TMP:-0}
workloads=()
while [ $# -gt 0 ]; do
    case $1 in
        -n) n=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) usage 0 ;;
        builtin|hooks|session|churn) workloads+=("$1"); shift ;;
        *) usage 2 >&2 ;;
    esac
done
[ ${#workloads[@]} -gt 0 ] || workloads=(builtin hooks session churn)
need_numbers callgrind_personas "requests" 1 "$n"

missing=()
valgrind=${VALGRIND:-$(command -v valgrind || true)}
find_tools
[ -n "$valgrind" ] || missing+=("valgrind (apt-get install valgrind)")
command -v callgrind_annotate >/dev/null || missing+=("callgrind_annotate (valgrind)")
exit_if_missing callgrind_personas

prog=callgrind_personas
big=10
corrupt=0
duration=600   # run_client's bound; callgrind is about 50 times slower
# shellcheck source=tests/bench/table_target.sh
. "$here/table_target.sh"

# Runs one workload under callgrind and prints "name instructions/request".
measure() {
    local name=$1 args=()
    case $name in
        builtin) args=(--request-count 1000000 -- method=GET) ;;
        hooks) args=("$here/personas/table_hooks.lua" --request-count 1000000) ;;
        session) args=("$here/personas/table_session.lua" --request-count 1000000) ;;
        churn) args=(--request-count 1 -- method=GET) ;;
    esac
    local out="$tmp/callgrind.$name"
    timeout -k 5 "$duration" "$valgrind" --tool=callgrind --callgrind-out-file="$out" \
        "$throng" run -s "127.0.0.1:$port" -c 50 -t 1 -n "$n" --big-table "$big" \
        --slow-down 0 -q ${EXTRA:-} "${args[@]}" >"$out.log" 2>&1 || {
        echo "$prog: $name failed; its output:" >&2
        tail -20 "$out.log" >&2
        return 1
    }
    callgrind_annotate --inclusive=yes "$out" 2>/dev/null |
        awk -v n="$n" -v name="$name" '
            /client\/worker.c:worker_main / { gsub(",", "", $1); main = $1 }
            /client\/worker.c:on_tick / { gsub(",", "", $1); tick = $1 }
            END { printf "%-8s %8.0f instructions/request\n", name, (main - tick) / n }'
}

for w in "${workloads[@]}"; do measure "$w"; done
