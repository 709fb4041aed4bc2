#!/usr/bin/env bash
# compare.sh - throng against its peers on one nginx, in a few minutes: one
# table of CPU-per-request and requests/s ratios (issue 15's three checks).
#
# All runs load the nginx of bench_table.sh (table_target.sh: 1 worker,
# keepalive, GET /Xy?x=X&y=Y table replies for x, y in 1..10, 127.0.0.1 only)
# with N connections (or users) on one thread, no think time:
#   keep-alive   throng's built-in table persona (random sizes, every reply
#                validated), and the same load as a request-hook persona
#                and a session persona (tests/bench/personas/), against
#                wrk without a script on the mean-sized table (/Xy?x=5&y=6,
#                no validation) and wrk with tests/bench/wrk_table.lua
#                (random sizes, validated): bench_table.sh's workload
#   churn        connect, one request, close: the table persona with
#                --request-count 1, and the url persona on /Xy?x=5&y=6 with
#                -H 'Connection: close', against wrk -H 'Connection: close'
#                on the same URL
#   locust       the session persona against Locust FastHttpUser (one
#                process, tests/bench/locust_table.py): bench_locust.sh
# Requests are counted by nginx (stub_status); client CPU is the kernel's
# utime+stime: for the whole run (GNU time, start-up included) and for a
# steady window from WARM s to 1 s before the run ends (/proc/PID/stat).
# Rounds alternate the order of the runs. The table's ratios are throng's
# CPU per request over the peer's (below 1: throng is cheaper) and
# throng's requests/s over the peer's (window).
#
# usage: tests/bench/compare.sh [-r ROUNDS] [-d SECONDS] [-c CONNECTIONS] [--only "ka churn locust"] [--keep]
# env:   ROUNDS (2), DURATION (5), CLIENTS (50), WARM (1), ONLY, THRONG, WRK,
#        LOCUST, NGINX, KEEP_TMP=1
# Not part of the test suite; every run stops by itself.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/bench/lib.sh
. "$here/lib.sh"

rounds=${ROUNDS:-2}
duration=${DURATION:-5}
clients=${CLIENTS:-50}
warm=${WARM:-1}
only=${ONLY:-ka churn locust}
keep=${KEEP_TMP:-0}
corrupt=0
big=10
mean_url="/Xy?x=5&y=6"   # 30 numbers: the mean table of x, y uniform in 1..10

# The options of this bench alone (lib.sh's parse_options reads the rest).
extra_option() {
    case $1 in
        --only) only=$2; shifted=2 ;;
    esac
}
parse_options compare "$@"
need_numbers compare "rounds, duration, connections and warm-up" 0 "$rounds" "$duration" "$clients" "$warm"
set_window compare

missing=()
wrk=${WRK:-$(command -v wrk || true)}
locust=${LOCUST:-$(command -v locust || true)}
find_tools
[ -n "$wrk" ] && [ -x "$wrk" ] || missing+=("wrk")
case " $only " in *" locust "*) [ -n "$locust" ] && [ -x "$locust" ] || missing+=("locust (python3-locust)") ;; esac
command -v curl >/dev/null || missing+=("curl")
exit_if_missing compare

prog=compare
# shellcheck source=tests/bench/table_target.sh
. "$here/table_target.sh"
export BIG_TABLE=$big   # read by wrk_table.lua and locust_table.py

url="http://127.0.0.1:$port"
th=("$throng" run -s "127.0.0.1:$port" -c "$clients" -t 1 --big-table "$big" --slow-down 0
    -d "${duration}s" -q)
wk=("$wrk" -t1 -c"$clients" -d"${duration}s")

# name -> command; each run is one of these
run_case() {
    local name=$1 out=$2
    case $name in
        ka.throng) run_window "$name" "$out" "$warm" "$window" "${th[@]}" --request-count 1000000 -- method=GET ;;
        ka.hooks) run_window "$name" "$out" "$warm" "$window" "${th[@]}" --request-count 1000000 \
                      "$here/personas/table_hooks.lua" ;;
        ka.session) run_window "$name" "$out" "$warm" "$window" "${th[@]}" --request-count 1000000 \
                        "$here/personas/table_session.lua" ;;
        ka.wrk) run_window "$name" "$out" "$warm" "$window" "${wk[@]}" "$url$mean_url" ;;
        ka.wrk_table) run_window "$name" "$out" "$warm" "$window" "${wk[@]}" -s "$here/wrk_table.lua" "$url" ;;
        churn.throng) run_window "$name" "$out" "$warm" "$window" "${th[@]}" --request-count 1 -- method=GET ;;
        churn.url) run_window "$name" "$out" "$warm" "$window" "$throng" run "$url$mean_url" \
                       -H 'Connection: close' -c "$clients" -t 1 -d "${duration}s" -q ;;
        churn.wrk) run_window "$name" "$out" "$warm" "$window" "${wk[@]}" -H 'Connection: close' "$url$mean_url" ;;
        locust.session) run_window "$name" "$out" "$warm" "$window" "${th[@]}" --request-count 1000000 \
                            "$here/personas/table_session.lua" ;;
        locust.locust) run_window "$name" "$out" "$warm" "$window" "$locust" -f "$here/locust_table.py" \
                           --headless -u "$clients" -r "$clients" -t "${duration}s" --host "$url" \
                           --only-summary --loglevel WARNING ;;
    esac
}

