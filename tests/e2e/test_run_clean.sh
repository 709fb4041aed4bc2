# A clean run against `throng serve`: no faults, and every request the
# client counts is one the server answered.
. "$(dirname "$0")/lib.sh"

start_server S --threads 2

# POST (the default), two threads, sessions of three exchanges.
run_throng "$WORK/post.out" run -s "$S_ADDR" -n 300 -c 8 -t 2 --request-count 3 \
    --slow-down 0 --big-table 20 -q
expect_rc 0 "$WORK/post.out"
expect_grep "ended: request limit reached" "$WORK/post.out"
expect_grep "faults     none" "$WORK/post.out"
[ "$(report_count "$WORK/post.out" requests)" = 300 ] || fail "client counted $(report_count "$WORK/post.out" requests) requests, expected 300"
served=$(status_field "$S_ADDR" requests)
[ "$served" = 300 ] || fail "server answered $served requests, client counted 300"

# GET /Xy?x=&y= as the persona option; the server's count moves with it.
run_throng "$WORK/get.out" run -s "http://$S_ADDR/" -n 120 -c 4 --slow-down 0 -q -- method=GET
expect_rc 0 "$WORK/get.out"
[ "$(report_count "$WORK/get.out" requests)" = 120 ] || fail "GET run: $(cat "$WORK/get.out")"
served=$(status_field "$S_ADDR" requests)
[ "$served" = 420 ] || fail "server answered $served requests in all, expected 420"

# One client, sessions of three: the limit falls on a session's end.
run_throng "$WORK/one.out" run -s "$S_ADDR" -n 30 -c 1 --request-count 3 --slow-down 0 -q
expect_rc 0 "$WORK/one.out"
[ "$(report_count "$WORK/one.out" sessions)" = 10 ] || fail "expected 10 sessions of 3: $(cat "$WORK/one.out")"
served=$(status_field "$S_ADDR" requests)
[ "$served" = 450 ] || fail "server answered $served requests in all, expected 450"

# A timed run ends on time with sessions completed and clients still running.
run_throng "$WORK/timed.out" run -s "$S_ADDR" -d 1 -c 3 --slow-down 20ms --request-count 2 -q
expect_rc 0 "$WORK/timed.out"
expect_grep "ended: duration reached after 1.0" "$WORK/timed.out"
expect_grep "clients    3 running, 0 faulted out, of 3" "$WORK/timed.out"

# IPv6 loopback, when the machine has it.
if timeout 5 "$THRONG" serve --listen '[::1]:0' >"$WORK/v6.out" 2>&1 &
then
    SERVER_PIDS="$SERVER_PIDS $!"
    sleep 0.5
    v6=$(sed -n 's/^throng serve: listening on //p' "$WORK/v6.out")
    if [ -n "$v6" ]; then
        run_throng "$WORK/v6run.out" run -s "$v6" -n 20 -c 2 --slow-down 0 -q
        expect_rc 0 "$WORK/v6run.out"
        expect_grep "against $v6" "$WORK/v6run.out"
    else
        echo "no IPv6 loopback here: IPv6 run skipped"
    fi
fi
echo "ok"
