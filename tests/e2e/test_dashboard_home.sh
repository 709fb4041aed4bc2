#!/bin/bash
# test_dashboard_home.sh - throng status --dashboard (issue 17, point 1, a
# home): two groups against `throng serve`, started in the background, and
# their home's dashboard read with curl: /snapshot.json and /metrics name
# both groups and their counts grow between two looks; --for ends the
# dashboard by itself; a second one's stop needs the page's token and
# stops the home (no supervisor left); SIGTERM ends it.
. "$(dirname "$0")/lib.sh"
H="$WORK/home"

start_server S
home() { timeout 60 "$THRONG" "$@" --home "$H"; }
cleanup_home() { timeout 30 "$THRONG" stop --home "$H" >/dev/null 2>&1; }
trap 'cleanup_home; cleanup' EXIT

home create >/dev/null || fail "create"
home add table alpha -s "$S_ADDR" -c 2 --slow-down 20ms --snapshot-every 1s >/dev/null || fail "add alpha"
home add table beta -s "$S_ADDR" -c 3 --slow-down 20ms --snapshot-every 1s >/dev/null || fail "add beta"
"$THRONG" status --help | grep -q -- '--dashboard \[ADDR\]' || fail "status --help does not show --dashboard"
home status --for 2s >"$WORK/bad.out" 2>&1 && fail "--for without --dashboard should refuse"
home start >/dev/null || fail "start"
# The 8 s of --for go to the figures: both groups have saved some first
# (a sanitizer build on a loaded machine takes a while to start them).
for _ in $(seq 300); do
    [ -s "$H/state/alpha.json" ] && [ -s "$H/state/beta.json" ] && break
    sleep 0.1
done
[ -s "$H/state/alpha.json" ] && [ -s "$H/state/beta.json" ] || fail "the groups saved no figures in 30 s"

timeout 30 "$THRONG" status --dashboard 127.0.0.1:0 --for 8s --home "$H" >"$WORK/dash.out" 2>"$WORK/dash.err" &
DASH=$!
D=""
for _ in $(seq 100); do
    D=$(sed -n 's|^dashboard on http://\([^/]*\)/$|\1|p' "$WORK/dash.out")
    [ -n "$D" ] && break
    sleep 0.05
done
[ -n "$D" ] || fail "no dashboard address: $(cat "$WORK/dash.out" "$WORK/dash.err")"
case "$D" in 127.0.0.1:*) ;; *) fail "the dashboard is not on loopback: $D" ;; esac

# snap FILE: /snapshot.json once both groups have counted requests.
snap() {
    local _
    for _ in $(seq 50); do
        curl -sf --max-time 5 "http://$D/snapshot.json" >"$1" || fail "GET /snapshot.json failed"
        python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); g = {x["name"]: x["requests"] for x in s.get("groups", [])}; sys.exit(not (g.get("alpha", 0) > 0 and g.get("beta", 0) > 0))' \
            "$1" && return 0
        sleep 0.1
    done
    fail "both groups never showed on /snapshot.json: $(head -c 2000 "$1")"
}
snap "$WORK/s1.json"
curl -sf --max-time 5 "http://$D/metrics" >"$WORK/m1.txt" || fail "GET /metrics failed"
sleep 2
snap "$WORK/s2.json"
curl -sf --max-time 5 "http://$D/metrics" >"$WORK/m2.txt" || fail "GET /metrics failed"
python3 - "$WORK/s1.json" "$WORK/s2.json" "$WORK/m1.txt" "$WORK/m2.txt" <<'PY' || fail "bad home figures"
import json, re, sys
s1, s2 = (json.load(open(p)) for p in sys.argv[1:3])
def metric(path):
    out = {}
    for line in open(path):
        m = re.match(r'throng_requests_total\{group="([^"]+)"[^}]*\} (\S+)', line)
        if m: out[m.group(1)] = out.get(m.group(1), 0) + float(m.group(2))
    return out
m1, m2 = metric(sys.argv[3]), metric(sys.argv[4])
g1 = {g["name"]: g["requests"] for g in s1["groups"]}
g2 = {g["name"]: g["requests"] for g in s2["groups"]}
print("snapshot", g1, g2, "metrics", m1, m2)
assert s2["state"] == "running" and s2["ending"] == "none", (s2["state"], s2["ending"])
assert set(g2) == {"alpha", "beta"}, g2
assert set(m2) == {"alpha", "beta"}, m2
for n in ("alpha", "beta"):
    assert g2[n] > g1[n], ("snapshot counts do not grow", n, g1, g2)
    assert m2[n] > m1[n], ("metrics counts do not grow", n, m1, m2)
# The merged run counts every group's requests.
assert s2["requests"] == g2["alpha"] + g2["beta"], (s2["requests"], g2)
PY

# --for ends it by itself (8 s after it started), the home still running.
wait "$DASH"
rc=$?
[ "$rc" = 0 ] || fail "status --dashboard exited $rc: $(cat "$WORK/dash.err")"
curl -s --max-time 2 "http://$D/snapshot.json" >/dev/null && fail "the dashboard still answers after --for"
home status >"$WORK/status.out"
grep -q "^not running" "$WORK/status.out" && fail "the home stopped with its dashboard"

# A second look, for its stop button: the stop needs the page's token;
# with it, the home stops.
timeout 60 "$THRONG" status --dashboard 127.0.0.1:0 --for 30s --home "$H" >"$WORK/dash.out" 2>"$WORK/dash.err" &
DASH=$!
D=""
for _ in $(seq 100); do
    D=$(sed -n 's|^dashboard on http://\([^/]*\)/$|\1|p' "$WORK/dash.out")
    [ -n "$D" ] && break
    sleep 0.05
done
[ -n "$D" ] || fail "no dashboard address: $(cat "$WORK/dash.out" "$WORK/dash.err")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://$D/stop")
[ "$code" = 403 ] || fail "a stop without the token answered $code"
TOKEN=$(curl -sf "http://$D/" | sed -n 's/.*var TOKEN = "\([0-9a-f]*\)".*/\1/p')
[ -n "$TOKEN" ] || fail "no token on the page"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "X-Throng-Token: $TOKEN" "http://$D/stop")
[ "$code" = 202 ] || fail "the stop answered $code"
for _ in $(seq 150); do
    grep -q '^stopped$' "$WORK/dash.out" && break
    sleep 0.1
done
grep -q '^stopped$' "$WORK/dash.out" || fail "the home did not stop: $(cat "$WORK/dash.out" "$WORK/dash.err")"
home status >"$WORK/status.out"
grep -q "^not running" "$WORK/status.out" || fail "the home still runs: $(cat "$WORK/status.out")"
for _ in $(seq 20); do
    curl -sf --max-time 5 "http://$D/snapshot.json" >"$WORK/s3.json" || fail "GET /snapshot.json after the stop"
    grep -q '"state":"ended"' "$WORK/s3.json" && break
    sleep 0.1
done
grep -q '"state":"ended"' "$WORK/s3.json" || fail "the dashboard does not say the home ended: $(head -c 500 "$WORK/s3.json")"

# SIGTERM ends it.
kill -TERM "$DASH"
wait "$DASH"
rc=$?
[ "$rc" = 0 ] || fail "status --dashboard exited $rc on SIGTERM: $(cat "$WORK/dash.err")"
echo "ok: $(head -1 "$WORK/dash.out"), groups alpha and beta"
