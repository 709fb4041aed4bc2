#!/bin/bash
# test_dashboard_prometheus.sh - a real Prometheus (Debian's package,
# started here on loopback, never as a service) scrapes a run's /metrics
# every second; its HTTP API must then give the run's request count as
# throng's JSON report does, and show that it scraped the run while it went.
. "$(dirname "$0")/lib.sh"

command -v prometheus >/dev/null || { echo "skip: no prometheus (deps/install.sh test)"; exit 77; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
DPORT=$(free_port)
PPORT=$(free_port)
cat >"$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: throng
    static_configs:
      - targets: ["127.0.0.1:$DPORT"]
YML
timeout 90 prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
    --web.listen-address="127.0.0.1:$PPORT" >"$WORK/prom.log" 2>&1 &
SERVER_PIDS="$SERVER_PIDS $!"
P="http://127.0.0.1:$PPORT"
for _ in $(seq 150); do
    curl -sf --max-time 1 "$P/-/ready" >/dev/null && break
    sleep 0.1
done
curl -sf --max-time 1 "$P/-/ready" >/dev/null || fail "prometheus did not start: $(tail -5 "$WORK/prom.log")"

start_server S
# The run lasts 6 s, then its final figures stay up 5 s: scrapes see it end.
run_throng "$WORK/run.out" run --server "$S_ADDR" --clients 4 --slow-down 20ms --duration 6s \
    --dashboard "127.0.0.1:$DPORT" --dashboard-linger 5s --json "$WORK/r.json" -q
expect_rc 0 "$WORK/run.out"
check_ledger "$WORK/r.json"

# The run's series are stale once it is gone: queries take their last values.
# query EXPR: the value of an instant query's first sample, or nothing.
query() {
    curl -sf --max-time 5 "$P/api/v1/query" --data-urlencode "query=$1" |
        python3 -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")'
}
python3 - "$WORK/r.json" >"$WORK/want" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(r["totals"]["requests"], r["totals"]["latency"]["count"])
PY
read -r WANT WANT_COUNT <"$WORK/want"
[ "$WANT" -gt 0 ] || fail "the run answered nothing"
GOT=$(query 'sum(last_over_time(throng_requests_total{job="throng"}[1m]))')
COUNT=$(query 'sum(last_over_time(throng_request_duration_seconds_count{job="throng"}[1m]))')
RUNNING=$(query 'max_over_time(throng_running{job="throng"}[1m])')
SCRAPES=$(query 'count_over_time(throng_running{job="throng"}[1m])')
echo "prometheus: requests $GOT (throng $WANT), latency count $COUNT (throng $WANT_COUNT), scrapes $SCRAPES"
[ "$GOT" = "$WANT" ] || fail "prometheus counts $GOT requests, throng's report $WANT"
[ "$COUNT" = "$WANT_COUNT" ] || fail "prometheus' latency count $COUNT, throng's $WANT_COUNT"
[ "$RUNNING" = 1 ] || fail "prometheus never scraped the run while it went"
[ "${SCRAPES:-0}" -ge 3 ] || fail "only ${SCRAPES:-0} scrapes in 11 s at one a second"
# The histogram is usable as Prometheus histograms are.
P50=$(query 'histogram_quantile(0.5, sum by (le) (last_over_time(throng_request_duration_seconds_bucket{job="throng"}[1m])))')
python3 -c "import sys; v = float('$P50'); sys.exit(0 if 0 < v <= 0.1 else 1)" ||
    fail "histogram_quantile gives '$P50'"
# Every query of examples/grafana/throng.json is one Prometheus accepts and
# answers for this run.
python3 - "$THRONG_SOURCE/examples/grafana/throng.json" "$P" <<'PY' || fail "examples/grafana/throng.json"
import json, sys, urllib.parse, urllib.request
dash, base = json.load(open(sys.argv[1])), sys.argv[2]
n = 0
for panel in dash["panels"]:
    for t in panel["targets"]:
        q = (t["expr"].replace("$__rate_interval", "30s").replace("$job", ".*")
             .replace("$group", ".*"))
        # The run is over: look at the minute it ran in.
        url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": "max_over_time((%s)[2m:1s])" % q})
        r = json.load(urllib.request.urlopen(url, timeout=10))
        assert r["status"] == "success", (panel["title"], q, r)
        if r["data"]["result"]:
            n += 1
        else:
            print("no data for %r: %s" % (panel["title"], q), file=sys.stderr)
assert n >= 6, "%d queries with data" % n
print("grafana: %d queries answered" % n)
PY
echo "ok"
