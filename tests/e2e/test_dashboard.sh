#!/bin/bash
# test_dashboard.sh - throng run --dashboard (issue 17, points 1 and 2): a
# run against `throng serve` watched with curl: /snapshot.json, a few
# events of /events, /metrics in both formats, the refusals (405, 404, a
# stop without the page's token), then the stop through POST /stop with
# the token; the report must balance, end "stopped", and the metrics
# scraped after the end (--dashboard-linger) must count what it counts.
. "$(dirname "$0")/lib.sh"

start_server S
timeout 60 "$THRONG" run --server "$S_ADDR" --clients 4 --slow-down 50ms --duration 40s \
    --dashboard 127.0.0.1:0 --dashboard-linger 4s --json "$WORK/r.json" -q \
    >"$WORK/run.out" 2>"$WORK/run.err" &
RUN=$!
D=""
for _ in $(seq 100); do
    D=$(sed -n 's|.*dashboard on http://\([^/]*\)/$|\1|p' "$WORK/run.err")
    [ -n "$D" ] && break
    sleep 0.05
done
[ -n "$D" ] || fail "no dashboard address on stderr: $(cat "$WORK/run.err")"
case "$D" in 127.0.0.1:*) ;; *) fail "the dashboard is not on loopback: $D" ;; esac

# A default address: --dashboard alone takes 127.0.0.1:5665 (checked with --help's text only,
# so that a port in use on the machine cannot fail this test).
"$THRONG" run --help | grep -q -- '--dashboard \[ADDR\]' || fail "--help does not show --dashboard [ADDR]"
"$THRONG" run --help | grep -q '127.0.0.1:5665' || fail "--help does not name the default address"

# The snapshot once the run has settled its first second (a sanitizer
# build on a loaded machine takes a while to start).
for _ in $(seq 150); do
    curl -sf --max-time 5 "http://$D/snapshot.json" >"$WORK/snap.json" || fail "GET /snapshot.json failed"
    python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); sys.exit(not (s["second"] and s["second"]["t"] >= 1 and s["clients_active"] == 4))' \
        "$WORK/snap.json" && break
    sleep 0.1
done
python3 - "$WORK/snap.json" <<'PY' || fail "bad snapshot: $(cat "$WORK/snap.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["state"] == "running", s["state"]
assert s["requests"] > 0 and s["groups"][0]["name"] == "table", s
assert s["second"]["t"] >= 1 and s["clients_active"] == 4, s
assert s["sent"] == s["requests"] + s["faulted"] + s["cancelled"] + s["in_flight"], s
PY

# Many viewers at once: each gets its events; the snapshot counts them. The
# viewers stay 6 s; the snapshot is asked until it counts them all (a
# sanitizer build on a loaded machine may take a while to accept 20).
viewers=""
for i in $(seq 20); do
    timeout 6 curl -sN "http://$D/events" >"$WORK/viewer.$i" &
    viewers="$viewers $!"
done
wait_viewers=0
for _ in $(seq 40); do
    sleep 0.1
    curl -sf --max-time 5 "http://$D/snapshot.json" >"$WORK/snap_many.json" || fail "no snapshot with 20 viewers"
    wait_viewers=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["viewers"])' "$WORK/snap_many.json")
    [ "$wait_viewers" -ge 20 ] && break
done
[ "$wait_viewers" -ge 20 ] || fail "20 viewers open, the snapshot says $wait_viewers"

# A few events: one a second, each with a later second of the series.
# (Read while the 20 viewers are still there: they stay 6 s.)
timeout 3.5 curl -sN "http://$D/events" >"$WORK/events.txt"
python3 - "$WORK/events.txt" <<'PY' || fail "bad event stream: $(head -c 2000 "$WORK/events.txt")"
import json, sys
text = open(sys.argv[1]).read()
events = [b for b in text.split("\n\n") if b.startswith("event: second")]
assert len(events) >= 3, "%d events in 3.5 s" % len(events)
snaps = [json.loads(e.split("data: ", 1)[1]) for e in events]
# Each event carries the seconds settled since the one before: none missed.
ts = [p["t"] for s in snaps[1:] for p in s["seconds"]]
assert ts and all(b == a + 1 for a, b in zip(ts, ts[1:])), ts
assert ts[0] == snaps[0]["second"]["t"] + 1, (snaps[0]["second"], ts)
assert all(s["second"]["t"] == s["seconds"][-1]["t"] for s in snaps[1:])
PY

# shellcheck disable=SC2086
wait $viewers
for i in $(seq 20); do
    n=$(grep -c '^event: second' "$WORK/viewer.$i")
    [ "$n" -ge 2 ] || fail "viewer $i of 20 got $n events in 6 s"
done

# /metrics: Prometheus text, its histogram consistent.
curl -sf --max-time 5 -D "$WORK/m.head" "http://$D/metrics" >"$WORK/m.txt" || fail "GET /metrics failed"
grep -qi '^content-type: text/plain; version=0.0.4' "$WORK/m.head" || fail "metrics' type: $(cat "$WORK/m.head")"
python3 - "$WORK/m.txt" <<'PY' || fail "bad /metrics: $(cat "$WORK/m.txt")"
import re, sys
lines = [l for l in open(sys.argv[1]) if not l.startswith("#")]
def samples(name):
    return [(l.split(" ")[0], float(l.split(" ")[1])) for l in lines if l.startswith(name + "{")]
