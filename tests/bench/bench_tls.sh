#!/usr/bin/env bash
# bench_tls.sh - what a TLS request costs the client: throng against wrk on
# one nginx HTTPS listener (1 worker, a self-signed P-256 certificate made
# here with openssl, `return 200 "ok"`), same connections, same duration.
#
# Three shapes of load, each run by both clients:
#   keepalive  every connection carries request after request: the cost of
#              TLS records alone (throng: --request-count 1000000)
#   resumed    a new connection per request, its TLS session resumed
#              (throng: --request-count 1, resumption on, the default;
#              wrk: -H "Connection: close", which resumes as wrk does)
#   full       a new connection per request, a full handshake each time
#              (throng: --no-tls-resume; wrk as for "resumed")
# throng runs tests/bench/personas/get_ok.lua (GET /, expect 200) with
# --insecure (the certificate is self-signed; verification would add one
# signature check per full handshake on both sides alike). For each run the
# bench records requests, requests/s, the handshakes (throng's report) and
# the client's user+sys CPU (GNU time), and prints a Markdown table with
# the CPU per request and the ratio throng/wrk.
#
# usage: tests/bench/bench_tls.sh [-d SECONDS] [-c CONNECTIONS] [--keep]
# env:   DURATION (5), CLIENTS (20), THRONG, WRK, NGINX (paths), KEEP_TMP=1
# Not part of the test suite. Everything listens on and connects to 127.0.0.1.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
duration=${DURATION:-5}
clients=${CLIENTS:-20}
keep=${KEEP_TMP:-0}

usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
    case $1 in
        -d|--duration) duration=${2%s}; shift 2 ;;
        -c|--clients) clients=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "bench_tls: unknown argument '$1'" >&2; usage 2 >&2 ;;
    esac
done

throng=${THRONG:-$root/build/throng}
wrk=${WRK:-$(command -v wrk || true)}
nginx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
for tool in "$throng" "$wrk" "$nginx" /usr/bin/time "$(command -v openssl || true)"; do
    [ -n "$tool" ] && [ -x "$tool" ] || {
        echo "bench_tls: missing $tool (build throng; deps/install.sh all for wrk, nginx, time, openssl)" >&2
        exit 2
    }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench_tls.XXXXXX")
nginx_pid=""
cleanup() {
    [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null
    wait 2>/dev/null || true
    if [ "$keep" = 1 ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -subj /CN=127.0.0.1 \
    -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    ssl_session_cache shared:tls:10m;
    ssl_session_tickets on;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $tmp/cert.pem;
        ssl_certificate_key $tmp/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / { return 200 "ok\n"; }
    }
}
EOF
timeout $((duration * 8 + 120)) "$nginx" -c "$tmp/nginx.conf" -e "$tmp/error.log" &
nginx_pid=$!
for _ in $(seq 100); do
    curl -sk "https://127.0.0.1:$port/" >/dev/null 2>&1 && break
    sleep 0.05
done
curl -sk "https://127.0.0.1:$port/" | grep -q ok || { echo "bench_tls: nginx did not start" >&2; exit 1; }

# timed NAME CMD...: runs CMD under GNU time; NAME.out, NAME.cpu ("user sys").
timed() {
    local name=$1
    shift
    /usr/bin/time -f "%U %S" -o "$tmp/$name.cpu" timeout $((duration + 30)) "$@" \
        >"$tmp/$name.out" 2>&1 || true
}

# row SHAPE CLIENT REQUESTS RATE HANDSHAKES CPU_FILE
rows=()
row() {
    local cpu us
    cpu=$(awk '{ print $1 + $2 }' "$6")
    us=$(awk -v c="$cpu" -v n="$3" 'BEGIN { printf "%.1f", (n > 0 ? c * 1e6 / n : 0) }')
    rows+=("$1|$2|$3|$4|$5|$cpu|$us")
}

url="https://127.0.0.1:$port"
for shape in keepalive resumed full; do
    case $shape in
        keepalive) tflags=(--request-count 1000000); wflags=() ;;
        resumed) tflags=(--request-count 1); wflags=(-H "Connection: close") ;;
        full) tflags=(--request-count 1 --no-tls-resume); wflags=(-H "Connection: close") ;;
    esac
    timed "throng_$shape" "$throng" run "$here/personas/get_ok.lua" -s "$url" --insecure \
        -c "$clients" -d "${duration}s" --slow-down 0 -q --json "$tmp/throng_$shape.json" \
        "${tflags[@]}"
    read -r req rate hs res < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1])); g = r["groups"][0]
print(r["totals"]["requests"], "%.0f" % r["totals"]["rate"], g["tls_handshakes"], g["tls_resumed"])
' "$tmp/throng_$shape.json")
    row "$shape" throng "$req" "$rate" "$hs ($res resumed)" "$tmp/throng_$shape.cpu"
    timed "wrk_$shape" "$wrk" -t1 -c"$clients" -d"${duration}s" "${wflags[@]}" "$url/"
    req=$(awk '$2 == "requests" && $3 == "in" { print $1; exit }' "$tmp/wrk_$shape.out")
    rate=$(awk '$1 == "Requests/sec:" { printf "%.0f", $2; exit }' "$tmp/wrk_$shape.out")
    row "$shape" wrk "${req:-0}" "${rate:-0}" "?" "$tmp/wrk_$shape.cpu"
done

echo "bench_tls: $clients connections, ${duration}s per run, nginx 1 worker, $(nproc) cores"
echo
echo "| load | client | requests | req/s | TLS handshakes | client CPU s | client CPU µs/req |"
echo "|---|---|---|---|---|---|---|"
for r in "${rows[@]}"; do
    IFS='|' read -r a b c d e f g <<<"$r"
    echo "| $a | $b | $c | $d | $e | $f | $g |"
done
echo
echo "| load | CPU per request, throng/wrk | req/s, throng/wrk |"
echo "|---|---|---|"
for shape in keepalive resumed full; do
    t="" w=""
    for r in "${rows[@]}"; do
        IFS='|' read -r a b c d e f g <<<"$r"
        [ "$a" = "$shape" ] || continue
        if [ "$b" = throng ]; then t="$g $d"; else w="$g $d"; fi
    done
    awk -v s="$shape" -v t="$t" -v w="$w" 'BEGIN {
        split(t, T, " "); split(w, W, " ");
        printf "| %s | %.2f | %.2f |\n", s, (W[1] > 0 ? T[1] / W[1] : 0), (W[2] > 0 ? T[2] / W[2] : 0) }'
done
