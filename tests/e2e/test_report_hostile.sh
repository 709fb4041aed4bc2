# `throng report` on hostile JSON reports: negative counts, strings where
# numbers belong (a histogram's buckets), wrong types, numbers too large to
# be exact, infinities. Each is refused with exit status 2 and a message
# naming the file and the field, alone or among others to merge, for the
# text and the HTML alike; nothing is printed on stdout. The report the run
# wrote still prints and merges.
. "$(dirname "$0")/lib.sh"

start_server S
run_throng "$WORK/run.out" run -s "$S_ADDR" -c 2 -d 1 --slow-down 0 -q --json "$WORK/good.json"
expect_rc 0 "$WORK/run.out"

# bad NAME FIELD PYTHON: writes $WORK/NAME.json, the good report changed by
# PYTHON (on doc), and expects each way of reading it to refuse it, naming
# NAME.json and FIELD.
bad() {
    local name=$1 field=$2
    python3 - "$WORK/good.json" "$WORK/$name.json" <<PY || fail "cannot write $name.json"
import json, sys
doc = json.load(open(sys.argv[1]))
$3
text = json.dumps(doc).replace("Infinity", "1e999")
open(sys.argv[2], "w").write(text)
PY
    local how
    for how in alone merged html; do
        case $how in
        alone) set -- "$WORK/$name.json" ;;
        merged) set -- "$WORK/good.json" "$WORK/$name.json" ;;
        html) set -- "$WORK/$name.json" --html "$WORK/$name.html" ;;
        esac
        timeout 60 "$THRONG" report "$@" >"$WORK/stdout" 2>"$WORK/stderr"
        RC=$?
        expect_rc 2 "$WORK/stderr"
        expect_grep "$name.json: " "$WORK/stderr"
        expect_grep "$field" "$WORK/stderr"
        [ -s "$WORK/stdout" ] && fail "$name.json ($how) printed a report: $(cat "$WORK/stdout")"
    done
    [ -e "$WORK/$name.html" ] && fail "$name.json: an HTML page was written"
    return 0
}

bad negative "totals.requests: -5 is negative" 'doc["totals"]["requests"] = -5'
bad string_bucket "totals.latency.buckets[0][2]: a string where a number belongs" \
    'doc["totals"]["latency"]["buckets"][0][2] = "many"'
bad group_bucket "groups[0].totals.ttfb.buckets[1]: a string where a bucket" \
    'doc["groups"][0]["totals"]["ttfb"]["buckets"][1] = "x"'
bad wrong_type "groups[0].names: an object where an array belongs" 'doc["groups"][0]["names"] = {}'
bad huge "groups[0].totals.sent: 1e+300 is too large" 'doc["groups"][0]["totals"]["sent"] = 1e300'
bad infinite "elapsed: inf is not a finite number" 'doc["elapsed"] = float("inf")'
bad fraction "totals.failures: 0.5 is not a whole number" 'doc["totals"]["failures"] = 0.5'
bad status_code "totals.status.abc: not a status code" 'doc["totals"]["status"]["abc"] = 1'
bad no_name "groups[0].names[0]: a request name's statistics have no name" \
    'del doc["groups"][0]["names"][0]["name"]'
bad many_buckets "totals.latency.buckets: 70000 elements" \
    'doc["totals"]["latency"]["buckets"] = [[1, 2, 1]] * 70000'
bad group_series "groups[0].series[0].requests: -3 is negative" \
    'doc["groups"][0]["series"][0]["requests"] = -3'
bad group_series_type "groups[0].series: an object where an array belongs" \
    'doc["groups"][0]["series"] = {}'

# The good report prints, alone and merged with itself.
run_throng "$WORK/out" report "$WORK/good.json"
expect_rc 0 "$WORK/out"
expect_grep "requests" "$WORK/out"
run_throng "$WORK/out" report "$WORK/good.json" "$WORK/good.json" --json "$WORK/twice.json"
expect_rc 0 "$WORK/out"
python3 - "$WORK/good.json" "$WORK/twice.json" <<'PY' || fail "merging a report with itself"
import json, sys
one, two = (json.load(open(p)) for p in sys.argv[1:])
assert two["totals"]["requests"] == 2 * one["totals"]["requests"], (one["totals"], two["totals"])
PY
echo "ok"
