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
#   usage [STATUS]         prints the script's header comment (its lines 2 up
#                          to `set -eu`) and exits STATUS (0)
#   parse_options PROG ARGS...
#                          reads the options the nginx benches share:
#                          -r/--rounds N, -d/--duration S[s], -c/--clients N
#                          (setting rounds, duration, clients), --keep (keep=1)
#                          and -h/--help; hands any other to the script's own
#                          extra_option ARGS... when it has one, which sets
#                          shifted to the words it used (0: not its own); an
#                          option no one knows: usage on stderr, exit 2
#   need_numbers PROG WHAT MIN VALUE...
#                          exits 2 saying that WHAT must be whole numbers (MIN
#                          1: positive ones) when a VALUE is not
#   set_window PROG        sets window, the seconds of a run that run_window
#                          (table_target.sh) measures: from warm to 1 s before
#                          the end of duration; exits 2 when duration is
#                          shorter than warm + 2
#   find_tools             sets nginx and throng (find_nginx, find_throng) and
#                          adds to `missing` which of them and GNU time are
#                          not there
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

usage() {
    sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit "${1:-0}"
}

parse_options() {
    local prog=$1
    shift
    while [ $# -gt 0 ]; do
        shifted=0
        case $1 in
            -r|--rounds) rounds=$2; shifted=2 ;;
            -d|--duration) duration=${2%s}; shifted=2 ;;
            -c|--clients) clients=$2; shifted=2 ;;
            --keep) keep=1; shifted=1 ;;
            -h|--help) usage 0 ;;
            *) if declare -F extra_option >/dev/null; then extra_option "$@"; fi ;;
        esac
        [ "$shifted" -gt 0 ] || { echo "$prog: unknown argument '$1'" >&2; usage 2 >&2; }
        shift "$shifted"
    done
}

need_numbers() {
    local prog=$1 what=$2 min=$3 v kind="whole numbers"
    shift 3
    [ "$min" = 0 ] || kind="positive whole numbers"
    for v; do
        case $v in
            ''|*[!0-9]*) ;;
            *) [ "$v" -ge "$min" ] && continue ;;
        esac
        echo "$prog: $what must be $kind" >&2
        exit 2
    done
}

set_window() {
    [ "$duration" -ge $((warm + 2)) ] || { echo "$1: the duration must be at least warm-up + 2 s" >&2; exit 2; }
    window=$((duration - warm - 1))
}

find_tools() {
    nginx=$(find_nginx)
    throng=$(find_throng)
    [ -n "$nginx" ] && [ -x "$nginx" ] || missing+=("nginx (apt-get install nginx-light, or deps/install.sh all)")
    [ -x /usr/bin/time ] || missing+=("GNU time at /usr/bin/time (apt-get install time)")
    [ -n "$throng" ] && [ -x "$throng" ] ||
        missing+=("the throng binary: set THRONG, or build it: cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release && cmake --build build-bench")
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
