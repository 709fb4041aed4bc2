#!/usr/bin/env bash
# bench_personas.sh - the cost of user personas against the built-in table
# persona: the same work written three ways, on the same target, client CPU
# per request.
#
# The target is bench_table.sh's (table_target.sh): one nginx (1 worker,
# keepalive) on 127.0.0.1 serving static layer-cake table replies for every
# x, y in 1..10 at GET /Xy?x=X&y=Y. Three personas load it in turn, each
#   throng run [PERSONA] -s 127.0.0.1:PORT -c 50 -t 1 --big-table 10
#              --request-count 1000000 --slow-down 0 -d 5s -q
# and each asks for random sizes and checks y rows of x numbers:
#   builtin  the built-in table persona, `-- method=GET`
#   hooks    tests/bench/personas/table_hooks.lua (request style)
#   session  tests/bench/personas/table_session.lua (session style: one
#            coroutine per session, client:get + client:check per exchange)
# Rounds rotate which persona goes first. For each run it records requests,
# requests/s, the client's user+sys CPU and max RSS (GNU time), the nginx
# worker's CPU meanwhile, and the faults of throng's report; it prints a
# Markdown table per round and a summary with the ratios hooks/builtin and
# session/builtin of client CPU per request.
#
# With --callgrind DIR it profiles instead: each persona runs under
# valgrind --tool=callgrind (-c 10 -d 2s by default; valgrind is ~50x
# slower, only instruction counts matter), writing DIR/callgrind.out.NAME
# (and .base, a second run of -n CLIENTS*10 requests that gives the fixed
# cost of start-up and the end), DIR/NAME.inclusive, NAME.self and
# NAME.callers (callgrind_annotate), and prints instructions per request.
#
# usage: tests/bench/bench_personas.sh [-r ROUNDS] [-d SECONDS] [-c CONNECTIONS] [--keep] [--corrupt]
#        tests/bench/bench_personas.sh --callgrind DIR [-d SECONDS] [-c CONNECTIONS]
#   --keep     keep the temp dir (nginx conf, each run's output)
#   --corrupt  serve the 2x3 table for 3x2 requests: every persona's check
#              should then fault its clients out ("invalid")
# env:   ROUNDS (3), DURATION (5; 2 with --callgrind), CLIENTS (50; 10 with
#        --callgrind), THRONG (path to the binary), NGINX (path), KEEP_TMP=1,
#        PERSONAS ("builtin hooks session": which ones, in round-1 order)
# Not part of the test suite. Everything listens on and connects to 127.0.0.1.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/bench/lib.sh
. "$here/lib.sh"

rounds=${ROUNDS:-3}
duration=${DURATION:-}
clients=${CLIENTS:-}
keep=${KEEP_TMP:-0}
personas=${PERSONAS:-builtin hooks session}
profile_dir=
corrupt=0
big=10   # largest table side; the files and the personas agree on it

# The options of this bench alone (lib.sh's parse_options reads the rest).
extra_option() {
    case $1 in
        --corrupt) corrupt=1; shifted=1 ;;
        --callgrind) profile_dir=$2; shifted=2 ;;
    esac
}
parse_options bench_personas "$@"
if [ -n "$profile_dir" ]; then
    duration=${duration:-2}; clients=${clients:-10}
else
    duration=${duration:-5}; clients=${clients:-50}
fi
need_numbers bench_personas "rounds, duration and clients" 1 "$rounds" "$duration" "$clients"
for p in $personas; do
    case $p in builtin|hooks|session) ;; *) echo "bench_personas: unknown persona '$p' (builtin, hooks, session)" >&2; exit 2 ;; esac
done

# --- prerequisites ------------------------------------------------------------

missing=()
find_tools
command -v timeout >/dev/null || missing+=("timeout (coreutils)")
if [ -n "$profile_dir" ]; then
    command -v valgrind >/dev/null || missing+=("valgrind (apt-get install valgrind)")
    command -v callgrind_annotate >/dev/null || missing+=("callgrind_annotate (apt-get install valgrind)")
fi
for f in table_hooks.lua table_session.lua; do
    [ -f "$here/personas/$f" ] || missing+=("tests/bench/personas/$f")
done
exit_if_missing bench_personas

# --- the target: table replies, nginx, clean-up, run_client -------------------

prog=bench_personas
# shellcheck source=tests/bench/table_target.sh
. "$here/table_target.sh"

# The persona argument of `throng run` for each name, and what follows `--`.
persona_args() {
    case $1 in
        builtin) echo "table" ;;
        hooks) echo "$here/personas/table_hooks.lua" ;;
        session) echo "$here/personas/table_session.lua" ;;
    esac
}
persona_extra() { [ "$1" = builtin ] && echo "-- method=GET" || true; }

