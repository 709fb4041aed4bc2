#!/bin/bash
# bench_memory.sh - client resident memory per connected, thinking client.
#
# Runs `throng run -s ADDR -c N --slow-down 60s -d 8s -q` against `throng
# serve` (one process, one worker thread) for N = 1,000 and N = 10,000,
# reads the client's VmRSS at 6 s, and prints both and
# (RSS@10,000 - RSS@1,000) / 9,000 in bytes: what one more connected,
# thinking client costs. Done for the table persona and for a small
# request-hook persona (personas/get_think.lua: a GET, then 60 s of think
# time). Issue 14's goal: at most 2 KB (2,048 bytes) for both.
#
# usage: tests/bench/bench_memory.sh [throng-binary]
# The exit status is 1 when a figure is over 2,048 bytes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/bench/lib.sh
. "$here/lib.sh"
THRONG=${1:-${THRONG:-$here/../../build/throng}}
[ -x "$THRONG" ] || { echo "bench_memory: no throng binary at $THRONG (build first)" >&2; exit 2; }
[ "$(ulimit -n)" -ge 10100 ] || ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
start_serve bench_memory "$THRONG" 600 "$work/serve.out"

# rss N PERSONA [ARGS...]: the client's VmRSS in kB at 6 s, and the
# connections it holds to the server then.
rss() {
    local n=$1
    shift
    timeout 60 "$THRONG" run "$@" -s "$addr" -c "$n" --slow-down 60s -d 8s -q >/dev/null 2>&1 &
    local waitfor=$!
    sleep 6
    local pid
    pid=$(pgrep -P "$waitfor" | head -1) # throng, under timeout
    local kb conns
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    conns=$(ls -l "/proc/$pid/fd" 2>/dev/null | grep -c socket || true)
    wait $waitfor || true
    echo "$kb $conns"
}

over=0
printf '%-22s %12s %12s %14s %14s\n' persona "RSS@1000 kB" "RSS@10000 kB" "sockets@10000" "bytes/client"
# The table persona twice: with its default one-request sessions (a client
# rests, unconnected, between them) and with long sessions, so that every
# client holds its connection while it thinks.
for p in table table:connected "$here/personas/get_think.lua"; do
    extra=()
    [ "$p" = table ] || extra=(--request-count 1000000)
    set -- $(rss 1000 "${p%:connected}" "${extra[@]}") $(rss 10000 "${p%:connected}" "${extra[@]}")
    per=$(( ($3 - $1) * 1024 / 9000 ))
    printf '%-22s %12s %12s %14s %14s\n' "$(basename "$p")" "$1" "$3" "$4" "$per"
    [ "$per" -le 2048 ] || over=1
done
exit $over
