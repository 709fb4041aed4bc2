#!/usr/bin/env bash
# test_examples.sh - the example programs of examples/, as the project built
# them, against `throng serve`: smoke-check passes against a healthy server,
# fails with status 1 and a line naming the limit against a slow one
# (--max-p99) and a wrong one (--max-error-rate), refuses bad usage with
# status 2, ends with status 3 on SIGINT; register-function's C function is
# called by its persona.
#
# Needs THRONG (the built binary; the examples are found under its build
# directory) and THRONG_SOURCE; uses only 127.0.0.1 and ephemeral ports.
. "$(dirname "$0")/lib.sh"

SOURCE=${THRONG_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=$(cd "$(dirname "$THRONG")" && pwd)

find_example() {
    find "$BUILD" -path "$BUILD/CMakeFiles" -prune -o -type f -name "$1" -perm -u+x -print |
        head -1
}
SMOKE=$(find_example smoke-check)
REGISTER=$(find_example register-function)
if [ -z "$SMOKE" ] || [ -z "$REGISTER" ]; then
    echo "skipped: the examples are not built (THRONG_EXAMPLES=OFF?) under $BUILD"
    exit 77 # ctest's SKIP_RETURN_CODE: reported as skipped, not passed
fi

# run OUT cmd...: runs a command, bounded, output in OUT; sets RC.
run() {
    local out=$1
    shift
    timeout 30 "$@" >"$out" 2>&1
    RC=$?
}

start_server good --threads 2
start_server slow --latency 50ms
start_server wrong --wrong-size 1

# A healthy server, sane limits: PASS, status 0.
run "$WORK/pass.out" "$SMOKE" -d 1 -c 3 --max-error-rate 1 --max-p99 1000 "$good_ADDR"
expect_rc 0 "$WORK/pass.out"
expect_grep "smoke-check: PASS $good_ADDR" "$WORK/pass.out"
[ "$(wc -l <"$WORK/pass.out")" -eq 1 ] || fail "a pass is one line:
$(cat "$WORK/pass.out")"
# The other forms of the flags and of the URL.
run "$WORK/pass2.out" "$SMOKE" --duration=1 --clients=2 --max-p99=1000 "http://$good_ADDR/"
expect_rc 0 "$WORK/pass2.out"
expect_grep "PASS" "$WORK/pass2.out"
# A persona script instead of the built-in persona.
run "$WORK/script.out" "$SMOKE" -d 1 -c 2 --persona "$SOURCE/scripts/typical.lua" "$good_ADDR"
expect_rc 0 "$WORK/script.out"
expect_grep "PASS" "$WORK/script.out"

# 50 ms of service time against a 10 ms p99 limit: FAIL, status 1, why.
run "$WORK/slow.out" "$SMOKE" -d 1 -c 2 --max-p99 10 "$slow_ADDR"
expect_rc 1 "$WORK/slow.out"
expect_grep "smoke-check: FAIL $slow_ADDR" "$WORK/slow.out"
expect_grep "is over --max-p99 10 ms" "$WORK/slow.out"
grep -q -- "--max-error-rate" "$WORK/slow.out" && fail "only the p99 failed:
$(cat "$WORK/slow.out")"

# Every answer wrong: the error rate fails, with the persona's reason.
run "$WORK/wrong.out" "$SMOKE" -d 1 -c 2 "$wrong_ADDR"
expect_rc 1 "$WORK/wrong.out"
expect_grep "smoke-check: FAIL $wrong_ADDR" "$WORK/wrong.out"
expect_grep "is over --max-error-rate 1%" "$WORK/wrong.out"
expect_grep "not the matching table" "$WORK/wrong.out"

# Nothing listening: no answer at all is a failure too.
run "$WORK/refused.out" "$SMOKE" -d 1 -c 1 127.0.0.1:1
expect_rc 1 "$WORK/refused.out"
expect_grep "no request was answered" "$WORK/refused.out"

# Usage errors: status 2, a message, nothing run.
run "$WORK/nourl.out" "$SMOKE" -d 1
expect_rc 2 "$WORK/nourl.out"
expect_grep "URL" "$WORK/nourl.out"
run "$WORK/flag.out" "$SMOKE" --frobnicate "$good_ADDR"
expect_rc 2 "$WORK/flag.out"
expect_grep "unknown flag --frobnicate" "$WORK/flag.out"
run "$WORK/num.out" "$SMOKE" --max-p99 fast "$good_ADDR"
expect_rc 2 "$WORK/num.out"
expect_grep "--max-p99" "$WORK/num.out"
run "$WORK/persona.out" "$SMOKE" --persona no-such "$good_ADDR"
expect_rc 2 "$WORK/persona.out"
expect_grep "no-such" "$WORK/persona.out"
run "$WORK/addr.out" "$SMOKE" 127.0.0.1:99999
expect_rc 2 "$WORK/addr.out"
expect_grep "99999" "$WORK/addr.out"
run "$WORK/help.out" "$SMOKE" --help
expect_rc 0 "$WORK/help.out"
expect_grep "exit status" "$WORK/help.out"

# SIGINT: the run stops at once, no verdict, status 3. The signal must
# reach smoke-check itself, not a wrapper such as timeout (which passes it
# on to its whole process group: a second SIGINT ends smoke-check the usual
# way), so a watchdog bounds it instead.
"$SMOKE" -d 20 -c 2 "$good_ADDR" >"$WORK/int.out" 2>&1 &
pid=$!
(for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || exit 0
    sleep 0.1
done
kill -9 "$pid") 2>/dev/null &
sleep 0.5
started=$SECONDS
kill -INT "$pid"
wait "$pid"
RC=$?
expect_rc 3 "$WORK/int.out"
expect_grep "interrupted" "$WORK/int.out"
[ $((SECONDS - started)) -le 2 ] || fail "smoke-check took $((SECONDS - started)) s to stop"

# register-function: its persona calls the C function on every answer.
run "$WORK/register.out" "$REGISTER" "$good_ADDR" "$SOURCE/examples/register-function.lua"
expect_rc 0 "$WORK/register.out"
calls=$(sed -n 's/^throng.checksum was called \([0-9]*\) times.*/\1/p' "$WORK/register.out")
requests=$(sed -n 's/^the run: \([0-9]*\) requests.*/\1/p' "$WORK/register.out")
[ -n "$calls" ] && [ "$calls" -gt 0 ] || fail "no call counted:
$(cat "$WORK/register.out")"
[ "$calls" = "$requests" ] || fail "$calls calls for $requests requests:
$(cat "$WORK/register.out")"
run "$WORK/register-usage.out" "$REGISTER" "$good_ADDR"
expect_rc 2 "$WORK/register-usage.out"
expect_grep "usage" "$WORK/register-usage.out"

echo "ok: examples"
