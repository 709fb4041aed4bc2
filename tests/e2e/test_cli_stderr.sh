# A stderr nobody reads never slows the run: the progress line and the log
# lines are written without waiting, dropped when the pipe is full, and
# counted ("N log lines dropped") once the pipe takes a line again.
. "$(dirname "$0")/lib.sh"

start_server S

# blocked OUT READ_AFTER args...: runs throng with stderr a pipe filled to
# the brim, whose reader starts reading only READ_AFTER seconds later
# (never, when it is 0); OUT gets "elapsed SECONDS rc STATUS", then
# throng's stdout, and OUT.err what the reader read.
blocked() {
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
fcntl.fcntl(w, fcntl.F_SETFL, flags)  # throng gets a plain, blocking pipe
got = []
def reader():
    time.sleep(after)
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        got.append(b)
if after > 0:
    threading.Thread(target=reader, daemon=True).start()
t = time.monotonic()
p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=w)
os.close(w)
try:
    stdout, _ = p.communicate(timeout=30)
except subprocess.TimeoutExpired:
    p.kill()
    stdout, _ = p.communicate()
took = time.monotonic() - t
time.sleep(0.5 if after > 0 else 0)
with open(out, "w") as f:
    f.write("elapsed %.1f rc %d\n" % (took, p.returncode))
    f.write(stdout.decode())
with open(out + ".err", "wb") as f:
    f.write(b"".join(got).replace(b"#" * 4095 + b"\n", b""))
PY
}
elapsed() { sed -n 's/^elapsed \([0-9]*\).*/\1/p' "$1"; }

# The usual count, with stderr read: think time bounds the rate, so a run
# that is not slowed down makes about as many requests (at least 40% of
# them: a sanitizer build on a busy machine varies that much from run to
# run, and a run that blocked on stderr would make next to none).
run_throng "$WORK/usual.out" run -s "$S_ADDR" -c 4 --slow-down 20ms -d 2s -q
expect_rc 0 "$WORK/usual.out"
usual=$(report_count "$WORK/usual.out" requests)
[ "${usual:-0}" -gt 100 ] || fail "too few requests to compare with: $(cat "$WORK/usual.out")"

# Progress lines into a pipe nobody reads.
blocked "$WORK/progress.out" 0 run -s "$S_ADDR" -c 4 --slow-down 20ms -d 2s --interval 1s
grep -q "^elapsed .* rc 0$" "$WORK/progress.out" || fail "progress: $(cat "$WORK/progress.out")"
[ "$(elapsed "$WORK/progress.out")" -le 4 ] || fail "a 2s run with stderr blocked took too long:
$(cat "$WORK/progress.out")"
n=$(report_count "$WORK/progress.out" requests)
[ "${n:-0}" -ge $((usual * 4 / 10)) ] || fail "with stderr blocked, $n requests against $usual:
$(cat "$WORK/progress.out")"

# Every client event logged, into the same full pipe.
blocked "$WORK/debug.out" 0 run -s "$S_ADDR" -c 4 --slow-down 20ms -d 2s --log-level debug
grep -q "^elapsed .* rc 0$" "$WORK/debug.out" || fail "debug: $(cat "$WORK/debug.out")"
[ "$(elapsed "$WORK/debug.out")" -le 4 ] || fail "a 2s run logging into a blocked stderr took too long:
$(cat "$WORK/debug.out")"
n=$(report_count "$WORK/debug.out" requests)
[ "${n:-0}" -ge $((usual * 4 / 10)) ] || fail "logging into a blocked stderr, $n requests against $usual:
$(cat "$WORK/debug.out")"

# The reader wakes up after the run: it gets whole lines and the count of
# those that were dropped.
blocked "$WORK/late.out" 2.4 run -s "$S_ADDR" -c 4 --slow-down 20ms -d 2s --log-level debug
grep -q "^elapsed .* rc 0$" "$WORK/late.out" || fail "late reader: $(cat "$WORK/late.out")"
grep -Eq "^throng run: [0-9]+ log lines dropped" "$WORK/late.out.err" ||
    fail "no count of dropped lines on stderr: $(tail -5 "$WORK/late.out.err")"
bad=$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+ \[[0-9]+\]|^progress: |^throng run: |^$' \
    "$WORK/late.out.err")
[ "$bad" -eq 0 ] || fail "torn lines on stderr: $(grep -vE '^[0-9]{4}-|^progress: |^throng run: ' \
    "$WORK/late.out.err" | head -3)"
echo "ok"
