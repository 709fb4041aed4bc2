# The home: a composite of groups built with create/add/update, run in the
# background under a supervisor, inspected with status, log and report,
# and stopped with no process left behind.
. "$(dirname "$0")/lib.sh"
SCRIPTS="${THRONG_SOURCE:?}/scripts"
H="$WORK/home"

start_server S
start_server SLOW --latency 30s # its requests are still in flight when the home stops
home() { timeout 60 "$THRONG" "$@" --home "$H"; }

# alive PID: 0 when PID runs (a zombie waiting to be reaped does not count).
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
status_pid() { sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$H/state/$1.status"; }
wait_for() { # wait_for SECONDS COMMAND...: until COMMAND succeeds
    local end=$(($(date +%s) + $1))
    shift
    until "$@"; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.2
    done
}
cleanup_home() { timeout 30 "$THRONG" stop --home "$H" >/dev/null 2>&1; }
trap 'cleanup_home; cleanup' EXIT

# Built as the layer-cake composite is: add, then tune with update.
home create >"$WORK/create.out" || fail "create: $(cat "$WORK/create.out")"
[ "$(stat -c %a "$H")" = 700 ] || fail "the home is not owner-only: $(stat -c %a "$H")"
home create >"$WORK/again.out" 2>&1 && fail "a second create should refuse"
home add clients_as_threads.py watchdog >/dev/null || fail "add watchdog"
home update watchdog --client-type=watch_dog.ConnectAndRequest --thread-count=1 --request-count=1000 \
    --slow-down=2.0 --server-address="$S_ADDR" -- every=0.5 >/dev/null || fail "update watchdog"
home add clients_as_processes.py typical >/dev/null || fail "add typical"
home update typical --client-type=typical_user.ConnectAndRequest --process-count=2 --thread-count=3 \
    --request-count=8 --slow-down=0.05 --server-address="$S_ADDR" >/dev/null || fail "update typical"
home add "$SCRIPTS/expert.lua" expert -s "$S_ADDR" -c 2 --request-count 2 --slow-down 100ms >/dev/null ||
    fail "add expert"
home add table slow -s "$SLOW_ADDR" -c 3 --timeout 60s >/dev/null || fail "add slow"
home update expert --bogus=1 >"$WORK/bad.out" 2>&1 && fail "update with a bad flag should refuse"
expect_grep "throng update: unknown flag --bogus" "$WORK/bad.out"
home add table expert >"$WORK/dup.out" 2>&1 && fail "a second group named expert"
# add checks its persona as a run would: a built-in name, or a script that
# exists (from where the command was typed) and loads.
home add no_such_persona >"$WORK/nobuiltin.out" 2>&1 && fail "add took an unknown persona"
# Its messages name the command typed, not the run it checks as.
expect_grep "throng add: unknown persona 'no_such_persona'" "$WORK/nobuiltin.out"
home add "$WORK/missing.lua" missing >"$WORK/nofile.out" 2>&1 && fail "add took a missing script"
expect_grep "throng add: cannot open $WORK/missing.lua" "$WORK/nofile.out"
printf 'return { request = function( end }\n' >"$WORK/broken.lua"
(cd "$WORK" && timeout 30 "$THRONG" add broken.lua --home "$H") >"$WORK/broken.out" 2>&1 &&
    fail "add took a script that does not load"
expect_grep "broken.lua:1: <name> or '...' expected near 'end'" "$WORK/broken.out"
home add url nourl >"$WORK/nourl.out" 2>&1 && fail "add took the url persona without a URL"
expect_grep "give url=URL or urls=FILE" "$WORK/nourl.out"
[ ! -e "$H/groups/missing" ] && [ ! -e "$H/groups/broken" ] && [ ! -e "$H/groups/no_such_persona" ] &&
    [ ! -e "$H/groups/nourl" ] ||
    fail "a refused add left a group: $(ls "$H/groups")"
grep -q -- "--slow-down=2.0" "$H/groups/watchdog" || fail "update did not keep --slow-down"
# A group whose script is gone by the time it starts: its run refuses it.
printf 'return { request = function() return nil end }\n' >"$WORK/gone.lua"
home add "$WORK/gone.lua" gone -s "$S_ADDR" >/dev/null || fail "add gone"
rm "$WORK/gone.lua"

# Started in the background; a second start fails.
home start >"$WORK/start.out" || fail "start: $(cat "$WORK/start.out")"
# At once: a group whose process has not said its figures yet is starting,
# never "stopped".
home status >"$WORK/starting.out"
grep -Eq "^(watchdog|typical|expert|slow) +stopped" "$WORK/starting.out" &&
    fail "a group starting said stopped: $(cat "$WORK/starting.out")"
grep -Eq "^(watchdog|typical|expert|slow) +(starting|<[0-9]+>)" "$WORK/starting.out" ||
    fail "status at the start: $(cat "$WORK/starting.out")"
supervisor=$(sed -n 's/.*supervisor pid \([0-9]*\).*/\1/p' "$WORK/start.out")
alive "$supervisor" || fail "no supervisor running"
home start >"$WORK/start2.out" 2>&1 && fail "a second start should fail"
# --help only tells: it neither stops nor starts anything.
home stop --help >"$WORK/stophelp.out" 2>&1 || fail "stop --help: $(cat "$WORK/stophelp.out")"
expect_grep "usage: throng stop" "$WORK/stophelp.out"
home start --help >/dev/null 2>&1 || fail "start --help failed"
sleep 0.5
alive "$supervisor" || fail "throng stop --help stopped the home"
expect_grep "already running" "$WORK/start2.out"
for g in watchdog typical expert slow; do
    wait_for 10 test -s "$H/state/$g.status" || fail "group $g wrote no status"
done
sleep 2

home status >"$WORK/status.out"
# The refused group says why it stopped: its run's own words.
expect_grep "gone             stopped: process exited with status 2; last error: throng run: cannot open $WORK/gone.lua" \
    "$WORK/status.out"
expect_grep "; not restarted" "$WORK/status.out"
for g in watchdog typical expert; do
    grep -Eq "^$g +<[0-9]+> [0-9]+s$" "$WORK/status.out" || fail "status of $g: $(cat "$WORK/status.out")"
done
home status --long >"$WORK/long.out"
grep -Eq "^typical +<[0-9]+> [0-9]+s +[0-9.]+ requests/s +0 failures +p99 " "$WORK/long.out" ||
    fail "status --long: $(cat "$WORK/long.out")"

# Logs of a period.
home log expert --back=1h >"$WORK/log.out" || fail "log"
expect_grep "supervisor: expert: started process" "$WORK/log.out"
expect_grep "info: run started" "$WORK/log.out"
home log expert --back=bogus >/dev/null 2>&1 && fail "log --back=bogus should refuse"
home log expert --since 00:00 >"$WORK/since.out" || fail "log --since"
[ -s "$WORK/since.out" ] || fail "log --since 00:00 printed nothing"

# A group process killed: restarted by the supervisor, and the event logged.
victim=$(status_pid typical)
kill -9 "$victim"
wait_for 10 sh -c "[ \"\$(sed -n 's/.*\"pid\":\([0-9]*\).*/\1/p' '$H/state/typical.status')\" != $victim ]" ||
    fail "typical was not restarted"
home log typical --back=1h >"$WORK/restart.out"
expect_grep "supervisor: typical: process killed by signal 9" "$WORK/restart.out"
expect_grep "restarting in" "$WORK/restart.out"

# The group's report since it started.
sleep 1.5
home report typical >"$WORK/report.out" 2>&1 || fail "report typical: $(cat "$WORK/report.out")"
expect_grep "typical: 6 clients in 2 processes" "$WORK/report.out"

# Stopped: no process left.
pids="$supervisor $(status_pid watchdog) $(status_pid typical) $(status_pid expert) $(status_pid slow)"
pids="$pids $(pgrep -P "$(status_pid typical)")" # typical's worker processes
home stop >"$WORK/stop.out" || fail "stop: $(cat "$WORK/stop.out")"
expect_grep "stopped" "$WORK/stop.out"
sleep 0.5
for p in $pids; do alive "$p" && fail "process $p outlived throng stop"; done
home status >"$WORK/after.out"
expect_grep "not running" "$WORK/after.out"
expect_grep "typical          stopped by throng stop" "$WORK/after.out"
home report typical >"$WORK/final.out" 2>&1 || fail "report after stop"
# throng stop ends each group as its duration would: a clean end, not an abort.
expect_grep "ended: stopped by throng stop (in-flight requests cancelled)" "$WORK/final.out"
home report slow >"$WORK/slow.out" 2>&1 || fail "report slow after stop: $(cat "$WORK/slow.out")"
expect_grep "ended: stopped by throng stop" "$WORK/slow.out"
expect_no_fault "$WORK/slow.out" aborted
python3 - "$H/state/slow.history.json" <<'PY' || fail "slow's in-flight requests were not cancelled"
import json, sys
doc = json.load(open(sys.argv[1]))
t = doc["totals"]
assert doc["ending"] == "finished", doc["ending"]
assert t["cancelled"] == 3 and t["faulted"] == 0 and not t["faults"], t
PY
# The JSON reports the groups left in the home (each group's history, the
# killed process's figures merged in) balance.
for g in watchdog typical expert slow; do
    [ -s "$H/state/$g.history.json" ] || fail "no report of $g in the home: $(ls "$H/state")"
done
for report in "$H"/state/*.json; do check_ledger "$report"; done
# The process killed before its run ended is in typical's history as lost,
# saying how: the exchanges it had in flight are lost with it.
python3 - "$H/state/typical.history.json" <<'PY' || fail "typical's history does not count its killed process lost"
import json, sys
p = json.load(open(sys.argv[1]))["processes"]
assert p["lost"] >= 1 and "killed by signal 9" in p["sample"], p
PY

# A supervisor that died leaves a stale pid: ignored (its lock is gone), and
# replaced by the next start's.
home start >"$WORK/start3.out" || fail "start again: $(cat "$WORK/start3.out")"
supervisor=$(sed -n 's/.*supervisor pid \([0-9]*\).*/\1/p' "$WORK/start3.out")
wait_for 10 test -s "$H/state/expert.status"
sleep 1
kill -9 "$supervisor"
wait_for 10 sh -c "! kill -0 $(status_pid expert) 2>/dev/null" || fail "a group outlived its killed supervisor"
home status >"$WORK/stale.out"
expect_grep "not running" "$WORK/stale.out"
home start >"$WORK/start4.out" || fail "start after a crash: $(cat "$WORK/start4.out")"
supervisor=$(sed -n 's/.*supervisor pid \([0-9]*\).*/\1/p' "$WORK/start4.out")
[ "$(cat "$H/supervisor.pid")" = "$supervisor" ] || fail "supervisor.pid is not the new supervisor's"
home status >"$WORK/restarted.out"
grep -q "^not running" "$WORK/restarted.out" && fail "status after the new start: $(cat "$WORK/restarted.out")"
home stop >/dev/null || fail "stop"
echo "ok"
