# Reports: latency measured against a service of known latency, per-name
# counts, the JSON report against its schema, `throng report` reproducing
# the text, the HTML page, thresholds and their exit status, progress lines.
. "$(dirname "$0")/lib.sh"
SCHEMA="${THRONG_SOURCE:?}/docs/report-schema.json"
PERSONAS="$(cd "$(dirname "$0")" && pwd)/personas"

# py SCRIPT JSON: runs a check written in Python on a JSON report.
py() {
    python3 -c "import json, sys; doc = json.load(open(sys.argv[1])); $1" "$2"
}

# A service that takes 20 ms: the measured median is never below it, and
# above it by no more than a loaded machine adds (25%; 50% in a sanitized
# build, whose server and client are both several times slower).
HIGH=0.025
grep -qa -e __asan_init -e __tsan_init "$THRONG" && HIGH=0.030
start_server SLOW --latency 20ms
run_throng "$WORK/slow.out" run -s "$SLOW_ADDR" -c 4 -d 2 --request-count 5 --slow-down 0 -q \
    --json "$WORK/slow.json"
expect_rc 0 "$WORK/slow.out"
check_ledger "$WORK/slow.json"
py 'p50 = doc["totals"]["latency"]["p50"]
assert 0.0195 <= p50 <= '"$HIGH"', "p50 %f is not 20 ms" % p50
assert doc["totals"]["latency"]["min"] >= 0.018, doc["totals"]["latency"]["min"]' "$WORK/slow.json" ||
    fail "latency against a 20 ms service: $(cat "$WORK/slow.out")"

# Several request names: their counts add up to the total, and the JSON is
# what the schema says.
start_server S
run_throng "$WORK/tour.out" run "$PERSONAS/session_tour.lua" -s "$S_ADDR" -c 3 -d 2 \
    --slow-down 10ms -q --json "$WORK/tour.json" --html "$WORK/tour.html" --latency \
    -- other="$S_ADDR"
expect_rc 0 "$WORK/tour.out"
expect_grep "divide" "$WORK/tour.out"
expect_grep "/Multiply" "$WORK/tour.out"
expect_grep "latency distribution" "$WORK/tour.out"
check_ledger "$WORK/tour.json"
py 'g = doc["groups"][0]
names = {n["name"]: n for n in g["names"]}
assert set(names) == {"divide", "/Multiply", "/Xy", "/status", "/Divide"}, sorted(names)
assert sum(n["requests"] for n in names.values()) == doc["totals"]["requests"]
assert sum(n["sent"] for n in names.values()) == doc["totals"]["sent"]
assert names["/Divide"]["status"] == {"500": names["/Divide"]["requests"]}
assert abs(sum(p["requests"] for p in doc["series"]) - doc["totals"]["requests"]) <= 0
assert len(doc["series"]) >= 2' "$WORK/tour.json" || fail "per-name counts: $(cat "$WORK/tour.out")"
python3 - "$SCHEMA" "$WORK/tour.json" <<'PY' || fail "the JSON report does not match docs/report-schema.json"
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))
PY

# `throng report` prints the same text again.
"$THRONG" report "$WORK/tour.json" --latency >"$WORK/again.out" || fail "throng report failed"
cmp -s "$WORK/tour.out" "$WORK/again.out" ||
    fail "throng report differs: $(diff "$WORK/tour.out" "$WORK/again.out")"
run_throng "$WORK/notjson.out" report "$WORK/tour.out"
expect_rc 2 "$WORK/notjson.out"
expect_grep "not JSON" "$WORK/notjson.out"

# The HTML page: six charts (the load planned and achieved among them; the
# distributions of latency, time to first byte and connect time; no TLS
# chart on plain http), nothing fetched from anywhere.
[ "$(grep -o '<svg' "$WORK/tour.html" | wc -l)" = 6 ] || fail "expected 6 charts in the HTML report"
expect_grep "Load: planned and achieved" "$WORK/tour.html"
grep -qiE 'https?://|src=|<link|@import|url\(' "$WORK/tour.html" && fail "the HTML report refers outside itself"
expect_grep "divide" "$WORK/tour.html"
"$THRONG" report "$WORK/tour.json" --html "$WORK/again.html" >/dev/null || fail "report --html"
cmp -s "$WORK/tour.html" "$WORK/again.html" || fail "report --html draws another page"

# Thresholds: passing ones exit 0 (even with faults), a failing one exits 5.
start_server BUSY --busy 0.2
run_throng "$WORK/pass.out" run -s "$BUSY_ADDR" -c 2 -n 200 --slow-down 0 -q \
    --threshold 'p99<1s' --threshold 'errors<1%' --threshold 'table:rate>10' --json "$WORK/pass.json"
