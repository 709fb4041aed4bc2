# Plans whose groups have worker processes: each group runs in processes of
# its own (or in throng's own process with processes = 1), the footer counts
# every process, and each group's count is its server's own count.
. "$(dirname "$0")/lib.sh"

start_server A
start_server B
REPORTS=""

# write_plan FILE PA PB [extra]: groups a (against -s, server A) and b
# (against server B); PA/PB are their processes, '-' leaves the key out.
write_plan() {
    local pa="" pb=""
    [ "$2" = - ] || pa="processes = $2,"
    [ "$3" = - ] || pb="processes = $3,"
    cat >"$1" <<EOF
return {
  a = { persona = "table", clients = 12, $pa request_count = 4, slow_down = "5ms" ${4:-} },
  b = { persona = "table", clients = 8, $pb request_count = 4, slow_down = "5ms",
        server = "$B_ADDR" },
}
EOF
}

# check_groups JSON PROCS ANSWERED_A ANSWERED_B EXACT: each group's requests
# against its server's count. A request in flight when the run ended may
# have been answered by the server and counted cancelled by the client, so
# the server may be ahead by at most the group's cancelled; with EXACT=1
# (a request limit: nothing is cancelled) the counts are equal.
check_groups() {
    python3 - "$@" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
procs, answered, exact = int(sys.argv[2]), {"a": int(sys.argv[3]), "b": int(sys.argv[4])}, sys.argv[5] == "1"
groups = {g["name"]: g for g in doc["groups"]}
assert set(groups) == {"a", "b"}, groups.keys()
assert doc["processes"]["started"] == procs, doc["processes"]
assert doc["processes"]["lost"] == 0, doc["processes"]
for name, g in groups.items():
    got, cancelled = g["totals"]["requests"], g["cancelled"]
    assert got > 0, (name, "no requests")
    assert g["clients_active"] <= g["clients"], (name, g["clients_active"], g["clients"])
    if exact:
        assert got == answered[name], (name, "counted", got, "server answered", answered[name])
    else:
        assert 0 <= answered[name] - got <= cancelled, \
            (name, "counted", got, "cancelled", cancelled, "server answered", answered[name])
assert doc["totals"]["requests"] == sum(g["totals"]["requests"] for g in groups.values())
PY
}

# plan_run NAME PA PB PROCS EXACT [run flags]: runs the plan and checks it.
plan_run() {
    local name=$1 pa=$2 pb=$3 procs=$4 exact=$5
    shift 5
    write_plan "$WORK/$name.lua" "$pa" "$pb"
    local a0 b0
    a0=$(status_field "$A_ADDR" requests)
    b0=$(status_field "$B_ADDR" requests)
    run_throng "$WORK/$name.out" run "$WORK/$name.lua" -s "$A_ADDR" -q --json "$WORK/$name.json" "$@"
    expect_rc 0 "$WORK/$name.out"
    expect_grep "processes  $procs started, 0 lost" "$WORK/$name.out"
    check_groups "$WORK/$name.json" "$procs" $(($(status_field "$A_ADDR" requests) - a0)) \
        $(($(status_field "$B_ADDR" requests) - b0)) "$exact" ||
        fail "$name: the groups' counts are not their servers': $(cat "$WORK/$name.out")"
    REPORTS="$REPORTS $WORK/$name.json"
}

# Each group in processes of its own: 2 + 2 = 4 worker processes.
plan_run p22 2 2 4 0 -d 2
expect_grep "a: 12 clients in 2 processes" "$WORK/p22.out"
expect_grep "b: 8 clients in 2 processes" "$WORK/p22.out"
# One group in processes, the other in throng's own threads, both ways.
plan_run p21 2 1 2 0 -d 2
expect_grep "b: 8 clients on 1 thread" "$WORK/p21.out"
plan_run p12 1 2 2 0 -d 2
expect_grep "a: 12 clients on 1 thread" "$WORK/p12.out"
# -p 2 for a plan that leaves processes out: each group gets 2.
plan_run pflag - - 4 0 -d 2 -p 2
# A request limit across every process: exact counts, the limit met.
plan_run plimit 2 1 2 1 -n 3000
python3 - "$WORK/plimit.json" <<'PY' || fail "the request limit: $(cat "$WORK/plimit.out")"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["ending"] == "requests", doc["ending"]
assert doc["totals"]["requests"] == 3000, doc["totals"]["requests"]
PY

# A worker process killed: the report names it, the other group's count is
# still its server's, and the exit status says so although the threshold
# passes.
write_plan "$WORK/lost.lua" 2 1 ', thresholds = { "p99<10s" }'
"$THRONG" run "$WORK/lost.lua" -s "$A_ADDR" -d 3 -q --json "$WORK/lost.json" \
    >"$WORK/lost.out" 2>&1 &
parent=$!
# The victim once a worker process is there and has run a while (a
# sanitizer build on a loaded machine may take seconds to fork them).
victim=
for _ in $(seq 150); do
    victim=$(pgrep -P "$parent" | head -1)
    [ -n "$victim" ] && break
    sleep 0.1
done
sleep 0.8
[ -n "$victim" ] || fail "no worker process under $parent"
kill -9 "$victim"
wait "$parent"
RC=$?
expect_rc 1 "$WORK/lost.out"
expect_grep "processes  2 started, 1 lost: worker process $victim killed by signal 9" "$WORK/lost.out"
expect_grep "passed" "$WORK/lost.out"
REPORTS="$REPORTS $WORK/lost.json"

