# Log lines that cannot be written are never lost silently. A --log file
# that fails (a full disk: /dev/full) is said once on stderr with its name
# and why, the lines it did not take are counted, and the run ends with
# status 6, in one process or with worker processes (-p 2), which write
# their own lines. Lines dropped because nobody reads stderr are counted in
# worker processes too. The supervisor of a home on a full disk says it
# could not write supervisor.log (throng start exits 6) and, once the disk
# has room again, writes how many lines it lost (this part needs to mount
# a tmpfs, as root; skipped where it cannot).
. "$(dirname "$0")/lib.sh"

start_server S

# A log file that takes everything: status 0, every process's lines in it.
run_throng "$WORK/ok.out" run -s "$S_ADDR" -c 4 -p 2 -d 1s -q --log "$WORK/ok.log" --log-level info
expect_rc 0 "$WORK/ok.out"
[ "$(grep -c 'worker process [0-9]* running' "$WORK/ok.log")" -eq 2 ] ||
    fail "the log file lacks the worker processes' lines: $(cat "$WORK/ok.log")"

# A log file that takes nothing, with worker processes logging every event.
run_throng "$WORK/full.out" run -s "$S_ADDR" -c 4 -p 2 --slow-down 20ms -d 2s -q --log /dev/full \
    --log-level debug
expect_rc 6 "$WORK/full.out"
said=$(grep -c "^throng run: cannot write --log /dev/full: No space left on device$" "$WORK/full.out")
[ "$said" -eq 1 ] || fail "the failure should be said once, not $said times: $(cat "$WORK/full.out")"
lost=$(sed -n 's|^throng run: \([0-9]*\) log lines could not be written to --log /dev/full$|\1|p' \
    "$WORK/full.out")
# Each of the 4 clients logs several events per request, at about 50
# requests/s each: far more lines than the parent alone would log.
[ "${lost:-0}" -gt 200 ] || fail "lost lines not counted (or too few): $(cat "$WORK/full.out")"
n=$(report_count "$WORK/full.out" requests)
[ "${n:-0}" -gt 50 ] || fail "a failing log file stopped the run: $(cat "$WORK/full.out")"

# In one process, and in place of 5 (a threshold not met).
run_throng "$WORK/one.out" run -s "$S_ADDR" -c 2 -d 1s -q --log /dev/full --log-level info \
    --threshold 'rate>1000000'
expect_rc 6 "$WORK/one.out"
expect_grep "throng run: cannot write --log /dev/full: No space left on device" "$WORK/one.out"
grep -Eq "^throng run: [0-9]+ log lines? could not be written to --log /dev/full$" "$WORK/one.out" ||
    fail "no count of the lost lines: $(cat "$WORK/one.out")"

# late OUT AFTER args...: runs throng with stderr a pipe filled to the
# brim, which is read only AFTER seconds later; OUT gets "rc STATUS" and
# throng's stdout, OUT.err what the reader read.
late() {
    local out=$1 after=$2
    shift 2
    python3 - "$out" "$after" "$THRONG" "$@" <<'PY'
import fcntl, os, subprocess, sys, threading, time
out, after, argv = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
r, w = os.pipe()
flags = fcntl.fcntl(w, fcntl.F_GETFL)
fcntl.fcntl(w, fcntl.F_SETFL, flags | os.O_NONBLOCK)
try:
    while True:
        os.write(w, b"#" * 4095 + b"\n")
except BlockingIOError:
    pass
fcntl.fcntl(w, fcntl.F_SETFL, flags)
got = []
def reader():
    time.sleep(after)
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        got.append(b)
threading.Thread(target=reader, daemon=True).start()
p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=w)
os.close(w)
try:
    stdout, _ = p.communicate(timeout=30)
except subprocess.TimeoutExpired:
    p.kill()
    stdout, _ = p.communicate()
time.sleep(0.5)
with open(out, "w") as f:
    f.write("rc %d\n" % p.returncode)
    f.write(stdout.decode())
with open(out + ".err", "wb") as f:
    f.write(b"".join(got).replace(b"#" * 4095 + b"\n", b""))
PY
}

# Worker processes' lines dropped because stderr is a full pipe that is
# read only after the run: counted with the parent's.
# (many clients asking fast, so that a sanitized build too fills the pipe)
late "$WORK/late" 2.4 run -s "$S_ADDR" -c 16 -p 2 --slow-down 5ms -d 2s -q --log-level debug
grep -q "^rc 0$" "$WORK/late" || fail "blocked stderr: $(cat "$WORK/late")"
workers=$(sed -n 's/^throng run: [0-9]* log lines dropped: .* (\([0-9]*\) of them in worker processes)$/\1/p' \
    "$WORK/late.err")
[ "${workers:-0}" -gt 0 ] ||
    fail "no count of the worker processes' dropped lines: $(grep -v '^20' "$WORK/late.err" | tail -5)"

# A message of three lines, from worker processes whose stderr is read
# again after a second: what they queued is written then, and whatever is
# said dropped is counted as the lines it was, never as a count gone wild.
cat >"$WORK/multiline.lua" <<'LUA'
local throng = require "throng"
local P = {}
function P:request()
  throng.log("warn", "one\ntwo\nthree")
  return { method = "GET", path = "/Xy?x=1&y=1", name = "t" }
