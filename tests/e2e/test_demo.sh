# `throng demo`, the README's main command: the table persona against the
# in-process table service, a report, exit 0.
. "$(dirname "$0")/lib.sh"

run_throng "$WORK/demo.out" demo -d 2 -q
expect_rc 0 "$WORK/demo.out"
expect_grep "table service on 127.0.0.1:" "$WORK/demo.out"
expect_grep "ended: duration reached" "$WORK/demo.out"
requests=$(report_count "$WORK/demo.out" requests)
[ "${requests:-0}" -gt 100 ] || fail "the demo made only ${requests:-0} requests: $(cat "$WORK/demo.out")"
answered=$(sed -n 's/^service: \([0-9]*\) requests answered.*/\1/p' "$WORK/demo.out")
# Exchanges still in flight when the time ran out were answered but not counted.
[ $((answered - requests)) -ge 0 ] && [ $((answered - requests)) -le 16 ] ||
    fail "client counted $requests, service answered $answered"

# --tls: the same over HTTPS, with a certificate made at the start that the
# clients verify (no tls fault); its temporary file is gone at the end.
mkdir "$WORK/tmp"
TMPDIR="$WORK/tmp" run_throng "$WORK/tls.out" demo --tls -d 2 -q
expect_rc 0 "$WORK/tls.out"
expect_grep "over TLS (a self-signed certificate made now)" "$WORK/tls.out"
expect_grep "ended: duration reached" "$WORK/tls.out"
expect_no_fault "$WORK/tls.out" tls
grep -Eq "^ +[1-9][0-9]* TLS handshakes" "$WORK/tls.out" || fail "no TLS handshake: $(cat "$WORK/tls.out")"
requests=$(report_count "$WORK/tls.out" requests)
[ "${requests:-0}" -gt 50 ] || fail "the TLS demo made only ${requests:-0} requests: $(cat "$WORK/tls.out")"
[ -z "$(ls -A "$WORK/tmp")" ] || fail "the demo left its certificate: $(ls -A "$WORK/tmp")"
echo "ok"