cases=()
for w in $only; do
    case $w in
        ka) cases+=(ka.throng ka.hooks ka.session ka.wrk ka.wrk_table) ;;
        churn) cases+=(churn.throng churn.url churn.wrk) ;;
        locust) cases+=(locust.session locust.locust) ;;
        *) echo "compare: --only takes ka, churn and locust, not '$w'" >&2; exit 2 ;;
    esac
done

echo "# compare: throng against wrk and Locust, $clients connections, 1 thread, ${duration} s runs"
echo
print_setup "$rounds"
echo "- wrk: $("$wrk" --version 2>&1 | head -n 1 | sed 's/ Copyright.*//')"
echo "- window: from ${warm} s to $((warm + window)) s of each run; commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo

all="$tmp/results"
: >"$all"
for round in $(seq "$rounds"); do
    list=("${cases[@]}")
    if [ $((round % 2)) = 0 ]; then   # every other round in reverse order
        list=()
        for ((i = ${#cases[@]} - 1; i >= 0; i--)); do list+=("${cases[i]}"); done
    fi
    for name in "${list[@]}"; do
        out="$tmp/r$round.$name"
        run_case "$name" "$out"
        read -r u s m < <(tail -n 1 "$out.time" 2>/dev/null || echo "0 0 0")
        read -r wr wu ws <"$out.win"
        echo "$round|$name|$(cat "$out.req")|$u|$s|$wr|$wu|$ws|$(cat "$out.rc")" >>"$all"
        printf '  round %s %-15s %8d requests  %6.2f µs/req (window %6.2f)\n' "$round" "$name" \
            "$(cat "$out.req")" "$(awk -v r="$(cat "$out.req")" -v u="$u" -v s="$s" 'BEGIN { print r ? (u + s) * 1e6 / r : 0 }')" \
            "$(awk -v r="$wr" -v u="$wu" -v s="$ws" 'BEGIN { print r ? (u + s) * 1e6 / r : 0 }')" >&2
    done
done

echo '| run | requests (nginx, all rounds) | CPU µs/req, whole runs (user + sys) | CPU µs/req, window | window req/s |'
echo '|---|---:|---:|---:|---:|'
awk -F'|' -v win="$window" -v rounds="$rounds" '
    { n = $2; if (!(n in req)) order[++k] = n
      req[n] += $3; us[n] += $4; sy[n] += $5; wr[n] += $6; wc[n] += $7 + $8 }
    END {
        for (i = 1; i <= k; i++) { n = order[i]
            q = req[n] ? 1e6 / req[n] : 0
            printf "| %s | %d | %.2f = %.2fu + %.2fs | %.2f | %.0f |\n", n, req[n], (us[n] + sy[n]) * q,
                us[n] * q, sy[n] * q, (wr[n] ? wc[n] * 1e6 / wr[n] : 0), wr[n] / win / rounds }
    }' "$all"
echo
echo '| workload | throng | peer | CPU/req ratio, whole runs | CPU/req ratio, window | req/s ratio (window) | target |'
echo '|---|---|---|---:|---:|---:|---|'
awk -F'|' '
    { n = $2; req[n] += $3; cpu[n] += $4 + $5; wr[n] += $6; wc[n] += $7 + $8 }
    function pair(w, a, b, target) {
        if (!req[a] || !req[b] || !wr[a] || !wr[b]) return
        printf "| %s | %s | %s | %.3f | %.3f | %.2f | %s |\n", w, a, b,
            (cpu[a] / req[a]) / (cpu[b] / req[b]), (wc[a] / wr[a]) / (wc[b] / wr[b]), wr[a] / wr[b], target
    }
    END {
        pair("keep-alive", "ka.throng", "ka.wrk", "CPU <= 0.85, req/s >= 1.0")
        pair("keep-alive", "ka.throng", "ka.wrk_table", "")
        pair("keep-alive", "ka.hooks", "ka.throng", "CPU within 1.10")
        pair("keep-alive", "ka.session", "ka.throng", "CPU within 1.10")
        pair("churn", "churn.throng", "churn.wrk", "CPU <= 0.8")
        pair("churn", "churn.url", "churn.wrk", "CPU <= 0.8")
        pair("locust", "locust.session", "locust.locust", "CPU <= 0.04 (25x)")
    }' "$all"
echo
echo "- CPU/req: client utime+stime / requests nginx counted; whole runs include start-up and the report, the window does not."
awk -F'|' '$9 != 0 { printf "- round %s %s exited %s\n", $1, $2, $9 }' "$all"
