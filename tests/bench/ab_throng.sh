#!/usr/bin/env bash
# ab_throng.sh - two throng binaries (say, before and after a change) and
# plain wrk, interleaved, on the nginx of bench_table.sh: keep-alive (the
# table persona, --request-count 1000000) and churn (--request-count 1, one
# request per connection; wrk with Connection: close). On a shared machine
# whose speed drifts by 10% from one minute to the next, runs of the two
# binaries side by side in every round compare them better than two
# compare.sh runs made minutes apart.
#
# Each run: 50 connections, 1 thread, tables up to 10x10, no think time.
# Requests are counted by nginx (stub_status), CPU is the client's user+sys
# (GNU time, start-up and report included). Prints, per run kind, the
# requests of all rounds and the CPU per request, split user + sys.
#
# usage: tests/bench/ab_throng.sh OLD NEW [-r ROUNDS] [-d SECONDS]
# env:   ROUNDS (3), DURATION (4), CLIENTS (50), WRK, NGINX, KEEP_TMP=1
# Not part of the test suite; every run stops by itself.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/bench/lib.sh
. "$here/lib.sh"

case ${1:-} in -h|--help) usage 0 ;; esac
if [ $# -lt 2 ] || [ ! -x "$1" ] || [ ! -x "$2" ]; then
    echo "usage: tests/bench/ab_throng.sh OLD NEW [-r ROUNDS] [-d SECONDS] (two throng binaries)" >&2
    exit 2
fi
old=$1 new=$2
shift 2
rounds=${ROUNDS:-3}
duration=${DURATION:-4}
clients=${CLIENTS:-50}
keep=${KEEP_TMP:-0}
corrupt=0
big=10
extra_option() { :; }
parse_options ab_throng "$@"
need_numbers ab_throng "rounds, duration and connections" 0 "$rounds" "$duration" "$clients"

missing=()
wrk=${WRK:-$(command -v wrk || true)}
THRONG=$new find_tools
[ -n "$wrk" ] && [ -x "$wrk" ] || missing+=("wrk")
command -v curl >/dev/null || missing+=("curl")
exit_if_missing ab_throng

prog=ab_throng
# shellcheck source=tests/bench/table_target.sh
. "$here/table_target.sh"

rows="$tmp/rows"
: >"$rows"
# one NAME CMD...: a run, its nginx-counted requests and CPU appended to rows.
one() {
    local name=$1 out="$tmp/$1.$round"
    shift
    local before after
    before=$(nginx_requests)
    run_client "$name" "$out" "$@"
    after=$(nginx_requests)
    read -r user sys _ <"$out.time"
    echo "$name $((after - before)) $user $sys" >>"$rows"
}

mean_url="http://127.0.0.1:$port/Xy?x=5&y=6"
for round in $(seq "$rounds"); do
    for which in old new; do
        bin=$old
        [ "$which" = new ] && bin=$new
        th=("$bin" run -s "127.0.0.1:$port" -c "$clients" -t 1 --big-table "$big" --slow-down 0
            -d "${duration}s" -q)
        one "ka.$which" "${th[@]}" --request-count 1000000 -- method=GET
        one "churn.$which" "${th[@]}" --request-count 1 -- method=GET
    done
    one ka.wrk "$wrk" -t1 -c"$clients" -d"${duration}s" "$mean_url"
    one churn.wrk "$wrk" -t1 -c"$clients" -d"${duration}s" -H 'Connection: close' "$mean_url"
done

echo "ab_throng: old = $old, new = $new; $rounds rounds of ${duration} s, $clients connections"
awk '{ n[$1] += $2; u[$1] += $3; s[$1] += $4 }
     END { for (k in n) if (n[k] > 0)
               printf "%-10s %9d requests  %6.2f µs/req (%5.2f user + %5.2f sys)\n", k, n[k],
                      (u[k] + s[k]) * 1e6 / n[k], u[k] * 1e6 / n[k], s[k] * 1e6 / n[k] }' "$rows" |
    sort
