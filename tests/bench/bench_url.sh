#!/usr/bin/env bash
# bench_url.sh - `throng run URL` against `wrk URL`: the same URL, the same
# connections, no script on either side, client CPU per request.
#
# Both clients load one nginx (1 worker, keepalive; tests/bench/
# table_target.sh) on 127.0.0.1 and ask for one static reply as fast as the
# server answers:
#   throng run -c N -d S -q http://127.0.0.1:PORT/Xy?x=4&y=3
#   wrk -t1 -cN -dSs http://127.0.0.1:PORT/Xy?x=4&y=3
# throng's URL mode uses its defaults (1 thread, one keep-alive connection
# per client, no think time, any status passes); wrk counts non-2xx apart.
# Rounds alternate which client goes first. For each run the bench records
# requests, requests/s, the client's user+sys CPU and max RSS (GNU time),
# and the CPU the nginx worker used meanwhile; it prints a Markdown table per
# round and a summary with the ratios throng/wrk.
#
# usage: tests/bench/bench_url.sh [-r ROUNDS] [-d SECONDS] [-c CONNECTIONS] [--keep]
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
big=4 # the replies table_target.sh writes: x, y in 1..4

parse_options bench_url "$@"
need_numbers bench_url "rounds, duration and clients" 1 "$rounds" "$duration" "$clients"

missing=()
wrk=${WRK:-$(command -v wrk || true)}
find_tools
[ -n "$wrk" ] && [ -x "$wrk" ] || missing+=("wrk (apt-get install wrk, or deps/install.sh all)")
command -v timeout >/dev/null || missing+=("timeout (coreutils)")
exit_if_missing bench_url

prog=bench_url
# shellcheck source=tests/bench/table_target.sh
. "$here/table_target.sh"
url="http://127.0.0.1:$port/Xy?x=4&y=3"

run_throng() { run_client throng "$1" "$throng" run -c "$clients" -d "${duration}s" -q "$url"; }
run_wrk() { run_client wrk "$1" "$wrk" -t1 -c"$clients" -d"${duration}s" "$url"; }

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
        failures=0
        [ "$faults" = none ] || { failures="?"; note="faults: ${faults:-?} (exit $(cat "$out.rc"))"; }
        grep -q "status     200 $requests" "$out.out" || note="$note not every status 200"
    else
        requests=$(awk '$2 == "requests" && $3 == "in" { print $1; exit }' "$out.out")
        rate=$(awk '$1 == "Requests/sec:" { print $2; exit }' "$out.out")
        failures=$(awk '$1 == "Non-2xx" { print $5; exit }' "$out.out")
        failures=${failures:-0}
        local errs
        errs=$(grep -E 'Socket errors' "$out.out" | tr -s ' ' || true)
        [ -z "$errs" ] || note="$note $errs"
        [ "$(cat "$out.rc")" = 0 ] || note="$note exit $(cat "$out.rc")"
    fi
    echo "$name|${requests:-0}|${rate:-0}|$figures|$failures|$note"
}

header='| round | client | requests | req/s | client CPU s (user + sys) | client CPU µs/req | max RSS MB | nginx CPU µs/req | non-200 / faults | notes |'
rule='|---|---|---:|---:|---:|---:|---:|---:|---:|---|'

echo "# bench_url: throng run URL vs wrk URL (one static reply, no script)"
echo
print_setup "$rounds"
echo "- wrk: $("$wrk" --version 2>&1 | head -n 1 | sed 's/ Copyright.*//')"
echo "- throng: throng run -c $clients -d ${duration}s -q 'http://127.0.0.1:PORT/Xy?x=4&y=3'"
echo "- wrk: wrk -t1 -c$clients -d${duration}s 'http://127.0.0.1:PORT/Xy?x=4&y=3'"
echo

all="$tmp/results"
: >"$all"
for round in $(seq "$rounds"); do
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

echo "## summary over $rounds rounds"
echo
awk -F'|' '
    { c = $2; n[c]++; req[c] += $3; rate[c] += $4; us[c] += $5; sy[c] += $6
      if ($7 > rss[c]) rss[c] = $7
      ng[c] += $8
      per[c, $1] = $3 > 0 ? ($5 + $6) / $3 : 0; r[c, $1] = $4; rounds[$1] = 1 }
    END {
        print "| client | requests | mean req/s | client CPU µs/req (user + sys) | max RSS MB | nginx CPU µs/req |"
        print "|---|---:|---:|---:|---:|---:|"
        for (i = 1; i <= 2; i++) {
            c = i == 1 ? "throng" : "wrk"
            q = req[c] > 0 ? 1e6 / req[c] : 0
            cu[c] = (us[c] + sy[c]) * q
            mr[c] = n[c] ? rate[c] / n[c] : 0
            printf "| %s | %d | %.0f | %.2f = %.2fu + %.2fs | %.1f | %.2f |\n", c, req[c], mr[c],
                cu[c], us[c] * q, sy[c] * q, rss[c] / 1024, ng[c] * q
        }
        print ""
        lo = 1e9; hi = 0; rlo = 1e9; rhi = 0
        for (k in rounds) {
            if (per["wrk", k] > 0) { x = per["throng", k] / per["wrk", k]; if (x < lo) lo = x; if (x > hi) hi = x }
            if (r["wrk", k] > 0) { x = r["throng", k] / r["wrk", k]; if (x < rlo) rlo = x; if (x > rhi) rhi = x }
        }
        if (mr["wrk"] > 0 && cu["wrk"] > 0) {
            printf "- rate ratio throng/wrk: %.2f (per round %.2f..%.2f)\n", mr["throng"] / mr["wrk"], rlo, rhi
            printf "- CPU per request ratio throng/wrk: %.2f (per round %.2f..%.2f); above 1: throng spends more client CPU per request\n", cu["throng"] / cu["wrk"], lo, hi
        }
        print "- client CPU per request: user+sys CPU summed over the rounds / requests summed over the rounds (GNU time, 10 ms resolution); nginx CPU: its worker'"'"'s utime+stime from /proc while that client ran"
    }' "$all"
