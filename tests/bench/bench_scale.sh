#!/bin/bash
# bench_scale.sh - 100,000 clients from one machine against one nginx on
# loopback: how long they take to connect, what each costs the client in
# memory and in CPU while it thinks, and whether any faults; then as many
# connect-request-close sessions at a rate (the open model).
#
# usage: tests/bench/bench_scale.sh [--keep]
#   CLIENTS (100000)     clients held connected, and sessions of phase 2
#   HOLD (30)            seconds they are held once all are connected
#   CONNECT_BUDGET (60)  seconds allowed for them all to connect
#   PROCESSES (auto)     throng's -p (auto: as many as its open-file limit needs)
#   SOURCES (auto)       --source range (auto: 127.0.0.2 on, enough addresses
#                        that each takes at most 60% of the local ports)
#   RATE (2000)          phase 2's sessions per second; it lasts CLIENTS / RATE s
#   THRONG               the binary (build-bench/throng, then build/throng)
#   NGINX                the nginx binary (nginx)
#
# Phase 1: `throng run table -s ADDR -c CLIENTS -p auto --source RANGE
# --request-count 1000000 --slow-down 120s --big-table 2 -- method=GET`:
# each client connects, asks once (GET /Xy, a table checked row by row)
# and thinks for 90-150 s on its open connection. The script counts nginx's
# established connections (ss) until all CLIENTS are there, waits 2 s, then
# reads throng's processes (the parent and its worker processes) from
# /proc: VmRSS summed, and utime+stime over the next HOLD seconds, the CPU
# the idle clients cost. The run ends by itself HOLD + 5 s after that.
# From the JSON report: connections, faults, the connect times, and the
# second of the run in which the last first answer came (time to connect
# all: each client's first request goes out as it connects).
#
# Phase 2: `throng run table ... --rate RATE --request-count 1 -d
# CLIENTS/RATE s`: every arrival is a session of its own (connect, one
# exchange, close). From the report: sessions, faults, dropped arrivals,
# latency (from each arrival's intended time) and connect times; client CPU
# from GNU time.
#
# nginx: enough worker processes (each has its own open-file limit, this
# shell's hard limit, and takes about 1/N of the connections through
# reuseport) with worker_connections to match, a backlog of somaxconn, on
# a free port of 127.0.0.1, serving the four table replies of x, y in 1..2
# from a temp dir that also holds its pid, logs and config. The script
# prints the kernel settings that bound such a run and changes none of
# them. Everything is on loopback; every process runs under `timeout`, and
# on exit, Ctrl-C or SIGTERM the script stops what it started, by pid.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/bench/lib.sh
. "$here/lib.sh"
CLIENTS=${CLIENTS:-100000}
HOLD=${HOLD:-30}
CONNECT_BUDGET=${CONNECT_BUDGET:-60}
PROCESSES=${PROCESSES:-auto}
SOURCES=${SOURCES:-auto}
RATE=${RATE:-2000}
NGINX=${NGINX:-nginx}
keep=0
[ "${1:-}" = --keep ] && keep=1
THRONG=$(find_throng)
[ -x "$THRONG" ] || { echo "bench_scale: no throng binary (build it first: see README.md)" >&2; exit 2; }
command -v "$NGINX" >/dev/null || { echo "bench_scale: nginx is missing (deps/install.sh bench)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench_scale: GNU time is missing (deps/install.sh bench)" >&2; exit 2; }
command -v ss >/dev/null || { echo "bench_scale: ss (iproute2) is missing" >&2; exit 2; }

tmp=$(mktemp -d /tmp/bench_scale.XXXXXX)
nginx_pid=
client_pid=
cleanup() {
    # A client runs under `timeout` (its pid here), which passes the
    # signal on to throng; throng stops its own worker processes.
    [ -n "$client_pid" ] && kill -TERM "$client_pid" 2>/dev/null && wait "$client_pid" 2>/dev/null
    [ -n "$nginx_pid" ] && kill -TERM "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
    if [ "$keep" = 1 ]; then echo "bench_scale: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'echo "bench_scale: interrupted" >&2; exit 130' INT TERM

# --- the limits that bound the run (read, never changed) ----------------------

read -r port_lo port_hi </proc/sys/net/ipv4/ip_local_port_range
ports=$((port_hi - port_lo + 1))
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] && hard=$(cat /proc/sys/fs/nr_open)
somaxconn=$(cat /proc/sys/net/core/somaxconn)
echo "bench_scale: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r), $THRONG ($(git -C "$root" rev-parse --short HEAD 2>/dev/null))"
echo "  ip_local_port_range $port_lo-$port_hi ($ports ports per source and destination)," \
    "open files: soft $(ulimit -Sn), hard $hard per process, fs.nr_open $(cat /proc/sys/fs/nr_open)," \
    "fs.file-max $(cat /proc/sys/fs/file-max), in use $(cut -f1 /proc/sys/fs/file-nr)"
