# `throng stop` given at the same moment as `throng start`: the supervisor
# being started is waited for and stopped, never left running behind a
# "not running".
. "$(dirname "$0")/lib.sh"

start_server S
# alive PID: PID runs (a zombie waiting to be reaped does not count).
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
LEFT=""
trap 'for p in $LEFT; do kill "$p" 2>/dev/null; done; cleanup' EXIT

for i in $(seq 8); do
    H="$WORK/home$i"
    timeout 20 "$THRONG" create --home "$H" >/dev/null || fail "create"
    timeout 20 "$THRONG" add table g -s "$S_ADDR" -c 1 --home "$H" >/dev/null || fail "add"
    timeout 30 "$THRONG" start --home "$H" >"$WORK/start$i.out" 2>&1 &
    starter=$!
    timeout 50 "$THRONG" stop --home "$H" >"$WORK/stop$i.out" 2>&1
    RC=$?
    wait "$starter"
    sup=$(sed -n 's/.*supervisor pid \([0-9]*\).*/\1/p' "$WORK/start$i.out")
    sleep 0.3
    if [ -n "$sup" ] && alive "$sup"; then
        LEFT="$LEFT $sup"
        fail "try $i: the supervisor $sup still runs after stop said '$(cat "$WORK/stop$i.out")' \
(status $RC); start said '$(cat "$WORK/start$i.out")'; the supervisor's log:
$(cat "$H/supervisor.log" 2>&1)
the group's output:
$(cat "$H/logs/g.out" 2>&1)
its processes: $(ps -o pid,stat,etime,args --ppid "$sup" 2>&1)"
    fi
    [ -n "$sup" ] || fail "try $i: start said '$(cat "$WORK/start$i.out")'"
    expect_rc 0 "$WORK/stop$i.out"
    expect_grep "stopped" "$WORK/stop$i.out"
done
echo "ok"
