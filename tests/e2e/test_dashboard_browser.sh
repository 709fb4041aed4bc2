#!/bin/bash
# test_dashboard_browser.sh - the dashboard's page in a real browser:
# headless Chromium, driven over WebDriver (chromedriver, from Python's
# urllib), loads the page while a run goes on, waits for a few seconds of
# events, reads the figures from the page's DOM, presses the page's stop
# button (its confirm dialog accepted) and reads the final figures; they
# must be the JSON report's: the requests of a whole second shown live
# equal that second of the report's series, and after the stop the page's
# counts are the report's. Thresholds show live (one passing, one failing).
. "$(dirname "$0")/lib.sh"

CHROMIUM=$(command -v chromium || true)
DRIVER=$(command -v chromedriver || true)
[ -n "$CHROMIUM" ] && [ -n "$DRIVER" ] ||
    { echo "skip: no chromium or chromedriver (deps/install.sh test)"; exit 77; }

start_server S
timeout 90 "$THRONG" run --server "$S_ADDR" --clients 4 --slow-down 50ms --duration 60s \
    --threshold 'p99<2s' --threshold 'requests<5' \
    --dashboard 127.0.0.1:0 --dashboard-linger 3s --json "$WORK/r.json" -q \
    >"$WORK/run.out" 2>"$WORK/run.err" &
RUN=$!
D=""
for _ in $(seq 100); do
    D=$(sed -n 's|.*dashboard on http://\([^/]*\)/$|\1|p' "$WORK/run.err")
    [ -n "$D" ] && break
    sleep 0.05
done
[ -n "$D" ] || fail "no dashboard address on stderr: $(cat "$WORK/run.err")"

timeout 80 python3 - "$D" "$CHROMIUM" "$DRIVER" "$WORK/page.json" <<'PY' || fail "the page in Chromium"
import json, socket, subprocess, sys, time, urllib.request

addr, chromium, driver, out = sys.argv[1:5]
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
proc = subprocess.Popen([driver, "--port=%d" % port], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
base = "http://127.0.0.1:%d" % port

def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)["value"]

def until(what, check, seconds):
    end = time.time() + seconds
    while time.time() < end:
        v = check()
        if v:
            return v
        time.sleep(0.2)
    raise SystemExit("timed out waiting for " + what)

FIGURES = """
const t = id => document.getElementById(id).textContent;
const row = document.querySelector('#groups tr[data-group="table"]');
const th = {};
document.querySelectorAll('#thresholds tr[data-expression]').forEach(
    r => th[r.getAttribute('data-expression')] = r.lastChild.textContent);
const c = document.getElementById('chart-latency');
const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let ink = 0;
for (let i = 3; i < px.length; i += 4) if (px[i]) ink++;
return {state: t('state'), second: t('second'), rate: t('rate'), requests: t('requests'),
        failures: t('failures'), clients: t('clients'), p99: t('p99'),
        group_requests: row ? row.querySelector('.requests').textContent : null,
        thresholds: th, ink: ink};
"""

try:
    end = time.time() + 15
    while True:
        try:
            urllib.request.urlopen(base + "/status", timeout=2)
            break
        except Exception:
            if time.time() > end:
                raise SystemExit("chromedriver did not start")
            time.sleep(0.1)
    caps = {"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:loggingPrefs": {"browser": "ALL"},
        "goog:chromeOptions": {"binary": chromium,
                               "args": ["--headless", "--no-sandbox", "--disable-gpu",
                                        "--disable-dev-shm-usage", "--window-size=1200,900"]}}}}
    sid = call("POST", "/session", caps)["sessionId"]
    try:
        call("POST", "/session/%s/url" % sid, {"url": "http://%s/" % addr})
        fig = lambda: call("POST", "/session/%s/execute/sync" % sid, {"script": FIGURES, "args": []})
        live = until("three seconds of events",
                     lambda: (lambda f: f if f["second"] not in ("-", "") and int(f["second"]) >= 3
                              else None)(fig()), 20)
        assert live["state"] == "running", live
        assert int(live["requests"]) > 0 and live["clients"] == "4", live
        assert live["ink"] > 0, "the latency chart is blank"
        assert live["thresholds"] == {"p99<2s": "passing", "requests<5": "failing"}, live
        # The stop button: a confirm dialog, then POST /stop with the page's token.
        el = call("POST", "/session/%s/element" % sid, {"using": "css selector", "value": "#stop"})
        eid = list(el.values())[0]
        call("POST", "/session/%s/element/%s/click" % (sid, eid), {})
        time.sleep(0.3)
        call("POST", "/session/%s/alert/accept" % sid, {})
        final = until("the page to say the run ended",
                      lambda: (lambda f: f if f["state"] == "ended" else None)(fig()), 20)
        try:
            logs = call("POST", "/session/%s/se/log" % sid, {"type": "browser"})
        except Exception:
            logs = []
        errors = [l for l in logs if l.get("level") == "SEVERE"]
        assert not errors, errors
        json.dump({"live": live, "final": final}, open(out, "w"))
        print("page live:", live)
        print("page final:", final)
    finally:
        call("DELETE", "/session/%s" % sid)
finally:
    proc.terminate()
    proc.wait(timeout=10)
PY
wait $RUN
RC=$?
[ $RC = 3 ] || fail "the page's stop button should stop the run (exit 3), got $RC: $(cat "$WORK/run.err")"
check_ledger "$WORK/r.json"
python3 - "$WORK/r.json" "$WORK/page.json" <<'PY' || fail "the page's figures are not the report's"
import json, sys
r = json.load(open(sys.argv[1]))
p = json.load(open(sys.argv[2]))
live, final = p["live"], p["final"]
assert r["ending"] == "stopped", r["ending"]
second = int(live["second"])
series = {s["t"]: s for s in r["series"]}
assert int(live["rate"]) == series[second]["requests"], (live["rate"], series[second])
assert int(live["requests"]) <= r["totals"]["requests"]
assert int(final["requests"]) == r["totals"]["requests"], (final, r["totals"]["requests"])
assert int(final["failures"]) == r["totals"]["failures"], (final, r["totals"]["failures"])
assert int(final["group_requests"]) == r["groups"][0]["totals"]["requests"]
print("second %d: page %s, report %d; final requests page %s, report %d"
      % (second, live["rate"], series[second]["requests"], final["requests"], r["totals"]["requests"]))
PY
echo "ok"
