#!/usr/bin/env bash
# The worked shopper (examples/personas/shopper.lua) against its web shop
# (examples/personas/shop_app.py): log-in through a form with a hidden
# token, a session cookie, a 303 to the dashboard, searches, a form posted
# to the cart, a checkout, a multipart upload, gzip pages, an account per
# client from accounts.csv (unique, across two processes of two threads).
# What the shop counts must be what throng counts; no account is logged in
# twice at once; the ledger balances. Then the shop fails one checkout in
# three and the thresholds on the transaction and the check fail.
. "$(dirname "$0")/lib.sh"

EX="$(dirname "$0")/../../examples/personas"
start_python SHOP 90 "$EX/shop_app.py"

run_throng "$WORK/pass.out" run "$EX/shopper.lua" -s "$SHOP" -c 8 -p 2 -t 2 -d 4s \
    --slow-down 0 --json "$WORK/pass.json" \
    --threshold 'checkout:p99<2s' --threshold 'checkout:errors<1%' \
    --threshold 'check:order placed>99%' --threshold 'check:logged in>=100%' \
    -- think=0.02 typo=0.2 upload=0.3
curl -sf "http://$SHOP/stats" >"$WORK/stats.json" || fail "GET /stats failed"
expect_rc 0 "$WORK/pass.out"
expect_no_fault "$WORK/pass.out" invalid
expect_no_fault "$WORK/pass.out" script-error
expect_no_fault "$WORK/pass.out" http-error
grep -Eq '^  checkout +[0-9]+ ' "$WORK/pass.out" || fail "no checkout row: $(cat "$WORK/pass.out")"
check_ledger "$WORK/pass.json"
python3 - "$WORK/pass.json" "$WORK/stats.json" <<'PY' || fail "the shop's counts and throng's: $(cat "$WORK/pass.out"; cat "$WORK/stats.json")"
import json, sys
doc = json.load(open(sys.argv[1]))
shop = json.load(open(sys.argv[2]))
g = doc["groups"][0]
assert g["processes"] == 2, g["processes"]
names = {n["name"]: n for n in g["names"]}
checks = {c["name"]: c for c in g["checks"]}
txns = {t["name"]: t for t in g["transactions"]}
print("shop:", {k: shop[k] for k in ("logins", "login_failures", "checkouts", "cart_adds",
                                     "uploads", "users", "overlaps", "gzip_pages")})
print("throng: sessions %d, requests %d, sign-in %d, checkout %d (p99 %.4fs)"
      % (g["sessions"], g["totals"]["requests"], txns["sign-in"]["count"],
         txns["checkout"]["count"], txns["checkout"]["latency"]["p99"]))

# Every check passed, and each ran.
for c in checks.values():
    assert c["fails"] == 0, c
for name in ("sent to log in", "login form", "logged in", "page compressed", "search found",
             "added to cart", "order placed", "order listed", "logged out",
             "wrong password refused", "picture uploaded"):
    assert checks[name]["passes"] > 0, (name, checks.get(name))
# Transactions: one sign-in and one checkout per session, none failed.
for name in ("sign-in", "checkout"):
    t = txns[name]
    assert t["count"] >= g["sessions"] > 20 and t["failures"] == 0, (name, t, g["sessions"])
    assert t["latency"]["count"] == t["count"] and t["latency"]["p99"] > 0, t

# What the shop served is what throng counted. At the run's end the shop
# may count more, never fewer: a request cancelled by the end may have been
# served without throng seeing the answer, and an answer that came after
# the end began is counted, but the session that asked for it is not run
# on to its check. A client is cut short once, so the second kind is at
# most one per client (8).
def same(shop_count, passes, request):
    n = names[request]
    assert passes <= shop_count <= passes + n["cancelled"] + 8, (shop_count, passes, request, n)
same(shop["logins"], checks["logged in"]["passes"], "login")
same(shop["login_failures"], checks["wrong password refused"]["passes"], "login")
same(shop["checkouts"], checks["order placed"]["passes"], "place order")
same(shop["cart_adds"], checks["added to cart"]["passes"], "add to cart")
same(shop["uploads"], checks["picture uploaded"]["passes"], "avatar")
same(shop["to_login"], checks["sent to log in"]["passes"], "dashboard")
assert shop["checkout_failures"] == 0 and shop["bad_csrf"] == 0, shop
# Every page was asked for compressed (the persona's compressed = true).
assert shop["gzip_pages"] > 0 and shop["plain_pages"] == 0, shop
# One account per client, never two clients on one account at once.
assert shop["users"] == 8, shop["users"]
assert shop["overlaps"] == 0 and shop["max_active_per_user"] == 1, shop
thr = {t["expression"]: t for t in doc["thresholds"]}
assert all(t["passed"] for t in thr.values()), thr
PY

# The shop fails every third checkout: the transaction's failures and the
# check's fails say so, and their thresholds fail (exit status 5) while
# the log-in's still passes.
start_python BAD 60 "$EX/shop_app.py" --fail-checkout 3
run_throng "$WORK/bad.out" run "$EX/shopper.lua" -s "$BAD" -c 4 -p 2 -d 3s --slow-down 0 \
    --json "$WORK/bad.json" \
    --threshold 'checkout:errors<1%' --threshold 'check:order placed>99%' \
    --threshold 'check:logged in>99%' -- think=0.02
curl -sf "http://$BAD/stats" >"$WORK/bad-stats.json" || fail "GET /stats failed"
expect_rc 5 "$WORK/bad.out"
grep -Eq 'checkout:errors<1% +FAILED' "$WORK/bad.out" || fail "errors threshold: $(cat "$WORK/bad.out")"
grep -Eq 'check:order placed>99% +FAILED' "$WORK/bad.out" || fail "check threshold: $(cat "$WORK/bad.out")"
grep -Eq 'check:logged in>99% +passed' "$WORK/bad.out" || fail "log-in threshold: $(cat "$WORK/bad.out")"
check_ledger "$WORK/bad.json"
python3 - "$WORK/bad.json" "$WORK/bad-stats.json" <<'PY' || fail "failed checkouts: $(cat "$WORK/bad.out"; cat "$WORK/bad-stats.json")"
import json, sys
g = json.load(open(sys.argv[1]))["groups"][0]
shop = json.load(open(sys.argv[2]))
co = {t["name"]: t for t in g["transactions"]}["checkout"]
placed = {c["name"]: c for c in g["checks"]}["order placed"]
cancelled = {n["name"]: n for n in g["names"]}["place order"]["cancelled"]
print("checkout %d, failed %d; order placed %d/%d; shop failed %d of %d"
      % (co["count"], co["failures"], placed["passes"], placed["fails"],
         shop["checkout_failures"], shop["checkout_attempts"]))
assert co["count"] > 10 and co["failures"] == placed["fails"], (co, placed)
assert 0.2 < co["failures"] / co["count"] < 0.5, co
# As above: at most one answer per client (4) came after the end began.
assert placed["fails"] <= shop["checkout_failures"] <= placed["fails"] + cancelled + 4, (placed, shop)
PY
echo "ok"