# The README's plan example: a group of 2 processes beside single-process
# groups. Its processes must run to the end (they once died of SIGSEGV).
mkdir -p "$WORK/readme/plans"
ln -s "${THRONG_SOURCE:?}/scripts" "$WORK/readme/scripts"
python3 - "$THRONG_SOURCE/README.md" "$WORK/readme/plans/readme.lua" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
plans = text[text.index("### Plans"):]
open(sys.argv[2], "w").write(re.search(r"```lua\n(.*?)```", plans, re.S).group(1))
PY
grep -q "processes = 2" "$WORK/readme/plans/readme.lua" || fail "the README's plan has changed"
run_throng "$WORK/readme.out" run "$WORK/readme/plans/readme.lua" -s "$A_ADDR" -d 3 -q \
    --json "$WORK/readme.json"
# 0, or 5 should its p99<50ms threshold miss on a loaded machine; never a lost process.
[ "$RC" = 0 ] || [ "$RC" = 5 ] || fail "the README's plan: exit status $RC: $(cat "$WORK/readme.out")"
expect_grep "processes  2 started, 0 lost" "$WORK/readme.out"
python3 - "$WORK/readme.json" <<'PY' || fail "the README's plan: $(cat "$WORK/readme.out")"
import json, sys
g = {x["name"]: x for x in json.load(open(sys.argv[1]))["groups"]}
assert g["typical"]["totals"]["requests"] > 100, g["typical"]["totals"]["requests"]
assert g["typical"]["clients_active"] == 200, g["typical"]["clients_active"]
assert g["watchdog"]["totals"]["requests"] >= 1
PY
REPORTS="$REPORTS $WORK/readme.json"

# A series per group: groups a and b in 2 worker processes each (-p 2), c
# in throng's own threads. Each group's series adds up to its totals, and
# the run's second t is the sum of the groups' second t; merged side by
# side and one after the other the same holds; the HTML page draws a line
# per group.
cat >"$WORK/three.lua" <<EOF
return {
  a = { persona = "table", clients = 6, request_count = 4, slow_down = "5ms" },
  b = { persona = "table", clients = 4, request_count = 4, slow_down = "5ms", server = "$B_ADDR" },
  c = { persona = "table", clients = 2, processes = 1, request_count = 4, slow_down = "5ms" },
}
EOF
run_throng "$WORK/three.out" run "$WORK/three.lua" -s "$A_ADDR" -d 3 -p 2 -q \
    --json "$WORK/three.json"
expect_rc 0 "$WORK/three.out"
expect_grep "processes  4 started, 0 lost" "$WORK/three.out"
run_throng "$WORK/side.out" report "$WORK/three.json" "$WORK/three.json" --json "$WORK/side.json"
expect_rc 0 "$WORK/side.out"
run_throng "$WORK/seq.out" report "$WORK/three.json" "$WORK/three.json" --sequential \
    --json "$WORK/seq.json"
expect_rc 0 "$WORK/seq.out"
check_group_series() {
    python3 - "$@" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
groups = {g["name"]: g for g in doc["groups"]}
assert set(groups) == {"a", "b", "c"}, groups.keys()
run = {}
for p in doc["series"]:
    assert p["t"] not in run, ("the run's second twice", p["t"])
    run[p["t"]] = p
summed = {}
for name, g in groups.items():
    series = g["series"]
    assert len(series) >= 2, (name, "seconds", len(series))
    ts = [p["t"] for p in series]
    assert len(set(ts)) == len(ts), (name, "a second twice", ts)
    for key in ("requests", "failures"):
        got = sum(p[key] for p in series)
        assert got == g["totals"][key], (name, key, got, g["totals"][key])
    assert g["totals"]["requests"] > 0, name
    for p in series:
        assert p["t"] in run, (name, "second", p["t"], "not in the run's series")
        s = summed.setdefault(p["t"], {"requests": 0, "failures": 0})
        for key in s:
            s[key] += p[key]
for t, p in run.items():
    s = summed.get(t, {"requests": 0, "failures": 0})
    for key in s:
        assert p[key] == s[key], ("second", t, key, "run", p[key], "groups", s[key])
assert sum(p["requests"] for p in doc["series"]) == doc["totals"]["requests"]
print(" ".join("%s=%d" % (n, g["totals"]["requests"]) for n, g in sorted(groups.items())),
      "seconds", len(run))
PY
}
for report in three side seq; do
    check_group_series "$WORK/$report.json" >"$WORK/$report.sums" 2>&1 ||
        fail "$report: the groups' series do not add up: $(cat "$WORK/$report.sums")"
done
# Merged side by side, the same seconds count twice; one after the other,
# the later part's follow the earlier's.
python3 - "$WORK/three.json" "$WORK/side.json" "$WORK/seq.json" <<'PY' ||
import json, sys
one, side, seq = (json.load(open(f)) for f in sys.argv[1:])
last = max(p["t"] for p in one["series"])
for g1, g2, g3 in zip(one["groups"], side["groups"], seq["groups"]):
    t1 = {p["t"]: p["requests"] for p in g1["series"]}
    assert {p["t"]: p["requests"] for p in g2["series"]} == {t: 2 * n for t, n in t1.items()}
    want = dict(t1)
    want.update({t + last: n for t, n in t1.items()})
    assert {p["t"]: p["requests"] for p in g3["series"]} == want, (g3["name"], g3["series"])
PY
    fail "merged reports: the groups' series are not the parts' series"
run_throng "$WORK/three_html.out" report "$WORK/three.json" --html "$WORK/three.html"
expect_rc 0 "$WORK/three_html.out"
grep -q "no series per group" "$WORK/three.html" && fail "the HTML page has no line per group"
for name in "all groups" a b c; do expect_grep ">$name</text>" "$WORK/three.html"; done
REPORTS="$REPORTS $WORK/three.json $WORK/side.json $WORK/seq.json"

# Every request each report counts has exactly one outcome.
for report in $REPORTS; do check_ledger "$report"; done
echo "ok"