req = samples("throng_requests_total")
assert req and sum(v for _, v in req) > 0, req
assert 'status="200"' in req[0][0], req
buckets = samples("throng_request_duration_seconds_bucket")
les = [re.search(r'le="([^"]+)"', k).group(1) for k, _ in buckets]
assert les[0] == "0.0001" and "0.001" in les and "10" in les and les[-1] == "+Inf", les
counts = [v for _, v in buckets]
assert counts == sorted(counts), counts
count = samples("throng_request_duration_seconds_count")[0][1]
assert counts[-1] == count, (counts[-1], count)
assert samples("throng_clients_active")[0][1] == 4
assert any(l.startswith("throng_running 1") for l in lines)
PY
curl -sf --max-time 5 -H 'Accept: application/openmetrics-text; version=1.0.0' -D "$WORK/om.head" \
    "http://$D/metrics" >"$WORK/om.txt" || fail "GET /metrics (OpenMetrics) failed"
grep -qi '^content-type: application/openmetrics-text' "$WORK/om.head" ||
    fail "OpenMetrics' type: $(cat "$WORK/om.head")"
[ "$(tail -1 "$WORK/om.txt")" = "# EOF" ] || fail "OpenMetrics without # EOF"
grep -q '^# TYPE throng_requests counter$' "$WORK/om.txt" || fail "OpenMetrics counter family: $(cat "$WORK/om.txt")"

# Refusals.
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
[ "$(code -X POST "http://$D/")" = 405 ] || fail "POST / is not 405"
[ "$(code -X DELETE "http://$D/metrics")" = 405 ] || fail "DELETE /metrics is not 405"
c=$(code "http://$D/stop"); [ "$c" = 405 ] || fail "GET /stop is not 405: $c"
[ "$(code "http://$D/nothing")" = 404 ] || fail "GET /nothing is not 404"
[ "$(code -X POST "http://$D/stop")" = 403 ] || fail "a stop without the token is not refused"
[ "$(code -X POST -H 'X-Throng-Token: 0123' "http://$D/stop")" = 403 ] || fail "a wrong token is not refused"
kill -0 $RUN 2>/dev/null || fail "the run ended before the stop: $(cat "$WORK/run.err")"

# The page carries its token; POST /stop with it stops the run like SIGINT.
TOKEN=$(curl -sf --max-time 5 "http://$D/" | sed -n 's/.*var TOKEN = "\([0-9a-f]*\)".*/\1/p')
[ ${#TOKEN} = 32 ] || fail "no token in the page"
[ "$(code -X POST -H "X-Throng-Token: $TOKEN" "http://$D/stop")" = 202 ] || fail "the stop was not accepted"
for _ in $(seq 100); do [ -s "$WORK/r.json" ] && break; sleep 0.1; done
[ -s "$WORK/r.json" ] || fail "no report 10 s after the stop"
sleep 0.6 # the dashboard's next look at the engine (every 250 ms) sees the end
curl -sSf --max-time 5 "http://$D/metrics" >"$WORK/m_end.txt" 2>"$WORK/m_end.err" || fail "no /metrics while lingering: $(cat "$WORK/m_end.err") $(cat "$WORK/run.err")"
curl -sf --max-time 5 "http://$D/snapshot.json" >"$WORK/snap_end.json" || fail "no snapshot while lingering"
wait $RUN
RC=$?
[ $RC = 3 ] || fail "a stopped run exits 3, not $RC: $(cat "$WORK/run.err")"
check_ledger "$WORK/r.json"
python3 - "$WORK/r.json" "$WORK/m_end.txt" "$WORK/snap_end.json" <<'PY' || fail "the metrics do not count what the report does"
import json, re, sys
r = json.load(open(sys.argv[1]))
lines = [l for l in open(sys.argv[2]) if not l.startswith("#")]
s = json.load(open(sys.argv[3]))
assert r["ending"] == "stopped", r["ending"]
assert any(l.startswith("throng_running 0") for l in lines)
total = sum(float(l.split()[1]) for l in lines if l.startswith("throng_requests_total{"))
assert total == r["totals"]["requests"], (total, r["totals"]["requests"])
for g in r["groups"]:
    for n in g["names"]:
        for code, v in n["status"].items():
            key = 'throng_requests_total{group="%s",name="%s",status="%s"}' % (g["name"], n["name"], code)
            assert any(l.startswith(key + " ") and float(l.split()[1]) == v for l in lines), key
sent = sum(float(l.split()[1]) for l in lines if l.startswith("throng_sent_total{"))
assert sent == r["totals"]["sent"], (sent, r["totals"]["sent"])
cnt = sum(float(l.split()[1]) for l in lines if l.startswith("throng_request_duration_seconds_count{"))
assert cnt == r["totals"]["latency"]["count"], (cnt, r["totals"]["latency"]["count"])
assert s["state"] == "ended" and s["requests"] == r["totals"]["requests"], s
print("requests", total, "sent", sent)
PY
echo "ok"
