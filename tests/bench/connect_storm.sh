#!/bin/bash
# connect_storm.sh - a closed run of many clients with no ramp, against
# nginx: do they all connect, and how long does it take? throng's default
# spread (clients / 2000 s, at most 1 s) against a storm (--ramp-up 1ms:
# every client calls connect at once), each with every bound on connect
# attempts in flight per thread asked for (--max-connecting).
#
# usage: tests/bench/connect_storm.sh [CLIENTS [PROCESSES]]
#   CLIENTS (20000), PROCESSES (2: each process holds CLIENTS / PROCESSES
#   sockets, under the open-file limit), DURATION (8 s), MAX_CONNECTING
#   (the bounds to try, "default" for throng's own: "default"), MODES
#   ("spread storm"), THRONG (the binary: build-bench/throng, then
#   build/throng).
# Starts nginx (2 workers, reuseport, a backlog of 8192) on a free loopback
# port serving one small file, with everything it writes in a temp dir;
# each client is URL mode with one request every 10 s, so its first
# request is sent as it connects. Prints, per run: the TIME_WAIT sockets
# the machine had before (many make the kernel's search for a free local
# port slow), clients connected, not-connected faults, when the last
# client had its answer (the second of the run in which the report's
# per-second series reaches the clients), connect p50/p99/max, latency p99 and the client's
# user+sys CPU. Loopback only; stops what it started on exit.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/bench/lib.sh
. "$here/lib.sh"
CLIENTS=${1:-20000}
PROCESSES=${2:-2}
DURATION=${DURATION:-8}
MAX_CONNECTING=${MAX_CONNECTING:-default}
MODES=${MODES:-spread storm}
THRONG=$(find_throng)
[ -x "$THRONG" ] || { echo "connect_storm: no throng binary (build it first)" >&2; exit 2; }
command -v nginx >/dev/null || { echo "connect_storm: nginx is missing (deps/install.sh bench)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "connect_storm: GNU time is missing (deps/install.sh bench)" >&2; exit 2; }

tmp=$(mktemp -d /tmp/connect_storm.XXXXXX)
nginx_pid=
cleanup() {
    [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$tmp/www" "$tmp/logs"
echo hello >"$tmp/www/index.html"
cat >"$tmp/nginx.conf" <<CONF
daemon off;
worker_processes 2;
worker_rlimit_nofile 20000;
pid $tmp/nginx.pid;
error_log $tmp/logs/error.log crit;
events { worker_connections 19000; multi_accept on; }
http {
  access_log off;
  client_body_temp_path $tmp; proxy_temp_path $tmp; fastcgi_temp_path $tmp;
  uwsgi_temp_path $tmp; scgi_temp_path $tmp;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  server { listen 127.0.0.1:$port reuseport backlog=8192; location / { root $tmp/www; } }
}
CONF
nginx -c "$tmp/nginx.conf" -p "$tmp" &
nginx_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done

echo "connect_storm: $CLIENTS clients in $PROCESSES processes for ${DURATION}s against nginx (2 workers) on 127.0.0.1:$port ($THRONG, $(git -C "$root" rev-parse --short HEAD))"
echo
echo "| start | max-connecting | TIME_WAIT before | connected | not-connected | all answered in second | connect p50 | connect p99 | connect max | latency p99 | client CPU s |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for mode in $MODES; do
  for mc in $MAX_CONNECTING; do
    flags=()
    [ "$mode" = storm ] && flags+=(--ramp-up 1ms)
    [ "$mc" = default ] || flags+=(--max-connecting "$mc")
    tw=$(ss -tan state time-wait | tail -n +2 | wc -l)
    rm -f "$tmp/run.json"
    timeout $((DURATION + 60)) /usr/bin/time -o "$tmp/time" -f '%U %S' "$THRONG" run "http://127.0.0.1:$port/" \
        -c "$CLIENTS" -p "$PROCESSES" -d "${DURATION}s" --slow-down 10s "${flags[@]}" -q \
        --json "$tmp/run.json" >/dev/null 2>"$tmp/stderr"
    [ -s "$tmp/run.json" ] || { echo "| $mode | $mc | $tw | no report: $(tail -1 "$tmp/stderr") |"; continue; }
    python3 - "$tmp/run.json" "$mode" "$mc" "$tw" "$CLIENTS" "$(tail -1 "$tmp/time")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
mode, mc, tw, n, cpu = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6].split()
t = r["totals"]
c = t["connect"]
ms = lambda s: "%.1f ms" % (s * 1000)
nc = t["faults"].get("not-connected", {}).get("count", 0)
# Each client's first request goes out as it connects and the next only
# 10 s later: the series' running count of answers reaches the clients
# when the last of them has connected and been answered.
done, by = 0, "not all"
for e in r["series"]:
    done += e["requests"]
    if done >= n:
        by = "%d s" % e["t"]
        break
print("| %s | %s | %s | %d | %d | %s | %s | %s | %s | %s | %.2f |" % (mode, mc, tw,
      sum(g["connects"] for g in r["groups"]), nc, by, ms(c["p50"]), ms(c["p99"]), ms(c["max"]),
      ms(t["latency"]["p99"]), float(cpu[0]) + float(cpu[1])))
PY
    sleep 2
  done
done
