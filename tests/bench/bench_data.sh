#!/usr/bin/env bash
# bench_data.sh - what a data file costs in memory: the peak RSS of one
# throng process running CLIENTS clients (default 1000, 2 threads) that read
# a row of a 10 MB CSV per request, with the file loaded four ways
# (tests/bench/personas/data_rows.lua): none (the baseline), shared
# (throng.data.csv), state (parsed in Lua once per worker thread) and client
# (parsed in Lua by every client; run with PER_CLIENT clients, default 20,
# since a thousand copies would not fit: the cost per client is the figure).
# Each run: throng run data_rows.lua -s 127.0.0.1:PORT (throng serve) -t 2
# -n 3000 (200 for the per-client runs) --slow-down 0.2s --lua-memory 0
# --hook-timeout 0 (LuaJIT's compiler on), under GNU time for the peak RSS.
# A request limit, not a duration: the run's clock starts before the
# clients' init hooks, which take seconds when each parses the file.
#
# usage: tests/bench/bench_data.sh        env: THRONG, CLIENTS, PER_CLIENT, MB
# Not part of the test suite. Everything listens on and connects to 127.0.0.1.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/bench/lib.sh
. "$here/lib.sh"
root=$(cd "$here/../.." && pwd)
THRONG=${THRONG:-$root/build/throng}
CLIENTS=${CLIENTS:-1000}
PER_CLIENT=${PER_CLIENT:-20}
MB=${MB:-10}
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-data.XXXXXX")
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

python3 - "$work/data.csv" "$MB" <<'PY'
import sys
target = int(sys.argv[2]) << 20
with open(sys.argv[1], "w") as f:
    f.write("user,password,email,id\n")
    i, size = 0, 0
    while size < target:
        i += 1
        line = "user%07d,pw%09d,user%07d@example.com,%d\n" % (i, i * 7919 % 10**9, i, i)
        f.write(line)
        size += len(line)
PY
rows=$(($(wc -l <"$work/data.csv") - 1))
bytes=$(stat -c %s "$work/data.csv")

start_serve bench_data "$THRONG" 300 "$work/serve.out"

# run HOW CLIENTS REQUESTS: prints "HOW CLIENTS RSS_MB REQUESTS FAULTS"
run() {
    THRONG_BENCH_DATA="$work/data.csv" THRONG_BENCH_HOW=$1 /usr/bin/time -f %M -o "$work/rss" \
        "$THRONG" run "$here/personas/data_rows.lua" -s "$addr" -c "$2" -t 2 -n "$3" \
        --slow-down 0.2s --lua-memory 0 --hook-timeout 0 >"$work/$1.out" 2>&1 || true
    local kb req faults
    kb=$(tail -1 "$work/rss")
    req=$(sed -n 's/^  requests  *\([0-9]*\).*/\1/p' "$work/$1.out" | head -1)
    faults=$(sed -n 's/^  faults  *//p' "$work/$1.out" | head -1)
    printf '| %-7s | %6d | %9.1f | %8s | %s |\n' "$1" "$2" "$(echo "$kb / 1024" | bc -l)" \
        "${req:-?}" "${faults:-?}"
}

echo "data file: $bytes bytes, $rows rows; throng $("$THRONG" --version 2>/dev/null | head -1)"
echo
echo "| how     | clients | peak RSS MB | requests | faults |"
echo "|---------|--------:|------------:|---------:|--------|"

run none "$CLIENTS" 3000
run shared "$CLIENTS" 3000
run state "$CLIENTS" 3000
run none "$PER_CLIENT" 200
run client "$PER_CLIENT" 200
