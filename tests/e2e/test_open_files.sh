# Open files: a run that needs more descriptors in one process than the
# limit allows is refused before it starts, naming the numbers and the
# ways out; -p auto picks enough processes (--show-config says how many);
# --max-connecting is taken and shown. The limit is lowered in a subshell
# (soft and hard: throng raises the soft one to the hard one).
. "$(dirname "$0")/lib.sh"

# 1000 clients in one process need about 1064 files; the limit is 256.
(ulimit -n 256 && "$THRONG" run -s 127.0.0.1:9 -c 1000 -d 1 -q) >"$WORK/over.out" 2>&1
rc=$?
[ "$rc" = 2 ] || fail "a run over the open-file limit exited $rc: $(cat "$WORK/over.out")"
expect_grep "1000 clients in one process need about 1064 open files, the limit is 256" "$WORK/over.out"
expect_grep "spread them with -p 6 (or -p auto)" "$WORK/over.out"
expect_grep "ulimit -Hn" "$WORK/over.out"
# --show-config checks the same before it shows anything.
(ulimit -n 256 && "$THRONG" run -s 127.0.0.1:9 -c 1000 --show-config) >"$WORK/show-over.out" 2>&1 &&
    fail "--show-config of a run over the limit succeeded: $(cat "$WORK/show-over.out")"
expect_grep "need about 1064 open files" "$WORK/show-over.out"

# Split over processes, each one's share counts: 2 x 500 still too many.
(ulimit -n 256 && "$THRONG" run -s 127.0.0.1:9 -c 1000 -p 2 --show-config) >"$WORK/p2.out" 2>&1 &&
    fail "-p 2 with 500 clients each under a limit of 256 succeeded"
expect_grep "500 clients in each of its processes need about 564 open files" "$WORK/p2.out"

# An open model's explicit pool cap above the limit is refused the same way.
(ulimit -n 256 && "$THRONG" run -s 127.0.0.1:9 -r 10 --max-clients 1000 --show-config) \
    >"$WORK/cap.out" 2>&1 && fail "a pool cap over the open-file limit was taken"
expect_grep "a pool of up to 1000 clients (max_clients) in one process needs about 1064" "$WORK/cap.out"

# -p auto: 1000 clients at 192 a process (256 less 64 of its own) take 6.
(ulimit -n 256 && "$THRONG" run -s 127.0.0.1:9 -c 1000 -p auto --show-config) >"$WORK/auto.out" 2>&1 ||
    fail "-p auto refused: $(cat "$WORK/auto.out")"
grep -q "^processes  *auto" "$WORK/auto.out" || fail "-p auto not shown: $(cat "$WORK/auto.out")"
expect_grep "1000 clients, 6 processes of 1 thread" "$WORK/auto.out"
cores=$(getconf _NPROCESSORS_ONLN)
if [ "$cores" -lt 6 ]; then
    expect_grep "more processes than the $cores cores" "$WORK/auto.out"
fi
# Few clients: one process is enough.
(ulimit -n 256 && "$THRONG" run -s 127.0.0.1:9 -c 100 -p auto --show-config) >"$WORK/auto1.out" 2>&1 ||
    fail "-p auto with 100 clients refused: $(cat "$WORK/auto1.out")"
expect_grep "100 clients, 1 process of 1 thread" "$WORK/auto1.out"
"$THRONG" run -p 0 --show-config >"$WORK/p0.out" 2>&1 && fail "-p 0 was taken"
expect_grep "takes a number from 1 to 4096, or auto" "$WORK/p0.out"

# --max-connecting: shown, and a run with a bound of 1 connects every client.
"$THRONG" run -s 127.0.0.1:9 --max-connecting 7 --show-config >"$WORK/mc.out" 2>&1 ||
    fail "--max-connecting refused: $(cat "$WORK/mc.out")"
grep -q "^max connecting  *7 per thread" "$WORK/mc.out" || fail "not shown: $(cat "$WORK/mc.out")"
start_server S
run_throng "$WORK/one.out" run -s "$S_ADDR" -c 20 -n 40 --slow-down 0 --max-connecting 1 -q
expect_rc 0 "$WORK/one.out"
[ "$(report_count "$WORK/one.out" requests)" = 40 ] || fail "bound of 1: $(cat "$WORK/one.out")"
echo "ok"
