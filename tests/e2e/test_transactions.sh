#!/usr/bin/env bash
# Transactions and named checks (issue 18, point 5) against `throng serve`,
# in two worker processes so that their figures merge: a transaction of
# three requests counted once per session, its failures those of a check
# that fails about half the time; check counts that add up to the calls;
# thresholds on both that pass (exit 0) and fail (exit 5); a fatal check,
# a nested transaction and an error raised inside one; throng.check in the
# request style; and `throng report` merging two reports by name.
. "$(dirname "$0")/lib.sh"

start_server srv
P="$(dirname "$0")/personas/transactions.lua"

run_throng "$WORK/pass.out" run "$P" -s "$srv_ADDR" -c 4 -p 2 -d 2s --slow-down 0 \
    --json "$WORK/pass.json" --html "$WORK/pass.html" \
    --threshold 'checkout:p99<2s' --threshold 'checkout:requests>10' \
    --threshold 'check:status ok>99%' --threshold 'check:coin>20%'
expect_rc 0 "$WORK/pass.out"
expect_no_fault "$WORK/pass.out" invalid
expect_no_fault "$WORK/pass.out" script-error
expect_grep "checkout:p99<2s" "$WORK/pass.out"
grep -Eq '^  checkout +[0-9]+ ' "$WORK/pass.out" || fail "no checkout row: $(cat "$WORK/pass.out")"
grep -Eq '^  coin +[0-9]+ +[0-9]+ +[0-9.]+%$' "$WORK/pass.out" || fail "no coin row: $(cat "$WORK/pass.out")"
expect_grep "<th>transaction</th>" "$WORK/pass.html"
expect_grep "<td>coin</td>" "$WORK/pass.html"
check_ledger "$WORK/pass.json"
python3 - "$WORK/pass.json" <<'PY' || fail "transaction and check figures: $(cat "$WORK/pass.out")"
import json, sys
doc = json.load(open(sys.argv[1]))
g = doc["groups"][0]
assert g["processes"] == 2, g["processes"]
txns = {t["name"]: t for t in g["transactions"]}
checks = {c["name"]: c for c in g["checks"]}
names = {n["name"]: n for n in g["names"]}
co = txns["checkout"]
coin, ok = checks["coin"], checks["status ok"]
print("sessions %d, checkout %d (failures %d, p99 %.4fs), coin %d/%d, status ok %d/%d"
      % (g["sessions"], co["count"], co["failures"], co["latency"]["p99"],
         coin["passes"], coin["fails"], ok["passes"], ok["fails"]))
# One transaction per session, each ending the session's work.
assert co["count"] == g["sessions"] > 20, (co["count"], g["sessions"])
assert co["latency"]["count"] == co["count"]
# coin is the transaction's last call: once per transaction; its fails are
# the transaction's failures (status ok never fails).
assert coin["passes"] + coin["fails"] == co["count"]
assert co["failures"] == coin["fails"]
assert 0.3 < coin["fails"] / co["count"] < 0.7, coin
# status ok is checked once before each multiply is sent.
assert ok["fails"] == 0 and ok["passes"] == names["multiply"]["sent"], (ok, names["multiply"])
assert checks["returned"]["passes"] == g["sessions"] and checks["returned"]["fails"] == 0
# A transaction takes at least its three requests.
assert co["latency"]["mean"] >= names["status"]["latency"]["mean"]
thr = {t["expression"]: t for t in doc["thresholds"]}
assert thr["check:status ok>99%"]["value"] == 1 and thr["check:status ok>99%"]["metric"] == "check"
assert abs(thr["check:coin>20%"]["value"] - coin["passes"] / co["count"]) < 1e-9
assert thr["checkout:requests>10"]["value"] == co["count"]
PY

# Thresholds that fail: exit status 5, each named, the others passing.
run_throng "$WORK/fail.out" run "$P" -s "$srv_ADDR" -c 2 -p 2 -d 1s --slow-down 0 \
    --json "$WORK/fail.json" \
    --threshold 'check:coin>99%' --threshold 'checkout:errors<1%' \
    --threshold 'checkout:p50<1us' --threshold 'check:status ok>=100%' \
    --threshold 'check:never>1%'
expect_rc 5 "$WORK/fail.out"
grep -Eq 'check:coin>99% +FAILED \([0-9.]+%\)' "$WORK/fail.out" || fail "coin threshold: $(cat "$WORK/fail.out")"
grep -Eq 'checkout:errors<1% +FAILED' "$WORK/fail.out" || fail "errors threshold: $(cat "$WORK/fail.out")"
grep -Eq 'checkout:p50<1us +FAILED' "$WORK/fail.out" || fail "p50 threshold: $(cat "$WORK/fail.out")"
grep -Eq 'check:status ok>=100% +passed \(100%\)' "$WORK/fail.out" || fail "status ok threshold: $(cat "$WORK/fail.out")"
grep -Eq 'check:never>1% +FAILED \(never measured' "$WORK/fail.out" || fail "never threshold: $(cat "$WORK/fail.out")"
check_ledger "$WORK/fail.json"