echo "  somaxconn $somaxconn, tcp_max_syn_backlog $(cat /proc/sys/net/ipv4/tcp_max_syn_backlog)," \
    "tcp_tw_reuse $(cat /proc/sys/net/ipv4/tcp_tw_reuse), TIME_WAIT now $(ss -Htan state time-wait | wc -l)," \
    "memory available $(awk '/MemAvailable/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo)"
# Each process needs a descriptor per client and a few more (nginx: its
# listener, logs, the master's channel).
per=$((hard - 100))
[ "$per" -gt 1000 ] || { echo "bench_scale: a hard open-file limit of $hard is too low (ulimit -Hn)" >&2; exit 2; }
need=$(( (CLIENTS * 115 / 100 + per - 1) / per ))   # reuseport's spread is uneven: 15% spare
workers=$(( need > 2 ? need : 2 ))
if [ "$SOURCES" = auto ]; then
    n=$(( (CLIENTS + ports * 6 / 10 - 1) / (ports * 6 / 10) ))
    [ "$n" -ge 2 ] || n=2
    [ "$n" -le 250 ] || { echo "bench_scale: $CLIENTS clients need more than 250 source addresses" >&2; exit 2; }
    SOURCES="127.0.0.2-127.0.0.$((n + 1))"
fi
if [ $((ports * 9 / 10)) -lt $((CLIENTS / workers)) ] && [ -z "$SOURCES" ]; then
    echo "bench_scale: warning: $CLIENTS clients on one source need more than the $ports local ports" >&2
fi

# --- nginx ---------------------------------------------------------------------

mkdir -p "$tmp/www/t/1" "$tmp/www/t/2" "$tmp/nginx"
for x in 1 2; do
    for y in 1 2; do
        row=$(printf '%s' "0.5"; [ "$x" = 2 ] && printf ',%s' "-1.25")
        rows="[$row]"; [ "$y" = 2 ] && rows="$rows,[$row]"
        printf '{"value":["vector<vector<float8>>",[%s],[]]}' "$rows" >"$tmp/www/t/$x/$y.json"
    done
done
chmod -R a+rX "$tmp"   # as root, nginx's workers run as nobody
temp_paths=$(nginx_temp_paths "$NGINX" "$tmp/nginx" "  ")
user_line=
[ "$(id -u)" = 0 ] && user_line="user nobody nogroup;"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/nginx.conf" <<EOF
# written by tests/bench/bench_scale.sh
$user_line
daemon off;
worker_processes $workers;
worker_rlimit_nofile $hard;
pid $tmp/nginx.pid;
lock_file $tmp/nginx.lock;
error_log $tmp/error.log error;
events { worker_connections $per; }
http {
  access_log off;
  types { }
  default_type application/json;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
$temp_paths
  server {
    listen 127.0.0.1:$port reuseport backlog=$somaxconn;
    root $tmp/www;
    location = /Xy { try_files /t/\$arg_x/\$arg_y.json =404; }
  }
}
EOF
"$NGINX" -c "$tmp/nginx.conf" -p "$tmp" &
nginx_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/Xy?x=2&y=2" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/Xy?x=2&y=2" >/dev/null || { echo "bench_scale: nginx did not start:" >&2; cat "$tmp/error.log" >&2; exit 1; }
echo "  nginx: $workers workers of $per connections each on 127.0.0.1:$port; throng: -p $PROCESSES, --source $SOURCES"
echo

# --- helpers ---------------------------------------------------------------------

