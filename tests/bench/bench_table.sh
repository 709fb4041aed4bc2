#!/usr/bin/env bash
# bench_table.sh - throng's built-in table persona against wrk, same target,
# same shape of load, client CPU per request.
#
# Both clients load one nginx (1 worker, keepalive) on 127.0.0.1 that serves
# pre-generated layer-cake table replies for every x, y in 1..10 at
# GET /Xy?x=X&y=Y. Each client keeps N connections busy with back-to-back
# requests for random sizes and validates every reply (y rows of x numbers):
#   throng run --big-table 10 --request-count 1000000 --slow-down 0 -- method=GET
#   wrk -s tests/bench/wrk_table.lua (checks the body against an X-Xy header
#   that nginx adds, echoing the size asked for)
# Rounds alternate which client goes first. For each run the bench records
# requests, requests/s, the client's user+sys CPU and max RSS (GNU time),
# and the CPU the nginx worker used meanwhile; it prints a Markdown table per
# round and a summary with the ratios throng/wrk.
#
# usage: tests/bench/bench_table.sh [-r ROUNDS] [-d SECONDS] [-c CONNECTIONS] [--keep] [--corrupt]
#   --keep     keep the temp dir (nginx conf, each client's output)
#   --corrupt  serve the 2x3 table for 3x2 requests, to see both validations fail
# env:   ROUNDS (3), DURATION (5), CLIENTS (50), THRONG (path to the binary),
#        WRK, NGINX (paths), KEEP_TMP=1 (same as --keep)
# Not part of the test suite. Everything listens on and connects to 127.0.0.1.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/bench/lib.sh
. "$here/lib.sh"

rounds=${ROUNDS:-3}
duration=${DURATION:-5}
clients=${CLIENTS:-50}
keep=${KEEP_TMP:-0}
corrupt=0
big=10   # largest table side; the files and both clients agree on it

# The options of this bench alone (lib.sh's parse_options reads the rest).
extra_option() {
    case $1 in
        --corrupt) corrupt=1; shifted=1 ;;
    esac
}
parse_options bench_table "$@"
need_numbers bench_table "rounds, duration and clients" 1 "$rounds" "$duration" "$clients"

# --- prerequisites ------------------------------------------------------------

missing=()
wrk=${WRK:-$(command -v wrk || true)}
find_tools
[ -n "$wrk" ] && [ -x "$wrk" ] || missing+=("wrk (apt-get install wrk, or deps/install.sh all)")
command -v timeout >/dev/null || missing+=("timeout (coreutils)")
exit_if_missing bench_table

# --- the target: table replies, nginx, clean-up, run_client -------------------

prog=bench_table
# shellcheck source=tests/bench/table_target.sh
. "$here/table_target.sh"
export BIG_TABLE=$big   # read by wrk_table.lua

run_throng() {
    run_client throng "$1" "$throng" run -s "127.0.0.1:$port" -c "$clients" -t 1 \
        --big-table "$big" --request-count 1000000 --slow-down 0 -d "${duration}s" -q -- method=GET
}

run_wrk() {
    run_client wrk "$1" "$wrk" -t1 -c"$clients" -d"${duration}s" \
        -s "$here/wrk_table.lua" "http://127.0.0.1:$port"
}

# Prints the raw results of one run, fields separated by '|':
# client|requests|req/s|user_s|sys_s|maxrss_kB|nginx_cpu_s|failures|notes
result_row() {
    local name=$1 out=$2 requests rate failures note
    run_figures "$out"
    note=$figures_note
    if [ "$name" = throng ]; then
        requests=$(throng_requests "$out")
        rate=$(throng_rate "$out")
        local faults
        faults=$(throng_faults "$out")
        failures=$(throng_invalid "$out")
        [ -n "$faults" ] || { faults="?"; failures="?"; }
        [ "$faults" = none ] || note="faults: $faults (exit $(cat "$out.rc"))"
    else
        # "  123456 requests in 5.00s, 12.34MB read" / "Requests/sec:  24691.23"
        requests=$(awk '$2 == "requests" && $3 == "in" { print $1; exit }' "$out.out")
        rate=$(awk '$1 == "Requests/sec:" { print $2; exit }' "$out.out")
        failures=$(awk '$1 == "wrk_table:" && $2 == "checked" { print $5; exit }' "$out.out")
        local checked unanswered errs
        checked=$(awk '$1 == "wrk_table:" && $2 == "checked" { print $3; exit }' "$out.out")
        unanswered=$(awk '$1 == "wrk_table:" && $2 == "checked" { print $7; exit }' "$out.out")
        [ -n "$failures" ] || { failures="?"; note="no validation line from wrk_table.lua"; }
        if [ -n "$checked" ] && [ "$checked" != "$requests" ]; then
            note="$note checked $checked of $requests"
        fi
        if [ -n "$unanswered" ] && [ "$unanswered" -gt "$clients" ]; then
            note="$note $unanswered requests unanswered (more than $clients connections)"
        fi
        errs=$(grep -E 'Socket errors|Non-2xx' "$out.out" | tr -s ' ' | tr '\n' ';' || true)
        [ -z "$errs" ] || note="$note $errs"
        grep -q '^wrk_table: first failure' "$out.out" &&
            note="$note $(sed -n 's/^wrk_table: first failure: //p' "$out.out" | head -n 1)"
    fi
    [ "$(cat "$out.rc")" = 0 ] || [ "$name" = throng ] || note="$note exit $(cat "$out.rc")"
    echo "$name|${requests:-0}|${rate:-0}|$figures|$failures|$note"
}