# Two reports merged by name: the counts add up.
run_throng "$WORK/merged.out" report "$WORK/pass.json" "$WORK/fail.json" --json "$WORK/merged.json"
expect_rc 0 "$WORK/merged.out"
python3 - "$WORK/pass.json" "$WORK/fail.json" "$WORK/merged.json" <<'PY' || fail "merged figures"
import json, sys
a, b, m = (json.load(open(f))["groups"][0] for f in sys.argv[1:])
def by(g, key): return {x["name"]: x for x in g[key]}
for name in ("checkout",):
    t = by(m, "transactions")[name]
    assert t["count"] == by(a, "transactions")[name]["count"] + by(b, "transactions")[name]["count"]
    assert t["failures"] == by(a, "transactions")[name]["failures"] + by(b, "transactions")[name]["failures"]
    assert t["latency"]["count"] == t["count"]
for name in ("coin", "status ok"):
    c = by(m, "checks")[name]
    assert c["fails"] == by(a, "checks")[name]["fails"] + by(b, "checks")[name]["fails"]
    assert c["passes"] == by(a, "checks")[name]["passes"] + by(b, "checks")[name]["passes"]
PY

# A fatal check: an invalid fault named after the check, and the
# transaction it was in failed, each one.
run_throng "$WORK/fatal.out" run "$P" -s "$srv_ADDR" -c 2 -d 1s --slow-down 0 --on-fault restart \
    --json "$WORK/fatal.json" -- mode=fatal
expect_rc 1 "$WORK/fatal.out" # faults were seen
[ "$(fault_count "$WORK/fatal.out" invalid)" -gt 0 ] || fail "no invalid fault"
expect_grep "transactions.lua:18: paid" "$WORK/fatal.out"
check_ledger "$WORK/fatal.json"
python3 - "$WORK/fatal.json" <<'PY' || fail "fatal check: $(cat "$WORK/fatal.out")"
import json, sys
g = json.load(open(sys.argv[1]))["groups"][0]
pay = g["transactions"][0]
paid = g["checks"][0]
inv = g["totals"]["faults"]["invalid"]["count"]
print("pay %d failed %d, paid fails %d, invalid %d" % (pay["count"], pay["failures"], paid["fails"], inv))
assert pay["name"] == "pay" and pay["count"] > 0 and pay["failures"] == pay["count"]
assert paid["name"] == "paid" and paid["passes"] == 0 and paid["fails"] == inv == pay["count"]
PY

# A request inside that faults ends the session, and the transaction
# counts as failed (port 1 on loopback: refused).
run_throng "$WORK/refused.out" run "$P" -s 127.0.0.1:1 -c 1 -d 1s --slow-down 0.1s \
    --on-fault restart --json "$WORK/refused.json"
expect_rc 1 "$WORK/refused.out"
check_ledger "$WORK/refused.json"
python3 - "$WORK/refused.json" <<'PY' || fail "a fault inside: $(cat "$WORK/refused.out")"
import json, sys
g = json.load(open(sys.argv[1]))["groups"][0]
co = g["transactions"][0]
nc = g["totals"]["faults"]["not-connected"]["count"]
assert co["name"] == "checkout" and co["count"] == co["failures"] == nc > 0, (co, nc)
PY

# A transaction inside another: refused with a script error.
run_throng "$WORK/nested.out" run "$P" -s "$srv_ADDR" --once -- mode=nested
expect_rc 1 "$WORK/nested.out"
expect_grep "transactions do not nest ('outer' is open)" "$WORK/nested.out"

# An error raised inside: the transaction failed, the error raised again.
run_throng "$WORK/raise.out" run "$P" -s "$srv_ADDR" -c 2 -d 1s --slow-down 0 \
    --json "$WORK/raise.json" -- mode=raise
expect_rc 0 "$WORK/raise.out"
python3 - "$WORK/raise.json" <<'PY' || fail "raised error: $(cat "$WORK/raise.out")"
import json, sys
g = json.load(open(sys.argv[1]))["groups"][0]
pay = g["transactions"][0]
again = {c["name"]: c for c in g["checks"]}["raised again"]
assert pay["count"] > 0 and pay["failures"] == pay["count"], pay
assert again["fails"] == 0 and again["passes"] == g["sessions"], again
PY

# The request style: throng.check in the response hook.
cat >"$WORK/req.lua" <<'LUA'
local throng = require "throng"
local P = {}
function P:request() return { path = "/status" } end
function P:response(res)
  throng.check(res.status == 200, "answered")
  throng.check(throng.random(4) == 1, "one in four")
end
return P
LUA
run_throng "$WORK/req.out" run "$WORK/req.lua" -s "$srv_ADDR" -c 2 -p 2 -n 400 --slow-down 0 \
    --json "$WORK/req.json" --threshold 'check:answered>=100%' --threshold 'check:one in four<50%'
expect_rc 0 "$WORK/req.out"
check_ledger "$WORK/req.json"
python3 - "$WORK/req.json" <<'PY' || fail "request-style checks: $(cat "$WORK/req.out")"
import json, sys
g = json.load(open(sys.argv[1]))["groups"][0]
c = {x["name"]: x for x in g["checks"]}
req = g["totals"]["requests"]
assert req == 400, req
assert c["answered"]["passes"] == req and c["answered"]["fails"] == 0, c
assert c["one in four"]["passes"] + c["one in four"]["fails"] == req
assert 0.15 < c["one in four"]["passes"] / req < 0.35, c
assert g["transactions"] == []
PY
echo "ok"
