# Plans: several groups in one run, checked whole before any load starts.
. "$(dirname "$0")/lib.sh"
PLANS="$(cd "$(dirname "$0")" && pwd)/plans"

start_server S

# Two groups: each reported, and the totals are what the server answered.
before=$(status_field "$S_ADDR" requests)
run_throng "$WORK/two.out" run "$PLANS/two_groups.lua" -s "$S_ADDR" -d 2 -q --json "$WORK/two.json"
expect_rc 0 "$WORK/two.out"
expect_grep "products: 2 clients on 1 thread" "$WORK/two.out"
expect_grep "tables: 3 clients on 1 thread" "$WORK/two.out"
expect_grep "all groups" "$WORK/two.out"
expect_grep "tables p99<1s" "$WORK/two.out"
answered=$(($(status_field "$S_ADDR" requests) - before))
check_ledger "$WORK/two.json"
python3 - "$WORK/two.json" "$answered" <<'PY' || fail "plan totals: $(cat "$WORK/two.out")"
import json, sys
doc = json.load(open(sys.argv[1]))
groups = {g["name"]: g for g in doc["groups"]}
assert set(groups) == {"tables", "products"}, groups.keys()
total = doc["totals"]["requests"]
assert total == sum(g["totals"]["requests"] for g in groups.values())
assert groups["tables"]["totals"]["requests"] > 0 and groups["products"]["totals"]["requests"] > 0
assert [n["name"] for n in groups["products"]["names"]] == ["product"]
assert 0 <= int(sys.argv[2]) - total <= 5, (sys.argv[2], total)
assert doc["thresholds"][0]["group"] == "tables"
PY

# A group that starts late and one that stops early.
run_throng "$WORK/timed.out" run "$PLANS/timed.lua" -s "$S_ADDR" -d 2.5 -q --json "$WORK/timed.json"
expect_rc 0 "$WORK/timed.out"
check_ledger "$WORK/timed.json"
python3 - "$WORK/timed.json" <<'PY' || fail "start delay and duration: $(cat "$WORK/timed.out")"
import json, sys
doc = json.load(open(sys.argv[1]))
g = {x["name"]: x for x in doc["groups"]}
early, late = g["early"]["totals"]["requests"], g["late"]["totals"]["requests"]
assert early > 20 and late > 20, (early, late)
first = doc["series"][0]["requests"]   # only the early group ran in the first second
last = doc["series"][-1]["requests"]   # only the late group in the last
assert first > 0 and last > 0
PY

# Bad plans are refused before any connection, naming the group and the key.
refused() { # refused PLAN TEXT
    local before after
    before=$(status_field "$S_ADDR" connections)
    run_throng "$WORK/bad.out" run "$PLANS/$1" -s "$S_ADDR" -d 5 -q
    expect_rc 2 "$WORK/bad.out"
    expect_grep "$2" "$WORK/bad.out"
    after=$(status_field "$S_ADDR" connections)
    [ "$after" = $((before + 1)) ] || fail "$1 connected before being refused"
}
refused unknown_key.lua "plan $PLANS/unknown_key.lua: group 'typo': unknown key 'client'"
refused no_persona.lua "group 'lonely': no persona"
refused bad_value.lua "group 'busy': clients must be a whole number from 1 to 1000000, not '-3'"
refused missing_file.lua "group 'ghost': persona $PLANS/no_such_persona.lua: No such file or directory"
refused bad_duration.lua "group 'late': start_delay must be seconds or a duration such as 30s, not 'soon'"

# The example plan runs the four scripts together.
run_throng "$WORK/site.out" run "${THRONG_SOURCE:?}/examples/plans/site.lua" -s "$S_ADDR" -d 3 -q
expect_rc 0 "$WORK/site.out"
for g in watchdog admin typical expert; do expect_grep "$g: " "$WORK/site.out"; done
expect_grep "faults     none" "$WORK/site.out"
echo "ok"