# The command line of one run, for the header.
throng_cmd() {
    # shellcheck disable=SC2046
    echo "$throng" run "$(persona_args "$1")" -s "127.0.0.1:$port" -c "$clients" -t 1 \
        --big-table "$big" --request-count 1000000 --slow-down 0 -d "${duration}s" -q \
        $(persona_extra "$1")
}

run_persona() {  # $1 = name, $2 = output prefix
    # shellcheck disable=SC2046
    run_client "$1" "$2" "$throng" run "$(persona_args "$1")" -s "127.0.0.1:$port" -c "$clients" \
        -t 1 --big-table "$big" --request-count 1000000 --slow-down 0 -d "${duration}s" -q \
        $(persona_extra "$1")
}

# --- profile mode ---------------------------------------------------------------

# Runs one persona under callgrind; $1 = name, $2 = output file, $3 = output
# prefix for throng's report; the rest are extra flags (-d or -n).
callgrind_run() {
    local name=$1 cg=$2 out=$3 rc=0
    shift 3
    rm -f "$cg"
    # valgrind starts slowly and runs ~50x slower: a generous cap.
    # shellcheck disable=SC2046
    timeout -k 5 $((duration * 10 + 120)) valgrind --tool=callgrind --callgrind-out-file="$cg" \
        "$throng" run "$(persona_args "$name")" -s "127.0.0.1:$port" -c "$clients" -t 1 \
        --big-table "$big" --request-count 1000000 --slow-down 0 -q "$@" \
        $(persona_extra "$name") >"$out.out" 2>"$out.err" &
    client_pid=$!
    wait "$client_pid" || rc=$?
    client_pid=
    echo "$rc" >"$out.rc"
}

# The total instructions of a callgrind output file.
callgrind_total() { awk '$1 == "summary:" || $1 == "totals:" { print $2; exit }' "$1" 2>/dev/null || true; }

if [ -n "$profile_dir" ]; then
    mkdir -p "$profile_dir"
    profile_dir=$(cd "$profile_dir" && pwd)
    base_n=$((clients * 10))
    echo "# bench_personas --callgrind: $clients clients, ${duration} s each, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), throng: $throng"
    echo "- each persona runs twice under valgrind --tool=callgrind: for ${duration} s, and for -n $base_n (start-up, a few requests, the end); Ir per request = (Ir of the long run - Ir of the short run) / (its requests - $base_n)"
    echo
    echo "| persona | requests | Ir | Ir of -n $base_n | Ir per request | faults |"
    echo "|---|---:|---:|---:|---:|---|"
    for name in $personas; do
        out="$tmp/cg.$name"
        cg="$profile_dir/callgrind.out.$name"
        callgrind_run "$name" "$cg.base" "$out.base" -n "$base_n"
        callgrind_run "$name" "$cg" "$out" -d "${duration}s"
        requests=$(throng_requests "$out")
        faults=$(throng_faults "$out")
        ir=$(callgrind_total "$cg")
        ir0=$(callgrind_total "$cg.base")
        callgrind_annotate --inclusive=yes "$cg" >"$profile_dir/$name.inclusive" 2>/dev/null || true
        callgrind_annotate "$cg" >"$profile_dir/$name.self" 2>/dev/null || true
        callgrind_annotate --tree=caller --inclusive=yes "$cg" >"$profile_dir/$name.callers" 2>/dev/null || true
        cp "$out.out" "$profile_dir/$name.report"
        awk -v n="$name" -v q="${requests:-0}" -v ir="${ir:-0}" -v ir0="${ir0:-0}" -v b="$base_n" \
            -v f="${faults:-?} (exit $(cat "$out.rc"))" \
            'BEGIN { printf "| %s | %d | %.0f | %.0f | %.0f | %s |\n", n, q, ir, ir0, (q > b ? (ir - ir0) / (q - b) : 0), f }'
    done
    echo
    echo "- in $profile_dir: callgrind.out.NAME (and .base, the short run), NAME.inclusive, NAME.self, NAME.callers (callgrind_annotate), NAME.report"
    exit 0
fi

# --- the load --------------------------------------------------------------------