expect_rc 0 "$WORK/pass.out"
check_ledger "$WORK/pass.json"
expect_grep "p99<1s                   passed" "$WORK/pass.out"
run_throng "$WORK/fail.out" run -s "$SLOW_ADDR" -c 2 -n 20 --slow-down 0 -q \
    --threshold 'p99<5ms' --threshold 'requests>=20' --json "$WORK/fail.json"
expect_rc 5 "$WORK/fail.out"
check_ledger "$WORK/fail.json"
expect_grep "p99<5ms                  FAILED" "$WORK/fail.out"
expect_grep "requests>=20             passed" "$WORK/fail.out"
py 't = {x["expression"]: x for x in doc["thresholds"]}
assert t["p99<5ms"]["passed"] is False and t["p99<5ms"]["value"] > 0.019
assert t["requests>=20"]["passed"] is True and t["requests>=20"]["value"] == 20' "$WORK/fail.json" ||
    fail "thresholds in the JSON"
start_server WRONG --wrong-size 1
run_throng "$WORK/errs.out" run -s "$WRONG_ADDR" -c 2 -d 5 -q --threshold 'errors<10%'
expect_rc 5 "$WORK/errs.out"
run_throng "$WORK/bad.out" run -s "$S_ADDR" --threshold 'p99<fast'
expect_rc 2 "$WORK/bad.out"
expect_grep "--threshold: threshold 'p99<fast'" "$WORK/bad.out"
run_throng "$WORK/bad2.out" run -s "$S_ADDR" --threshold 'p99<50'
expect_rc 2 "$WORK/bad2.out"
expect_grep "give the time with a unit" "$WORK/bad2.out"
# A threshold on a request name the persona never uses: refused before the
# run when the persona's names are known (table: "table"; url: its path),
# else the report says it was never measured, and it fails.
run_throng "$WORK/noname.out" run -s "$S_ADDR" -d 30 --threshold 'tabel:p99<1s'
expect_rc 2 "$WORK/noname.out"
expect_grep "threshold 'tabel:p99<1s': no request is named 'tabel' (the persona names its requests 'table')" \
    "$WORK/noname.out"
run_throng "$WORK/nourl.out" run "http://$S_ADDR/Xy?x=2&y=2" -d 30 --threshold '/xy:p99<1s'
expect_rc 2 "$WORK/nourl.out"
expect_grep "no request is named '/xy' (the persona names its requests '/Xy')" "$WORK/nourl.out"
# A list's names are known too: every line's path.
printf '# two paths\nGET http://%s/Xy?x=2&y=2\n\nhttp://%s/status\n' "$S_ADDR" "$S_ADDR" \
    >"$WORK/urls.txt"
run_throng "$WORK/nolist.out" run --urls "$WORK/urls.txt" -c 1 -n 20 -q --threshold '/Status:p99<1s'
expect_rc 2 "$WORK/nolist.out"
expect_grep "no request is named '/Status' (the persona names its requests '/Xy', '/status')" \
    "$WORK/nolist.out"
run_throng "$WORK/list.out" run --urls "$WORK/urls.txt" -c 1 -n 20 -q --threshold '/status:p99<1s'
expect_rc 0 "$WORK/list.out"
expect_grep "/status:p99<1s           passed" "$WORK/list.out"
run_throng "$WORK/url.out" run "http://$S_ADDR/Xy?x=2&y=2" -c 1 -n 5 -q --threshold '/Xy:p99<1s'
expect_rc 0 "$WORK/url.out"
expect_grep "/Xy:p99<1s               passed" "$WORK/url.out"
run_throng "$WORK/never.out" run "$THRONG_SOURCE/tests/e2e/personas/big_tables.lua" -s "$S_ADDR" \
    -c 1 -n 5 -q --threshold 'small:p99<1s' --json "$WORK/never.json"
expect_rc 5 "$WORK/never.out"
expect_grep "small:p99<1s             FAILED (never measured: no request named 'small' ran)" "$WORK/never.out"
check_ledger "$WORK/never.json"

# Progress: a plain line every --interval when stderr is not a terminal.
timeout 30 "$THRONG" run -s "$S_ADDR" -c 2 -d 2.5 --interval 1s >/dev/null 2>"$WORK/progress.err"
[ "$(grep -c '^progress: ' "$WORK/progress.err")" -ge 2 ] || fail "progress lines: $(cat "$WORK/progress.err")"
grep -q "^progress: 1s/2s  [0-9]* requests  [0-9]*/s  p99 " "$WORK/progress.err" ||
    fail "progress line format: $(cat "$WORK/progress.err")"
timeout 30 "$THRONG" run -s "$S_ADDR" -c 2 -d 1.5 >/dev/null 2>"$WORK/quiet.err"
[ ! -s "$WORK/quiet.err" ] || fail "no progress expected without a terminal or --interval"
echo "ok"