# The pids of throng's processes: the one under `timeout` and its children.
throng_pids() {
    local top
    top=$(pgrep -P "$client_pid" -x throng | head -1)
    [ -n "$top" ] && echo "$top" $(pgrep -P "$top")
}
# utime+stime in clock ticks, summed over the pids given.
cpu_ticks() {
    local sum=0 p f
    for p in "$@"; do
        f=$(cut -d')' -f2 "/proc/$p/stat" 2>/dev/null) || continue
        set -- $f
        sum=$((sum + ${12} + ${13}))
    done
    echo "$sum"
}
rss_kb() {
    local p sum=0 v
    for p in "$@"; do
        v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) && sum=$((sum + ${v:-0}))
    done
    echo "$sum"
}
established() {
    ss -Htn state established "( sport = :$port )" | wc -l
}
hz=$(getconf CLK_TCK)

# --- phase 1: CLIENTS connected and thinking ---------------------------------------

# What throng's processes take without clients to speak of: the same run
# with one client a process, read 3 s in, so that the figure per client
# below is the clients' own (the issue's measure: RSS at many clients
# minus RSS at few).
procs=$("$THRONG" run table -s "127.0.0.1:$port" -c "$CLIENTS" -p "$PROCESSES" --source "$SOURCES" \
    --show-config -- method=GET 2>/dev/null | grep -o '[0-9]* processes of' | head -1 | cut -d' ' -f1)
case "$procs" in ''|*[!0-9]*) procs=$(( (CLIENTS + per - 1) / per )) ;; esac
timeout 60 "$THRONG" run table -s "127.0.0.1:$port" -c "$procs" -p "$procs" --source "$SOURCES" \
    --request-count 1000000 --slow-down 120s --big-table 2 -d 5s -q -- method=GET >/dev/null 2>&1 &
client_pid=$!
sleep 3
base_rss=$(rss_kb $(throng_pids))
wait "$client_pid"
client_pid=

duration=$((CONNECT_BUDGET + HOLD + 10))
timeout $((duration + 60)) "$THRONG" run table -s "127.0.0.1:$port" -c "$CLIENTS" -p "$PROCESSES" \
    --source "$SOURCES" --request-count 1000000 --slow-down 120s --big-table 2 -d "${duration}s" -q \
    --json "$tmp/hold.json" -- method=GET >"$tmp/hold.out" 2>"$tmp/hold.err" &
client_pid=$!
start=$(date +%s.%N)
connected_at= have=0
while kill -0 "$client_pid" 2>/dev/null; do
    have=$(established)
    now=$(date +%s.%N)
    if [ "$have" -ge "$CLIENTS" ]; then connected_at=$(echo "$now - $start" | bc); break; fi
    [ "$(echo "$now - $start > $CONNECT_BUDGET" | bc)" = 1 ] && break
    sleep 1
done
pids=$(throng_pids)
if [ -n "$connected_at" ] && [ -n "$pids" ]; then
    sleep 2
    pids=$(throng_pids)
    nproc_throng=$(echo $pids | wc -w)
    rss0=$(rss_kb $pids)
    cpu0=$(cpu_ticks $pids)
    t0=$(date +%s.%N)
    sleep "$HOLD"
    cpu1=$(cpu_ticks $pids)
    t1=$(date +%s.%N)
    rss1=$(rss_kb $pids)
    still=$(established)
    idle_cpu=$(echo "scale=4; ($cpu1 - $cpu0) / $hz / ($t1 - $t0)" | bc)
    echo "phase 1: $CLIENTS clients connected (nginx's count, polled each second) after ${connected_at} s;" \
        "$nproc_throng throng processes"
    echo "  RSS of throng's processes: $((rss0 / 1024)) MB after connecting, $((rss1 / 1024)) MB after ${HOLD} s idle:" \
        "$(echo "scale=0; $rss1 * 1024 / $CLIENTS" | bc) bytes per client, all of it;" \
        "$(echo "scale=0; ($rss1 - $base_rss) * 1024 / $CLIENTS" | bc) bytes per client over the" \
        "$((base_rss / 1024)) MB the same processes take with one client each"
    echo "  CPU of throng's processes while idle: $idle_cpu s per second (utime+stime over $(printf %.1f "$(echo "$t1 - $t0" | bc)") s);" \
        "still connected at its end: $still"
    # No need to wait out the rest of the run: stop it as Ctrl-C does
    # (the report is written as at the end).
    kill -INT "$(throng_pids | cut -d' ' -f1)" 2>/dev/null