# Prints the raw results of one run, fields separated by '|':
# persona|requests|req/s|user_s|sys_s|maxrss_kB|nginx_cpu_s|faults|notes
# where faults is the count of every fault kind (busy included).
result_row() {
    local name=$1 out=$2 requests rate faults count note
    run_figures "$out"
    note=$figures_note
    requests=$(throng_requests "$out")
    rate=$(throng_rate "$out")
    faults=$(throng_faults "$out")
    if [ -z "$faults" ]; then
        count="?"; note="$note no report (exit $(cat "$out.rc")): $(head -c 200 "$out.err" | tr '\n' ' ')"
    elif [ "$faults" = none ]; then
        count=0
    else
        count=$(echo "$faults" | tr ',' '\n' | awk '{ n += $2 } END { print n + 0 }')
        note="$note faults: $faults (exit $(cat "$out.rc"))"
    fi
    echo "$name|${requests:-0}|${rate:-0}|$figures|$count|$note"
}

header='| round | persona | requests | req/s | client CPU s (user + sys) | client CPU µs/req | max RSS MB | nginx CPU µs/req | faults | notes |'
rule='|---|---|---:|---:|---:|---:|---:|---:|---:|---|'

echo "# bench_personas: built-in table persona vs the same persona in Lua (GET /Xy, x,y in 1..$big)"
echo
print_setup "$rounds"
echo "- commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- engine lua 2>/dev/null || echo ' (engine/lua with local changes)')"
for name in $personas; do
    echo "- $name: $(throng_cmd "$name" | sed "s|$root/||g; s|127.0.0.1:$port|127.0.0.1:PORT|")"
done
echo

all="$tmp/results"
: >"$all"
set -- $personas
n=$#
for round in $(seq "$rounds"); do
    # Rotate who goes first, so drift on a noisy machine hits every persona.
    order=
    for i in $(seq 0 $((n - 1))); do
        k=$(( (i + round - 1) % n + 1 ))
        order="$order ${!k}"
    done
    order=${order# }
    for name in $order; do
        run_persona "$name" "$tmp/r$round.$name"
    done
    echo "## round $round ($order)"
    echo
    echo "$header"
    echo "$rule"
    for name in $personas; do
        echo "$round|$(result_row "$name" "$tmp/r$round.$name")"
    done | tee -a "$all" | show_rows
    echo
done

# --- summary ----------------------------------------------------------------------

echo "## summary over $rounds rounds"
echo
awk -F'|' -v list="$personas" '
    # $1 round, $2 persona, $3 requests, $4 req/s, $5 user s, $6 sys s,
    # $7 max RSS kB, $8 nginx CPU s, $9 faults
    { c = $2; n[c]++; req[c] += $3; rate[c] += $4; us[c] += $5; sy[c] += $6
      if ($7 > rss[c]) rss[c] = $7
      ng[c] += $8; if ($9 == "?") bad[c] = 1; else fail[c] += $9
      per[c, $1] = $3 > 0 ? ($5 + $6) / $3 : 0; r[c, $1] = $4; rounds[$1] = 1 }
    END {
        np = split(list, names, " ")
        print "| persona | requests | mean req/s | client CPU µs/req (user + sys) | max RSS MB | nginx CPU µs/req | faults |"
        print "|---|---:|---:|---:|---:|---:|---:|"
        for (i = 1; i <= np; i++) {
            c = names[i]
            q = req[c] > 0 ? 1e6 / req[c] : 0
            cu[c] = (us[c] + sy[c]) * q; uu[c] = us[c] * q
            mr[c] = n[c] ? rate[c] / n[c] : 0
            printf "| %s | %d | %.0f | %.2f = %.2fu + %.2fs | %.1f | %.2f | %s |\n", c, req[c], mr[c],
                cu[c], us[c] * q, sy[c] * q, rss[c] / 1024, ng[c] * q, (bad[c] ? "?" : fail[c])
        }
        print ""
        if (!(cu["builtin"] > 0)) exit
        for (i = 1; i <= np; i++) {
            c = names[i]
            if (c == "builtin") continue
            lo = 1e9; hi = 0; rlo = 1e9; rhi = 0
            for (k in rounds) {
                if (per["builtin", k] > 0) { x = per[c, k] / per["builtin", k]; if (x < lo) lo = x; if (x > hi) hi = x }
                if (r["builtin", k] > 0) { x = r[c, k] / r["builtin", k]; if (x < rlo) rlo = x; if (x > rhi) rhi = x }
            }
            printf "- %s/builtin: client CPU per request %.2f (per round %.2f..%.2f), user CPU per request %.2f, req/s %.2f (per round %.2f..%.2f)\n",
                c, cu[c] / cu["builtin"], lo, hi, (uu["builtin"] > 0 ? uu[c] / uu["builtin"] : 0),
                mr[c] / mr["builtin"], rlo, rhi
        }
        print "- client CPU per request: user+sys CPU summed over the rounds / requests summed over the rounds (GNU time, 10 ms resolution); nginx CPU: its worker'"'"'s utime+stime from /proc while that persona ran"
    }' "$all"
