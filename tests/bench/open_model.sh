#!/bin/bash
# open_model.sh - open-model load generators at one rate against a server
# that stalls: throng's open model (when `throng run` has --rate) beside
# h2load (`--h1 --rps`) and Artillery (`phases: arrivalRate`).
#
# Each tool gets a fresh `throng serve --latency 2ms --pause-at 3s:2s
# --pause-from first-request` on a free loopback port, so the stall falls
# 3 s after the tool's first request however long the tool takes to start
# (Artillery takes seconds). For each the script records:
#   - the rate held, from the server's own count (GET /status `requests`,
#     read after the run; `held` says how many answers the stall held);
#   - the requests the tool says it completed, and its failures;
#   - the client's CPU (user + sys) and max RSS, from /usr/bin/time;
#   - the latency the tool reports: p50, p99 and max (h2load prints no
#     percentiles: they come from its --log-file, one line per request).
# A tool whose clients wait for their answers during the stall asks less,
# and its latency hides the stall (coordinated omission); a truly open one
# keeps the rate and its p99 shows the stall.
#
# usage: tests/bench/open_model.sh [-r RATE] [-d SECONDS] [--tools "throng h2load artillery"] [--keep]
#   RATE (200/s), DURATION (10 s), PAUSE (3s:2s), LATENCY (2ms),
#   H2LOAD_CLIENTS (20: h2load's --rps is per client, so each gets RATE/20),
#   THRONG (the binary: build-bench/throng, then build/throng).
#
# Needs h2load (Debian's nghttp2-client: deps/install.sh all) and GNU time;
# Artillery comes from npm and is installed on first use under
# tests/bench/.npm (git-ignored; about 600 MB), never globally; set
# ARTILLERY to use another. Everything runs on 127.0.0.1 and ends in
# bounded time; on exit or Ctrl-C the script stops what it started.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

RATE=${RATE:-200}
DURATION=${DURATION:-10}
PAUSE=${PAUSE:-3s:2s}
LATENCY=${LATENCY:-2ms}
H2LOAD_CLIENTS=${H2LOAD_CLIENTS:-20}
TOOLS=${TOOLS:-throng h2load artillery}
KEEP_TMP=${KEEP_TMP:-0}
TARGET_PATH='/Xy?x=4&y=3'

while [ $# -gt 0 ]; do
    case $1 in
    -r | --rate) RATE=$2; shift 2 ;;
    -d | --duration) DURATION=$2; shift 2 ;;
    --tools) TOOLS=$2; shift 2 ;;
    --keep) KEEP_TMP=1; shift ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "open_model: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

if [ -z "${THRONG:-}" ]; then
    for t in "$root/build-bench/throng" "$root/build/throng"; do
        [ -x "$t" ] && THRONG=$t && break
    done