header='| round | client | requests | req/s | client CPU s (user + sys) | client CPU µs/req | max RSS MB | nginx CPU µs/req | validation failures | notes |'
rule='|---|---|---:|---:|---:|---:|---:|---:|---:|---|'

echo "# bench_table: throng vs wrk, table persona (GET /Xy, x,y in 1..$big), validation on"
echo
print_setup "$rounds"
echo "- wrk: $("$wrk" --version 2>&1 | head -n 1 | sed 's/ Copyright.*//')"
echo "- throng: throng run -s 127.0.0.1:PORT -c $clients -t 1 --big-table $big --request-count 1000000 --slow-down 0 -d ${duration}s -q -- method=GET"
echo "- wrk: BIG_TABLE=$big wrk -t1 -c$clients -d${duration}s -s tests/bench/wrk_table.lua http://127.0.0.1:PORT"
echo

all="$tmp/results"
: >"$all"
for round in $(seq "$rounds"); do
    # Alternate who goes first, so drift on a noisy machine hits both.
    if [ $((round % 2)) = 1 ]; then order="throng wrk"; else order="wrk throng"; fi
    for name in $order; do
        "run_$name" "$tmp/r$round.$name"
    done
    echo "## round $round ($order)"
    echo
    echo "$header"
    echo "$rule"
    for name in throng wrk; do
        echo "$round|$(result_row "$name" "$tmp/r$round.$name")"
    done | tee -a "$all" | show_rows
    echo
done

# --- 4. summary -----------------------------------------------------------------

echo "## summary over $rounds rounds"
echo
awk -F'|' '
    # $1 round, $2 client, $3 requests, $4 req/s, $5 user s, $6 sys s,
    # $7 max RSS kB, $8 nginx CPU s, $9 validation failures
    { c = $2; n[c]++; req[c] += $3; rate[c] += $4; us[c] += $5; sy[c] += $6
      if ($7 > rss[c]) rss[c] = $7
      ng[c] += $8; if ($9 == "?") bad[c] = 1; else fail[c] += $9
      per[c, $1] = $3 > 0 ? ($5 + $6) / $3 : 0; r[c, $1] = $4; rounds[$1] = 1 }
    END {
        print "| client | requests | mean req/s | client CPU µs/req (user + sys) | max RSS MB | nginx CPU µs/req | validation failures |"
        print "|---|---:|---:|---:|---:|---:|---:|"
        for (i = 1; i <= 2; i++) {
            c = i == 1 ? "throng" : "wrk"
            q = req[c] > 0 ? 1e6 / req[c] : 0
            cu[c] = (us[c] + sy[c]) * q
            mr[c] = n[c] ? rate[c] / n[c] : 0
            printf "| %s | %d | %.0f | %.2f = %.2fu + %.2fs | %.1f | %.2f | %s |\n", c, req[c], mr[c],
                cu[c], us[c] * q, sy[c] * q, rss[c] / 1024, ng[c] * q, (bad[c] ? "?" : fail[c])
        }
        print ""
        lo = 1e9; hi = 0; rlo = 1e9; rhi = 0
        for (k in rounds) {
            if (per["wrk", k] > 0) { x = per["throng", k] / per["wrk", k]; if (x < lo) lo = x; if (x > hi) hi = x }
            if (r["wrk", k] > 0) { x = r["throng", k] / r["wrk", k]; if (x < rlo) rlo = x; if (x > rhi) rhi = x }
        }
        if (mr["wrk"] > 0 && cu["wrk"] > 0) {
            printf "- rate ratio throng/wrk: %.2f (per round %.2f..%.2f)\n", mr["throng"] / mr["wrk"], rlo, rhi
            printf "- CPU per request ratio throng/wrk: %.2f (per round %.2f..%.2f); below 1: throng spends less client CPU per validated request\n", cu["throng"] / cu["wrk"], lo, hi
        }
        print "- client CPU per request: user+sys CPU summed over the rounds / requests summed over the rounds (GNU time, 10 ms resolution); nginx CPU: its worker'"'"'s utime+stime from /proc while that client ran"
    }' "$all"
