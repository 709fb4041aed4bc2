#!/usr/bin/env bash
# bench_locust.sh - throng's session style against Locust (FastHttpUser, one
# process), same target, same requests, same check, client CPU per request.
#
# Both load the nginx of bench_table.sh (table_target.sh: 1 worker, keepalive,
# table replies for x, y in 1..10 at GET /Xy?x=X&y=Y, 127.0.0.1 only). Each
# of N users/clients loops without pause over one kept connection, asks for
# a random table and checks that the reply has y rows of x numbers:
#   throng run tests/bench/personas/table_session.lua -c N -t 1 --big-table 10
#          --request-count 1000000 --slow-down 0 -d Ds -q
#   locust -f tests/bench/locust_table.py --headless -u N -r N -t Ds
#          --host http://127.0.0.1:PORT --only-summary       (one process)
# Requests are counted by nginx (stub_status), CPU by the kernel (GNU time
# for the whole run; /proc/PID/stat for the steady window that starts after
# WARM seconds and ends 1 s before the run does, which leaves out start-up:
# Python's imports for Locust, the CA store for throng). Rounds alternate who
# goes first. The last lines give how many times less CPU per request throng
# spends than Locust (the issue asks for at least 25).
#
# usage: tests/bench/bench_locust.sh [-r ROUNDS] [-d SECONDS] [-c USERS] [-w WARM] [--keep]
# env:   ROUNDS (2), DURATION (6), CLIENTS (50), WARM (1), THRONG, LOCUST, NGINX,
#        KEEP_TMP=1
# Not part of the test suite. Everything is on 127.0.0.1; every run ends by
# itself within its duration (and is killed 30 s after, if not).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/bench/lib.sh
. "$here/lib.sh"

rounds=${ROUNDS:-2}
duration=${DURATION:-6}
clients=${CLIENTS:-50}
warm=${WARM:-1}
keep=${KEEP_TMP:-0}
corrupt=0
big=10

# The options of this bench alone (lib.sh's parse_options reads the rest).
extra_option() {
    case $1 in
        -w|--warm) warm=${2%s}; shifted=2 ;;
    esac
}
parse_options bench_locust "$@"
need_numbers bench_locust "rounds, duration, users and warm-up" 0 "$rounds" "$duration" "$clients" "$warm"
set_window bench_locust

missing=()
locust=${LOCUST:-$(command -v locust || true)}
find_tools
[ -n "$locust" ] && [ -x "$locust" ] || missing+=("locust (apt-get install python3-locust)")
command -v curl >/dev/null || missing+=("curl (reads nginx's request count)")
exit_if_missing bench_locust

prog=bench_locust
# shellcheck source=tests/bench/table_target.sh
. "$here/table_target.sh"
export BIG_TABLE=$big   # read by locust_table.py

run_throng() {
    run_window throng "$1" "$warm" "$window" "$throng" run "$here/personas/table_session.lua" \
        -s "127.0.0.1:$port" -c "$clients" -t 1 --big-table "$big" --request-count 1000000 \
        --slow-down 0 -d "${duration}s" -q
}

run_locust() {
    # Locust's gevent loop in one process; -t counts from the start of spawning.
    run_window locust "$1" "$warm" "$window" "$locust" -f "$here/locust_table.py" --headless \
        -u "$clients" -r "$clients" -t "${duration}s" --host "http://127.0.0.1:$port" \
        --only-summary --loglevel WARNING
}

# failures of one run: throng's faults, Locust's failed requests
failures_of() {
    local name=$1 out=$2
    if [ "$name" = throng ]; then
        throng_faults "$out"
    else
        awk '$1 == "Aggregated" { sub(/\(.*/, "", $3); print $3; exit }' "$out.out" "$out.err"
    fi
}

# One raw row: round|client|requests|user|sys|win_requests|win_user|win_sys|failures
row() {
    local round=$1 name=$2 out=$3 u s m wr wu ws
    read -r u s m < <(tail -n 1 "$out.time" 2>/dev/null || echo "0 0 0")
    read -r wr wu ws <"$out.win"
    echo "$round|$name|$(cat "$out.req")|$u|$s|$wr|$wu|$ws|$(failures_of "$name" "$out")"
}

echo "# bench_locust: throng (session persona) vs Locust FastHttpUser, GET /Xy, x,y in 1..$big, every reply checked"
echo
print_setup "$rounds"
echo "- locust: $("$locust" --version 2>&1 | head -n 1) (one process, FastHttpUser, tests/bench/locust_table.py)"
echo "- throng: throng run tests/bench/personas/table_session.lua -c $clients -t 1 --big-table $big --request-count 1000000 --slow-down 0 -d ${duration}s -q"
echo "- window: from ${warm} s to $((warm + window)) s of each run"
echo

all="$tmp/results"
: >"$all"
for round in $(seq "$rounds"); do
    if [ $((round % 2)) = 1 ]; then order="throng locust"; else order="locust throng"; fi
    for name in $order; do
        "run_$name" "$tmp/r$round.$name"
        row "$round" "$name" "$tmp/r$round.$name" >>"$all"
    done
done

echo '| round | client | requests (nginx) | CPU s (user + sys) | CPU µs/req | window req/s | window CPU µs/req | failures |'
echo '|---|---|---:|---:|---:|---:|---:|---|'
awk -F'|' -v win="$window" '{
    cpu = $4 + $5; wcpu = $7 + $8
    printf "| %s | %s | %d | %.2f = %.2fu + %.2fs | %.2f | %.0f | %.2f | %s |\n", $1, $2, $3,
        cpu, $4, $5, ($3 > 0 ? cpu * 1e6 / $3 : 0), $6 / win, ($6 > 0 ? wcpu * 1e6 / $6 : 0), $9
}' "$all"
echo
awk -F'|' '
    { cpu[$2] += $4 + $5; req[$2] += $3; wcpu[$2] += $7 + $8; wreq[$2] += $6 }
    END {
        t = req["throng"] ? cpu["throng"] / req["throng"] : 0
        l = req["locust"] ? cpu["locust"] / req["locust"] : 0
        wt = wreq["throng"] ? wcpu["throng"] / wreq["throng"] : 0
        wl = wreq["locust"] ? wcpu["locust"] / wreq["locust"] : 0
        printf "- CPU per request, whole runs: throng %.2f µs, Locust %.2f µs: throng %.1fx cheaper (ratio throng/Locust %.3f)\n", t * 1e6, l * 1e6, (t > 0 ? l / t : 0), (l > 0 ? t / l : 0)
        printf "- CPU per request, steady window: throng %.2f µs, Locust %.2f µs: throng %.1fx cheaper (ratio throng/Locust %.3f)\n", wt * 1e6, wl * 1e6, (wt > 0 ? wl / wt : 0), (wl > 0 ? wt / wl : 0)
        printf "RATIO locust cpu_whole %.4f cpu_window %.4f\n", (l > 0 ? t / l : 0), (wl > 0 ? wt / wl : 0)
    }' "$all"
