# Timed-out requests stay in the latency percentiles: against a server
# taking 300 ms, with a 100 ms timeout, every request times out and the
# latency histogram holds each at about 100 ms, beside its timed-out count;
# the text report says so; merged reports keep the counts exact.
. "$(dirname "$0")/lib.sh"

start_server SLOW --latency 300ms
run_throng "$WORK/slow.out" run -s "$SLOW_ADDR" -c 4 -d 1.5s --timeout 100ms --slow-down 0.02 \
    --json "$WORK/slow.json"
[ "$RC" = 1 ] || fail "timeouts are failures (exit 1), got $RC: $(cat "$WORK/slow.out")"
check_ledger "$WORK/slow.json"
python3 - "$WORK/slow.json" <<'PY' || fail "timed-out requests are not in the latency histogram: $(cat "$WORK/slow.out")"
import json, sys
d = json.load(open(sys.argv[1]))
for where, t in [("totals", d["totals"])] + [("group", g["totals"]) for g in d["groups"]]:
    out = t["faults"].get("timed-out", {}).get("count", 0)
    lat, svc = t["latency"], t["service"]
    assert out >= 20, (where, out)
    assert lat["count"] == t["requests"] + out, (where, lat["count"], t["requests"], out)
    assert svc["count"] == lat["count"], (where, svc["count"])
    # at the timeout: the timer fires on the loop's millisecond clock
    assert 0.095 <= lat["min"] and lat["max"] < 0.2 and 0.095 <= lat["p99"] < 0.2, (where, lat)
    assert sum(b[2] for b in lat["buckets"]) == lat["count"], where
    assert "corrected" not in t and t["expected_interval"] == 0
    assert t["arrivals"] == 0 and t["dropped"] == 0
name = d["groups"][0]["names"][0]
assert name["latency"]["count"] == name["requests"] + name["faults"]["timed-out"]["count"]
assert d["groups"][0]["load"]["model"] == "closed"
series = d["series"]
assert sum(p["failures"] for p in series) > 0 and any(p["p99"] >= 0.095 for p in series), series
assert all(k in p for p in series for k in ("target", "achieved", "active", "arrivals", "dropped"))
PY
expect_grep "timed-out requests included at the time they waited" "$WORK/slow.out"

# Two reports side by side: counts and buckets add.
cp "$WORK/slow.json" "$WORK/again.json"
run_throng "$WORK/merged.out" report "$WORK/slow.json" "$WORK/again.json" --json "$WORK/merged.json"
[ "$RC" = 0 ] || fail "merging failed: $(cat "$WORK/merged.out")"
check_ledger "$WORK/merged.json"
python3 - "$WORK/slow.json" "$WORK/merged.json" <<'PY' || fail "the merge lost timed-out latencies"
import json, sys
a, m = (json.load(open(f)) for f in sys.argv[1:3])
for k in ("latency", "service"):
    assert m["totals"][k]["count"] == 2 * a["totals"][k]["count"], k
assert m["groups"][0]["totals"]["latency"]["count"] == 2 * a["groups"][0]["totals"]["latency"]["count"]
PY
expect_grep "timed-out requests included" "$WORK/merged.out"

# A report of the open model (its fields written in): the text shows the
# service time, corrected and arrivals; the HTML the load chart.
python3 - "$WORK/slow.json" "$WORK/open.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for t in [d["totals"]] + [g["totals"] for g in d["groups"]]:
    t["arrivals"], t["dropped"] = 100, 3
    t["service"] = dict(t["latency"], p50=t["latency"]["p50"] / 2, mean=t["latency"]["mean"] / 2)
    t["corrected"], t["expected_interval"] = dict(t["latency"]), 0.01
d["groups"][0]["load"].update(model="open", rate=50, stages=[{"duration": 1, "target": 50}],
                              stages_rate=True)
for p in d["series"]:
    p.update(target=50, achieved=48, arrivals=50, dropped=2)
json.dump(d, open(sys.argv[2], "w"))
PY
run_throng "$WORK/open.out" report "$WORK/open.json" "$WORK/open.json" --html "$WORK/open.html" \
    --json "$WORK/open2.json"
[ "$RC" = 0 ] || fail "the open report did not render: $(cat "$WORK/open.out")"
expect_grep "arrivals   200, dropped 6 (3.00%)" "$WORK/open.out"
run_throng "$WORK/one.out" report "$WORK/open.json"
expect_grep "service time mean" "$WORK/one.out"
expect_grep "corrected  mean" "$WORK/one.out"
expect_grep "arrivals   100, dropped 3 (3.00%)" "$WORK/one.out"
grep -q "Load: planned and achieved" "$WORK/open.html" || fail "no load chart in the HTML report"
python3 - "$WORK/open2.json" <<'PY' || fail "the merge did not add the load fields"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["totals"]["arrivals"] == 200 and m["totals"]["dropped"] == 6
assert m["groups"][0]["load"]["rate"] == 100 and m["groups"][0]["load"]["stages"][0]["target"] == 100
assert all(p["target"] == 100 and p["achieved"] == 96 and p["dropped"] == 4 for p in m["series"])
PY
exit 0