else
    echo "phase 1: only $have of $CLIENTS clients connected within ${CONNECT_BUDGET} s"
fi
wait "$client_pid"   # 3: stopped, as asked
client_pid=
[ -s "$tmp/hold.json" ] || { echo "bench_scale: throng wrote no report:" >&2; tail -5 "$tmp/hold.err" >&2; exit 1; }
python3 - "$tmp/hold.json" "$CLIENTS" <<'PY'
import json, sys
r, n = json.load(open(sys.argv[1])), int(sys.argv[2])
t = r["totals"]
c = t["connect"]
ms = lambda s: "%.1f ms" % (s * 1000)
done, by = 0, "never"
for e in r["series"]:
    done += e["requests"]
    if done >= n:
        by = "second %d" % e["t"]
        break
faults = ", ".join("%s %d" % (k, v["count"]) for k, v in t["faults"].items()) or "none"
print("  report: %d connections, %d first answers (all of them in the run's %s), faults: %s;"
      % (sum(g["connects"] for g in r["groups"]), t["requests"], by, faults))
print("  connect p50 %s, p99 %s, max %s; first request latency p99 %s"
      % (ms(c["p50"]), ms(c["p99"]), ms(c["max"]), ms(t["latency"]["p99"])))
p = r.get("processes") or {}
print("  ledger: sent %d = answered %d + faulted %d + cancelled %d + in flight %d; ended: %s;"
      " worker processes: %d started, %d lost%s"
      % (t["sent"], t["requests"], t["faulted"], t["cancelled"], t["in_flight"], r["ending_text"],
         p.get("started", 0), p.get("lost", 0), " (%s)" % p["sample"] if p.get("lost") else ""))
PY
echo
sleep 3

# --- phase 2: CLIENTS connect-request-close sessions at RATE ------------------------

secs=$(( (CLIENTS + RATE - 1) / RATE ))
timeout $((secs + 60)) /usr/bin/time -o "$tmp/rate.time" -f '%U %S %M' "$THRONG" run table \
    -s "127.0.0.1:$port" --rate "$RATE" --request-count 1 -p "$PROCESSES" --source "$SOURCES" \
    --big-table 2 -d "${secs}s" -q --json "$tmp/rate.json" -- method=GET >"$tmp/rate.out" 2>"$tmp/rate.err" &
client_pid=$!
wait "$client_pid"
rc=$?
[ "$rc" = 0 ] || echo "  (throng's exit status: $rc)"
client_pid=
[ -s "$tmp/rate.json" ] || { echo "bench_scale: throng wrote no report:" >&2; tail -5 "$tmp/rate.err" >&2; exit 1; }
python3 - "$tmp/rate.json" "$RATE" "$secs" "$(cat "$tmp/rate.time")" <<'PY'
import json, sys
r, rate, secs = json.load(open(sys.argv[1])), float(sys.argv[2]), int(sys.argv[3])
u, s, rss = sys.argv[4].split()[-3:]
t = r["totals"]
c, l = t["connect"], t["latency"]
ms = lambda v: "%.1f ms" % (v * 1000)
faults = ", ".join("%s %d" % (k, v["count"]) for k, v in t["faults"].items()) or "none"
print("phase 2: --rate %g for %d s: %d arrivals, %d answered (%.0f/s), %d connections, %d dropped, faults: %s"
      % (rate, secs, t.get("arrivals", 0), t["requests"], t["rate"], sum(g["connects"] for g in r["groups"]),
         t.get("dropped", 0), faults))
print("  latency p50 %s, p99 %s, max %s (from each arrival's intended time); connect p50 %s, p99 %s"
      % (ms(l["p50"]), ms(l["p99"]), ms(l["max"]), ms(c["p50"]), ms(c["p99"])))
p = r.get("processes") or {}
print("  client CPU %.2f s (%.1f µs a session), max RSS of its largest process %s MB; ledger: sent %d = %d + %d + %d + %d;"
      " worker processes: %d started, %d lost"
      % (float(u) + float(s), (float(u) + float(s)) * 1e6 / max(t["requests"], 1), int(rss) // 1024,
         t["sent"], t["requests"], t["faulted"], t["cancelled"], t["in_flight"], p.get("started", 0), p.get("lost", 0)))
PY
grep -v '^$' "$tmp/error.log" | tail -3 | sed 's/^/  nginx: /'
exit 0
