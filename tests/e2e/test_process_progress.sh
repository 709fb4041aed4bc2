# Live figures of worker processes reach the parent within a second: the
# progress line of a run with -p 2 shows the requests and clients of the
# seconds before it, as it does with -p 1. (Today the parent hears of its
# worker processes about two seconds late: the 1s and 2s lines of -p 2 show
# 0 requests and 0 clients, and a worker process killed mid-run keeps
# figures that old.)
. "$(dirname "$0")/lib.sh"

start_server S

# Progress lines: by the 2-second line the clients have run about 2
# seconds and at least the first finished second's requests are counted.
for p in 1 2; do
    timeout 30 "$THRONG" run -s "$S_ADDR" -p "$p" -c 20 -d 3 --slow-down 1ms --interval 1s \
        >"$WORK/p$p.out" 2>"$WORK/p$p.err"
    [ $? = 0 ] || fail "-p $p: $(cat "$WORK/p$p.out" "$WORK/p$p.err")"
    # A loaded sanitizer run may print its 2-second line late, merged into
    # the 3-second one: the 1-second line must then count them already.
    line=$(grep '^progress: 2s/' "$WORK/p$p.err" || grep '^progress: 1s/' "$WORK/p$p.err")
    [ -n "$line" ] || fail "-p $p: no 1- or 2-second progress line: $(cat "$WORK/p$p.err")"
    counted=$(echo "$line" | sed -n 's/.*  \([0-9][0-9]*\) requests.*/\1/p')
    clients=$(echo "$line" | sed -n 's/.*  \([0-9][0-9]*\) clients.*/\1/p')
    [ "${counted:-0}" -gt 0 ] || fail "-p $p: the 2-second progress line counts no request: $line"
    [ "${clients:-0}" = 20 ] || fail "-p $p: the 2-second progress line counts ${clients:-0} of 20 clients: $line"
done

exit 0