fi
[ -x "${THRONG:-}" ] || { echo "open_model: no throng binary (build first, or set THRONG)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "open_model: GNU time is needed (deps/install.sh all)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "open_model: python3 is needed" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/open_model.XXXXXX")
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null
    wait 2>/dev/null
    if [ "$KEEP_TMP" = 1 ]; then echo "open_model: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ server

# Starts a fresh stalling server; sets ADDR (host:port) and server (the pid
# of its timeout, which passes SIGINT on).
start_server() {
    timeout $((DURATION + 120)) "$THRONG" serve --listen 127.0.0.1:0 --latency "$LATENCY" \
        --pause-at "$PAUSE" --pause-from first-request >"$work/serve.out" 2>"$work/serve.err" &
    server=$!
    ADDR=""
    for _ in $(seq 100); do
        ADDR=$(sed -n 's/^throng serve: listening on //p' "$work/serve.out")
        [ -n "$ADDR" ] && return 0
        sleep 0.05
    done
    echo "open_model: throng serve did not start: $(cat "$work/serve.err")" >&2
    exit 1
}

# Reads the server's counters, then stops it; sets SERVED and HELD.
stop_server() {
    local status
    status=$(curl -s --max-time 5 "http://$ADDR/status")
    SERVED=$(echo "$status" | sed -n 's/.*"requests":\([0-9]*\).*/\1/p')
    HELD=$(echo "$status" | sed -n 's/.*"held":\([0-9]*\).*/\1/p')
    kill -INT "$server" 2>/dev/null
    wait "$server" 2>/dev/null
    server=""
}

# ------------------------------------------------------------------- tools
# Each run_TOOL runs the tool at RATE for DURATION against $ADDR under GNU
# time ($work/TOOL.time: "user sys maxrss_kb") and writes
# $work/TOOL.result: "requests failures p50_s p99_s max_s", or returns 1
# with the reason in $work/TOOL.skip.

# ---- throng: the slot for throng's open model. It is written as `throng
# run --rate` is expected to work (the JSON report's totals.latency, from
# the intended start times, and totals.service, from the actual sends);
# until `throng run --help` lists --rate, it is skipped and the peers run.
run_throng() {
    if ! "$THRONG" run --help 2>/dev/null | grep -q -- '--rate'; then
        echo "throng run has no --rate yet (open model not built)" >"$work/throng.skip"
        return 1
    fi
    /usr/bin/time -f '%U %S %M' -o "$work/throng.time" \
        timeout $((DURATION + 60)) "$THRONG" run "http://$ADDR$TARGET_PATH" --rate "$RATE" \
        -d "${DURATION}s" --json "$work/throng.json" -q >"$work/throng.out" 2>&1
    python3 - "$work/throng.json" >"$work/throng.result" <<'EOF' || return 1
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
def pcts(h):
    # totals.latency may carry its percentiles flat (p50, p99) or in a
    # "percentiles" object keyed by the percentile.
    p = h.get("percentiles") or {}
    get = lambda k, flat: p.get(k, p.get(float(k), h.get(flat, 0)))
    return get("50", "p50"), get("99", "p99"), h.get("max", 0)
p50, p99, mx = pcts(t["latency"])
line = "%d %d %.6f %.6f %.6f" % (t["requests"], t.get("failures", 0), p50, p99, mx)
if "service" in t:
    s50, s99, smx = pcts(t["service"])
    line += " service %.6f %.6f %.6f" % (s50, s99, smx)
if "dropped" in t:
    line += " dropped %d" % t["dropped"]
print(line)
EOF
}

# ---- h2load: --rps is per client, so H2LOAD_CLIENTS connections each at
# RATE/H2LOAD_CLIENTS. Over HTTP/1.1 a connection has one request in flight
# (-m 1, its default): a connection whose answer is held cannot send.
run_h2load() {
    if ! command -v h2load >/dev/null; then
        echo "h2load is not installed (Debian package nghttp2-client: deps/install.sh all)" \
            >"$work/h2load.skip"
        return 1
    fi
    local rps
    rps=$(awk -v r="$RATE" -v c="$H2LOAD_CLIENTS" 'BEGIN { printf "%g", r / c }')
    /usr/bin/time -f '%U %S %M' -o "$work/h2load.time" \
        timeout $((DURATION + 60)) h2load --h1 -t 1 -c "$H2LOAD_CLIENTS" --rps "$rps" \
        -D "$DURATION" --log-file "$work/h2load.log" "http://$ADDR$TARGET_PATH" \
        >"$work/h2load.out" 2>&1
    python3 - "$work/h2load.log" "$work/h2load.out" >"$work/h2load.result" <<'EOF' || return 1
import re, sys
lat = sorted(int(l.split("\t")[2]) / 1e6 for l in open(sys.argv[1]) if l.strip())
out = open(sys.argv[2]).read()
m = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed", out)
ok, failed = (int(m.group(1)), int(m.group(2))) if m else (len(lat), 0)
rank = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else 0
print("%d %d %.6f %.6f %.6f" % (ok, failed, rank(0.50), rank(0.99), lat[-1] if lat else 0))
EOF
}

# ---- Artillery: one phase of arrivalRate RATE for DURATION; each arrival
# is a new virtual user sending one request on a new connection. Installed
# with npm under tests/bench/.npm on first use (Playwright's browser, which
# Artillery does not need for HTTP, is not downloaded).
artillery_bin() {
    if [ -n "${ARTILLERY:-}" ]; then
        echo "$ARTILLERY"
        return
    fi
    local bin="$here/.npm/node_modules/.bin/artillery"
    if [ ! -x "$bin" ] && command -v npm >/dev/null; then
        echo "open_model: installing Artillery 2 with npm into tests/bench/.npm" >&2
        mkdir -p "$here/.npm"
        (cd "$here/.npm" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 900 npm install --prefix . \
            --no-audit --no-fund --loglevel=error artillery@2 >&2)
    fi
    [ -x "$bin" ] && echo "$bin"
}

run_artillery() {
    local bin
    bin=$(artillery_bin)
    if [ -z "$bin" ]; then
        echo "Artillery is not installed and npm could not install it" >"$work/artillery.skip"
        return 1
    fi
    cat >"$work/artillery.yml" <<EOF
config:
  target: "http://$ADDR"
  phases:
    - duration: $DURATION
      arrivalRate: $RATE
  http:
    timeout: 30
scenarios:
  - flow:
      - get:
          url: "$TARGET_PATH"
EOF
    ARTILLERY_DISABLE_TELEMETRY=true /usr/bin/time -f '%U %S %M' -o "$work/artillery.time" \
        timeout $((DURATION + 90)) "$bin" run --quiet --output "$work/artillery.json" \
        "$work/artillery.yml" >"$work/artillery.out" 2>&1
    python3 - "$work/artillery.json" >"$work/artillery.result" <<'EOF' || return 1
import json, sys
a = json.load(open(sys.argv[1]))["aggregate"]
c, s = a["counters"], a["summaries"]["http.response_time"]
print("%d %d %.6f %.6f %.6f" % (c.get("http.responses", 0), c.get("vusers.failed", 0),
                                s["p50"] / 1e3, s["p99"] / 1e3, s["max"] / 1e3))
EOF
}

# ------------------------------------------------------------------ report

ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }

echo "open_model: rate $RATE/s for ${DURATION}s against throng serve --latency $LATENCY --pause-at $PAUSE --pause-from first-request ($THRONG, $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo
echo "| tool | requests (tool) | failures | server answered | server rate/s | held by the stall | client CPU s (user+sys) | max RSS MB | p50 ms | p99 ms | max ms |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for tool in $TOOLS; do
    start_server
    if "run_$tool"; then
        stop_server
        read -r req fail p50 p99 max extra <"$work/$tool.result"
        read -r user sys rss <"$work/$tool.time"
        printf '| %s | %s | %s | %s | %s | %s | %s = %su + %ss | %s | %s | %s | %s |\n' "$tool" \
            "$req" "$fail" "$SERVED" "$(awk -v n="$SERVED" -v d="$DURATION" 'BEGIN { printf "%.1f", n / d }')" \
            "$HELD" "$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')" "$user" "$sys" \
            "$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')" "$(ms "$p50")" "$(ms "$p99")" "$(ms "$max")"
        [ -n "${extra:-}" ] && echo "|  | $tool also reported: $extra |"
    else
        stop_server
        echo "| $tool | skipped: $(cat "$work/$tool.skip" 2>/dev/null || echo "it failed: see --keep") |"
    fi
done
