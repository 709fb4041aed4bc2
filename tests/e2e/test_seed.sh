#!/bin/bash
# test_seed.sh - the seed a report gives is exact (text, JSON, HTML), and
# --seed with it repeats the run's random choices (issue 12, point 3).
. "$(dirname "$0")/lib.sh"
start_server S

# A fresh seed, as the reports give it.
run_throng "$WORK/a.txt" run -s "$S_ADDR" -c 1 -n 40 --slow-down 0 -d 20s --json "$WORK/a.json" \
    --html "$WORK/a.html"
expect_rc 0 "$WORK/a.txt"
check_ledger "$WORK/a.json"
seed=$(sed -n 's/^ended: .* (seed \([0-9]*\))$/\1/p' "$WORK/a.txt")
[ -n "$seed" ] || fail "the text report gives no seed: $(cat "$WORK/a.txt")"
json_seed=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["settings"]["seed"])' "$WORK/a.json")
[ "$json_seed" = "$seed" ] || fail "JSON seed $json_seed, text seed $seed"
grep -q ">$seed<" "$WORK/a.html" || fail "the HTML report does not give the seed $seed exactly"

# The same seed: the same table sizes, so the same bytes each way.
bytes() { python3 -c 'import json, sys; t = json.load(open(sys.argv[1]))["totals"]; print(t["bytes_sent"], t["bytes_received"])' "$1"; }
run_throng "$WORK/b.txt" run -s "$S_ADDR" -c 1 -n 40 --slow-down 0 -d 20s --seed "$seed" \
    --json "$WORK/b.json"
expect_rc 0 "$WORK/b.txt"
check_ledger "$WORK/b.json"
[ "$(bytes "$WORK/a.json")" = "$(bytes "$WORK/b.json")" ] ||
    fail "--seed $seed did not repeat the run: $(bytes "$WORK/a.json") vs $(bytes "$WORK/b.json")"
run_throng "$WORK/c.txt" run -s "$S_ADDR" -c 1 -n 40 --slow-down 0 -d 20s --seed $((seed + 1)) \
    --json "$WORK/c.json"
[ "$(bytes "$WORK/a.json")" != "$(bytes "$WORK/c.json")" ] || fail "another seed gave the same run"

# The largest seed a report holds exactly, and one past it.
run_throng "$WORK/max.txt" run -s "$S_ADDR" -c 1 -n 5 --seed 4503599627370495 --json "$WORK/max.json"
expect_rc 0 "$WORK/max.txt"
expect_grep "(seed 4503599627370495)" "$WORK/max.txt"
grep -q '"seed":[[:space:]]*4503599627370495' "$WORK/max.json" || fail "JSON seed not exact: $(grep -o '"seed":[^,]*' "$WORK/max.json")"
run_throng "$WORK/over.txt" run -s "$S_ADDR" --seed 4503599627370496
expect_rc 2 "$WORK/over.txt"
expect_grep "--seed must be between 0 and 4503599627370495" "$WORK/over.txt"
echo PASS
