#!/bin/bash
# test_junit.sh - --junit and --summary-json against `throng serve`: a run
# with a threshold it meets and one it does not (the server answers 5% of
# tables wrong) exits 5, its JUnit XML parses, with two test cases and one
# failure whose message has the measured share; the summary's numbers are
# the full JSON report's; `throng report` writes the same two files from
# the JSON report; a run with no thresholds has one passing test case
# "run"; a file that cannot be written makes exit status 6.
. "$(dirname "$0")/lib.sh"

start_server WRONG --wrong-size 0.05 --seed 17
run_throng "$WORK/run.out" run -s "$WRONG_ADDR" -c 4 -d 2 --slow-down 0 --on-fault restart -q \
    --threshold 'errors<1%' --threshold 'p99<5s' \
    --json "$WORK/full.json" --junit "$WORK/junit.xml" --summary-json "$WORK/summary.json"
expect_rc 5 "$WORK/run.out"
check_ledger "$WORK/full.json"

python3 - "$WORK/junit.xml" "$WORK/full.json" <<'PY' || fail "the JUnit XML: $(cat "$WORK/junit.xml")"
import json, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
full = json.load(open(sys.argv[2]))
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite")
assert len(suites) == 1, suites
suite = suites[0]
cases = suite.findall("testcase")
assert len(cases) == 2, [c.attrib for c in cases]
assert suite.get("tests") == "2" and suite.get("failures") == "1", suite.attrib
assert [c.get("name") for c in cases] == ["errors<1%", "p99<5s"], [c.get("name") for c in cases]
assert all(c.get("classname") == "throng.thresholds" for c in cases)
errors = next(t for t in full["thresholds"] if t["metric"] == "errors")
assert errors["passed"] is False and errors["value"] > 0.01, errors
failed = cases[0].findall("failure")
assert len(failed) == 1 and not cases[1].findall("failure"), "one failure, on errors<1%"
want = "errors %s%% (limit <1%%)" % ("%.3g" % (errors["value"] * 100))
assert failed[0].get("message") == want, (failed[0].get("message"), want)
assert abs(float(suite.get("time")) - full["elapsed"]) < 0.001, suite.get("time")
props = {p.get("name"): p.get("value") for p in suite.find("properties")}
assert props["exit_status"] == "5", props
PY

python3 - "$WORK/summary.json" "$WORK/full.json" <<'PY' || fail "the summary: $(cat "$WORK/summary.json")"
import json, sys
s = json.load(open(sys.argv[1]))
full = json.load(open(sys.argv[2]))
t = full["totals"]
assert s["schema"] == 1 and s["status"] == "failed" and s["exit_status"] == 5, s
assert s["ending"] == full["ending"]
assert s["duration_s"] == full["elapsed"]
assert s["requests"] == t["requests"] and s["requests"] > 0
assert s["rps"] == t["rate"]
assert s["failures"] == t["failures"] and s["failures"] > 0
# cJSON writes 15 significant digits when they read back close enough: a
# share computed anew is equal to that precision, not to the last bit.
close = lambda a, b: abs(a - b) <= 1e-12 * max(abs(a), abs(b))
assert close(s["error_rate"], t["failures"] / t["sent"]), (s["error_rate"], t["failures"], t["sent"])
for k in ("p50", "p90", "p99", "max"):
    assert abs(s["latency_ms"][k] - t["latency"][k] * 1e3) < 1e-6, (k, s["latency_ms"][k])
assert s["seed"] == full["settings"]["seed"]
assert len(s["thresholds"]) == len(full["thresholds"]) == 2
for mine, theirs in zip(s["thresholds"], full["thresholds"]):
    assert mine["name"] == theirs["expression"] and mine["ok"] == theirs["passed"], mine
    assert mine["measured"] == theirs["value"] and mine["limit"] == theirs["limit"], mine
errors = s["thresholds"][0]
assert close(errors["measured"], s["error_rate"]), "error_rate is what errors<1% measured"
PY

# `throng report` draws the same files from the JSON report.
run_throng "$WORK/report.out" report "$WORK/full.json" --junit "$WORK/again.xml" \
    --summary-json "$WORK/again.json"
expect_rc 0 "$WORK/report.out"
cmp "$WORK/junit.xml" "$WORK/again.xml" || fail "throng report --junit differs from the run's"
cmp "$WORK/summary.json" "$WORK/again.json" || fail "throng report --summary-json differs"

# No thresholds, no faults: one test case, "run", passed.
start_server S
run_throng "$WORK/clean.out" run -s "$S_ADDR" -c 2 -d 1 -q --junit "$WORK/clean.xml" \
    --summary-json "$WORK/clean.json"
expect_rc 0 "$WORK/clean.out"
python3 - "$WORK/clean.xml" "$WORK/clean.json" <<'PY' || fail "a clean run's files: $(cat "$WORK/clean.xml" "$WORK/clean.json")"
import json, sys
import xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot().find("testsuite")
cases = suite.findall("testcase")
assert [(c.get("classname"), c.get("name")) for c in cases] == [("throng.run", "run")]
assert not cases[0].findall("failure") and suite.get("failures") == "0"
s = json.load(open(sys.argv[2]))
assert s["status"] == "passed" and s["exit_status"] == 0 and s["thresholds"] == [], s
PY

# A file that cannot be written: said, naming the flag, and status 6.
run_throng "$WORK/full.out" run -s "$S_ADDR" -c 2 -d 1 -q --junit /dev/full
expect_rc 6 "$WORK/full.out"
expect_grep "cannot write --junit /dev/full" "$WORK/full.out"
run_throng "$WORK/nodir.out" report "$WORK/full.json" --summary-json "$WORK/no/such/dir.json"
expect_rc 6 "$WORK/nodir.out"
expect_grep "cannot write --summary-json" "$WORK/nodir.out"
echo "ok"
