#!/bin/bash
# test_shards.sh - throng run --shard I/N (issue 16, point 1) from the
# command line: flags refused naming themselves; URL mode, the open model
# and a plan (with its run table) divided so the shards add up to the
# whole; a shard's seed repeats; --start-at holds the load; and throng
# report merges the shards, refusing what is not one run's.
. "$(dirname "$0")/lib.sh"
start_server S

field() { # field FILE EXPR: a value of a JSON report, as Python reads d[...]
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# Flags that are wrong say which, and run nothing.
run_throng "$WORK/e1.txt" run -s "$S_ADDR" --shard 3/3
expect_rc 2 "$WORK/e1.txt"
expect_grep "--shard 3/3: shard must be below 3" "$WORK/e1.txt"
run_throng "$WORK/e2.txt" run -s "$S_ADDR" --shard 2
expect_rc 2 "$WORK/e2.txt"
expect_grep "--shard 2: give I/N" "$WORK/e2.txt"
run_throng "$WORK/e3.txt" run -s "$S_ADDR" --start-at 2026-01-01T00:00:00
expect_rc 2 "$WORK/e3.txt"
expect_grep "--start-at 2026-01-01T00:00:00: " "$WORK/e3.txt"
run_throng "$WORK/e4.txt" run -s "$S_ADDR" --shard 0/2 --run-id 'no spaces'
expect_rc 2 "$WORK/e4.txt"
expect_grep "run_id 'no spaces'" "$WORK/e4.txt"
run_throng "$WORK/show.txt" run -s "$S_ADDR" -c 7 --shard 1/3 --run-id r1 --show-config
expect_rc 0 "$WORK/show.txt"
expect_grep "shard            1 of 3" "$WORK/show.txt"
echo "ok: bad --shard, --start-at and --run-id are refused, naming the flag"

# URL mode: 5 clients and 101 requests over 2 shards, against the server's count.
before=$(status_field "$S_ADDR" requests)
for i in 0 1; do
    timeout 60 "$THRONG" run "http://$S_ADDR/Xy?x=2&y=3" -c 5 -n 101 --shard $i/2 --quiet \
        --json "$WORK/u$i.json" >"$WORK/u$i.txt" 2>&1 &
    pids="${pids:-} $!"
done
wait $pids # not the server's
pids=""
after=$(status_field "$S_ADDR" requests)
for i in 0 1; do check_ledger "$WORK/u$i.json"; done
[ "$(field "$WORK/u0.json" 'd["totals"]["sent"]')" = 51 ] || fail "shard 0 of 101 requests sent $(field "$WORK/u0.json" 'd["totals"]["sent"]')"
[ "$(field "$WORK/u1.json" 'd["totals"]["sent"]')" = 50 ] || fail "shard 1 of 101 requests sent $(field "$WORK/u1.json" 'd["totals"]["sent"]')"
[ "$(field "$WORK/u0.json" 'd["groups"][0]["clients"]')" = 3 ] || fail "shard 0 of 5 clients did not run 3"
run_throng "$WORK/um.txt" report "$WORK/u0.json" "$WORK/u1.json" --json "$WORK/um.json" \
    --html "$WORK/um.html"
expect_rc 0 "$WORK/um.txt"
expect_grep "of 2 shards merged exactly" "$WORK/um.txt"
grep -q "2 of 2 shards merged exactly" "$WORK/um.html" || fail "the HTML report does not say it merged 2 shards"
check_ledger "$WORK/um.json"
answered=$(field "$WORK/um.json" 'd["totals"]["requests"]')
cancelled=$(field "$WORK/um.json" 'd["totals"]["cancelled"]')
served=$((after - before))
[ "$served" -ge "$answered" ] && [ "$served" -le $((answered + cancelled)) ] ||
    fail "merged: $answered answered ($cancelled cancelled), the server answered $served"
[ "$(field "$WORK/um.json" 'd["totals"]["sent"]')" = 101 ] || fail "merged: not 101 requests sent"
echo "ok: URL mode, 101 requests over 2 shards: 51 + 50, the server answered $served"

# The open model: 200 arrivals a second over 2 shards, each 100/s.
for i in 0 1; do
    timeout 60 "$THRONG" run -s "$S_ADDR" --rate 200 -d 2s --slow-down 0 --shard $i/2 --quiet \
        --json "$WORK/o$i.json" >"$WORK/o$i.txt" 2>&1 &
    pids="$pids $!"
done
wait $pids
for i in 0 1; do
    [ "$(field "$WORK/o$i.json" 'd["groups"][0]["load"]["rate"]')" = 100 ] ||
        fail "shard $i's rate is not 100/s: $(field "$WORK/o$i.json" 'd["groups"][0]["load"]')"
done
run_throng "$WORK/om.txt" report "$WORK/o0.json" "$WORK/o1.json" --json "$WORK/om.json"
expect_rc 0 "$WORK/om.txt"
arrivals=$(field "$WORK/om.json" 'd["totals"]["arrivals"]')
[ "$arrivals" -ge 390 ] && [ "$arrivals" -le 402 ] || fail "merged: $arrivals arrivals, not 2 s of 200/s"
[ "$(field "$WORK/om.json" 'd["groups"][0]["load"]["rate"]')" = 200 ] || fail "merged rate not 200/s"
echo "ok: the open model, 200/s over 2 shards: $arrivals arrivals merged"

# A plan's run table; the command line's --shard wins over it.
cat >"$WORK/plan.lua" <<'LUA'
return {
  run = { shard = "1/2", id = "plan-run" },
  big = { persona = "table", clients = 5, slow_down = "10ms", big_table = 5 },
  one = { persona = "table", clients = 1, slow_down = "10ms", big_table = 5 },
}
LUA
run_throng "$WORK/p1.txt" run "$WORK/plan.lua" -s "$S_ADDR" -n 40 --quiet --json "$WORK/p1.json"
expect_rc 0 "$WORK/p1.txt"
expect_grep "run plan-run: shard 1 of 2" "$WORK/p1.txt"
run_throng "$WORK/p0.txt" run "$WORK/plan.lua" -s "$S_ADDR" -n 40 --shard 0/2 --quiet \
    --json "$WORK/p0.json"
expect_rc 0 "$WORK/p0.txt"
expect_grep "run plan-run: shard 0 of 2" "$WORK/p0.txt"
clients() { field "$1" '" ".join(str(g["clients"]) for g in sorted(d["groups"], key=lambda g: g["name"]))'; }
# 'big' (first) gives shard 0 the larger share, 'one' (second) shard 1.
[ "$(clients "$WORK/p0.json")" = "3 0" ] || fail "plan shard 0 ran clients $(clients "$WORK/p0.json"), not big 3, one 0"
[ "$(clients "$WORK/p1.json")" = "2 1" ] || fail "plan shard 1 ran clients $(clients "$WORK/p1.json"), not big 2, one 1"
run_throng "$WORK/pm.txt" report "$WORK/p0.json" "$WORK/p1.json" --json "$WORK/pm.json"
expect_rc 0 "$WORK/pm.txt"
[ "$(clients "$WORK/pm.json")" = "5 1" ] || fail "merged plan clients $(clients "$WORK/pm.json")"
[ "$(field "$WORK/pm.json" 'd["totals"]["sent"]')" = 40 ] || fail "merged plan: not 40 requests sent"
cat >"$WORK/bad-plan.lua" <<'LUA'
return { run = { shard = "2/2" }, big = { persona = "table" } }
LUA
run_throng "$WORK/pb.txt" run "$WORK/bad-plan.lua" -s "$S_ADDR"
expect_rc 2 "$WORK/pb.txt"
expect_grep "run: shard '2/2': shard must be below N" "$WORK/pb.txt"
echo "ok: a plan's run table, divided by group, the flag winning over it"

# A shard without a client waits out the run's duration with its peers,
# and ends as they do.
run_throng "$WORK/idle.txt" run -s "$S_ADDR" -c 1 -d 1s --shard 2/3 --json "$WORK/idle.json"
expect_rc 0 "$WORK/idle.txt"
expect_grep "ended: duration reached after 1" "$WORK/idle.txt"
[ "$(field "$WORK/idle.json" 'd["groups"][0]["clients"]')" = 0 ] || fail "shard 2 of 1 client ran one"
run_throng "$WORK/idle1.txt" run -s "$S_ADDR" --once --shard 1/3
expect_rc 0 "$WORK/idle1.txt"
expect_grep "ended: every client ran its one session" "$WORK/idle1.txt"
echo "ok: a shard without a client ends with the run, as its peers"

# A shard's seed repeats; without --seed the shards of one command line agree on one.
bytes() { field "$1" '(d["totals"]["bytes_sent"], d["totals"]["bytes_received"])'; }
for r in a b; do
    run_throng "$WORK/s$r.txt" run -s "$S_ADDR" -c 2 -n 60 --slow-down 0 --shard 1/2 --seed 77 \
        --json "$WORK/s$r.json"
    expect_rc 0 "$WORK/s$r.txt"
done
[ "$(bytes "$WORK/sa.json")" = "$(bytes "$WORK/sb.json")" ] || fail "--seed 77 --shard 1/2 did not repeat"
run_throng "$WORK/sc.txt" run -s "$S_ADDR" -c 2 -n 60 --slow-down 0 --shard 0/2 --seed 77 --json "$WORK/sc.json"
[ "$(bytes "$WORK/sa.json")" != "$(bytes "$WORK/sc.json")" ] || fail "shards 0 and 1 drew the same choices"
[ "$(field "$WORK/sc.json" 'd["settings"]["seed"]')" = 77 ] || fail "a shard's report does not give the run's seed"
for r in d e; do
    run_throng "$WORK/s$r.txt" run -s "$S_ADDR" -c 2 -n 60 --slow-down 0 --shard 1/2 --json "$WORK/s$r.json"
done
[ "$(field "$WORK/sd.json" 'd["settings"]["seed"]')" = "$(field "$WORK/se.json" 'd["settings"]["seed"]')" ] ||
    fail "two shards of one command line derived different seeds"
[ "$(bytes "$WORK/sd.json")" = "$(bytes "$WORK/se.json")" ] || fail "the derived seed did not repeat"
echo "ok: a shard's seed repeats, and differs from another shard's"

# --start-at holds the load until then; the report gives the agreed start.
at=$(($(date +%s) + 5)) # a loaded sanitizer build takes seconds to reach the wait
t0=$(date +%s.%N)
run_throng "$WORK/at.txt" run -s "$S_ADDR" -c 1 -n 3 --shard 0/2 --start-at "$at" --json "$WORK/at.json"
expect_rc 0 "$WORK/at.txt"
[ "$(field "$WORK/at.json" 'd["run"]["start"]')" = "$at" ] || fail "run.start $(field "$WORK/at.json" 'd["run"]["start"]'), not $at"
[ "$(python3 -c "print(int($(date +%s.%N) - $t0 >= $at - $t0 - 0.05))")" = 1 ] || fail "the run did not wait for --start-at"
echo "ok: --start-at held the load until the agreed time"

# throng report refuses mixing a shard with a whole run, naming it.
run_throng "$WORK/whole.txt" run -s "$S_ADDR" -c 1 -n 3 --json "$WORK/whole.json"
run_throng "$WORK/mix.txt" report "$WORK/u0.json" "$WORK/whole.json"
expect_rc 2 "$WORK/mix.txt"
expect_grep "whole.json is not a shard's report" "$WORK/mix.txt"
run_throng "$WORK/sbs.txt" report "$WORK/u0.json" "$WORK/whole.json" --side-by-side
expect_rc 0 "$WORK/sbs.txt"
expect_grep "merged side by side: 2 reports of separate runs" "$WORK/sbs.txt"

# Pods started with one command line derive one run id: a plan's args
# table (two keys, whose order a Lua table does not keep from one process
# to the next) must not change it.
ids=""
for i in 1 2 3 4 5 6; do
    run_throng "$WORK/id$i.txt" run "$(dirname "$0")/plans/two_groups.lua" -s "$S_ADDR" -n 40 \
        --shard 1/2 --quiet --json "$WORK/id$i.json"
    expect_rc 0 "$WORK/id$i.txt"
    ids="$ids $(field "$WORK/id$i.json" 'd["run"]["id"]')"
done
[ "$(echo $ids | tr ' ' '\n' | sort -u | wc -l)" = 1 ] || fail "one command line derived several run ids:$ids"
echo "ok: six processes of one plan derived one run id"
echo PASS
