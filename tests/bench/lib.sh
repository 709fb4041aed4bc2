# shellcheck shell=bash
# lib.sh - sourced by the benchmarks of tests/bench for the set-up they
# share: finding the binaries, reporting what is missing, starting
# `throng serve`, and nginx's temp paths. Not a benchmark by itself.
#
#   find_throng            prints $THRONG when set, else the first executable
#                          of build-bench/throng and build/throng (nothing
#                          when there is none)
#   find_nginx             prints $NGINX when set, else nginx on PATH, else
#                          /usr/sbin/nginx when it is there
#   exit_if_missing PROG   when the array `missing` is not empty, lists it as
#                          PROG's missing prerequisites and exits 2
#   start_serve PROG THRONG SECONDS OUT
#                          starts `THRONG serve` on a free port of 127.0.0.1
#                          under `timeout SECONDS`, its output in OUT; sets
#                          server (the pid) and addr (127.0.0.1:PORT), or
#                          exits 1 when it has not said where it listens
#                          within 5 s
#   nginx_temp_paths NGINX DIR INDENT
#                          prints an nginx.conf line "INDENTkind_temp_path
#                          DIR/kind;" for every temp path NGINX was built
#                          with, so that it writes nothing outside DIR

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

find_throng() {
    local t
    if [ -n "${THRONG:-}" ]; then
        echo "$THRONG"
        return
    fi
    for t in "$bench_root/build-bench/throng" "$bench_root/build/throng"; do
        [ -x "$t" ] && { echo "$t"; return; }
    done
    return 0
}

find_nginx() {
    if [ -n "${NGINX:-}" ]; then
        echo "$NGINX"
    elif ! command -v nginx; then
        [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx
    fi
    return 0
}

exit_if_missing() {
    [ ${#missing[@]} -gt 0 ] || return 0
    echo "$1: missing prerequisites:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 2
}

start_serve() {
    local out=$4
    timeout "$3" "$2" serve --listen 127.0.0.1:0 >"$out" 2>&1 &
    server=$!
    addr=
    for _ in $(seq 100); do
        addr=$(sed -n 's/^throng serve: listening on //p' "$out")
        [ -n "$addr" ] && return 0
        sleep 0.05
    done
    echo "$1: throng serve did not start" >&2
    exit 1
}

nginx_temp_paths() {
    local kind
    for kind in $("$1" -V 2>&1 | grep -o 'http-[a-z-]*-temp-path' | sed 's/^http-//; s/-temp-path$//'); do
        echo "$3${kind//-/_}_temp_path $2/$kind;"
    done
}