end
return P
LUA
late "$WORK/multi" 1 run "$WORK/multiline.lua" -s "$S_ADDR" -c 4 -p 2 --slow-down 20ms -d 2s -q
grep -q "^rc 0$" "$WORK/multi" || fail "multi-line messages: $(cat "$WORK/multi")"
n=$(report_count "$WORK/multi" requests)
dropped=$(sed -n 's/^throng run: \([0-9]*\) log lines dropped: .* in worker processes)$/\1/p' "$WORK/multi.err")
[ "${n:-0}" -gt 50 ] && [ "${dropped:-0}" -le $((3 * n + 100)) ] ||
    fail "$dropped lines dropped for $n requests of 3 lines each: $(grep -v '^20' "$WORK/multi.err" | tail -5)"

# --- the supervisor's log on a full disk ----------------------------------------

FULL="$WORK/full"
mkdir -p "$FULL"
if ! mount -t tmpfs -o size=256k tmpfs "$FULL" 2>/dev/null; then
    echo "ok (the supervisor's part skipped: cannot mount a tmpfs here)"
    exit 0
fi
H="$FULL/home"
home() { timeout 60 "$THRONG" "$@" --home "$H"; }
trap 'timeout 30 "$THRONG" stop --home "$H" >/dev/null 2>&1; umount "$FULL" 2>/dev/null; cleanup' EXIT
home create >/dev/null || fail "create"
# A short run, so that the supervisor restarts it (and notes it) every
# couple of seconds.
home add table watch -s "$S_ADDR" -c 1 --slow-down 200ms -d 1s >/dev/null || fail "add"
home start >"$WORK/start.out" || fail "start: $(cat "$WORK/start.out")"
end=$(($(date +%s) + 20))
until grep -q "watch: process exited" "$H/supervisor.log" 2>/dev/null; do
    [ "$(date +%s)" -lt "$end" ] || fail "the group was not restarted: $(cat "$H/supervisor.log")"
    sleep 0.2
done

# The disk fills up; supervisor.log (moved aside, so that a line needs a
# new page) cannot take the next restarts' lines.
dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null
[ "$(df --output=avail "$FULL" | tail -1)" -eq 0 ] || fail "the tmpfs is not full: $(df "$FULL")"
# The group's own files come and go as it restarts, and a page one frees
# must not let a log line in: a second filler takes any room that appears.
(
    until [ -e "$WORK/refill.stop" ]; do
        dd if=/dev/zero of="$FULL/filler2" bs=4k oflag=append conv=notrunc 2>/dev/null
        sleep 0.02
    done
) &
refill=$!
# The group's stdout (its last report) is truncated when it restarts, and
# the supervisor's next line would land in the page that frees, before the
# filler could take it: it is emptied now, its page left to the filler,
# and supervisor.log is moved aside only then.
: >"$H/logs/watch.out"
sleep 0.3
mv "$H/supervisor.log" "$H/supervisor.log.old"
sleep 5
touch "$WORK/refill.stop"
wait "$refill"
[ -s "$H/supervisor.log" ] && fail "supervisor.log took lines on a full disk: $(cat "$H/supervisor.log")"

# Room again: supervisor.log first says what it lost.
rm -f "$FULL/filler" "$FULL/filler2"
end=$(($(date +%s) + 20))
until grep -Eq "supervisor: [0-9]+ lines? lost \(the first: cannot write $H/supervisor.log: No space left on device\)" \
    "$H/supervisor.log" 2>/dev/null; do
    [ "$(date +%s)" -lt "$end" ] || fail "supervisor.log never said what it lost: $(cat "$H/supervisor.log" 2>&1)"
    sleep 0.5
done
sleep 0.5 # the line that found the room, written just after the count
head -1 "$H/supervisor.log" | grep -q " lost (the first: " &&
    [ "$(wc -l <"$H/supervisor.log")" -ge 2 ] ||
    fail "the count should come first, then the line: $(cat "$H/supervisor.log")"
home stop >/dev/null || fail "stop"
# A log that is not a regular file (a FIFO here; /dev/null as root) is
# never rolled over: renaming it would move the device or FIFO away and
# leave a regular file in its place.
mkfifo "$WORK/logfifo"
timeout 30 cat "$WORK/logfifo" >"$WORK/logfifo.txt" &
reader=$!
run_throng "$WORK/fifo.out" run -s "$S_ADDR" -c 2 --slow-down 20ms -d 1s -q --log "$WORK/logfifo" \
    --log-level debug --log-max 2000
expect_rc 0 "$WORK/fifo.out"
[ -p "$WORK/logfifo" ] || fail "--log replaced the FIFO with a file"
[ ! -e "$WORK/logfifo.1" ] || fail "--log rolled the FIFO over to logfifo.1"
wait "$reader"
[ "$(wc -c <"$WORK/logfifo.txt")" -gt 2000 ] || fail "the FIFO's reader got too little of the log"
echo "ok"
