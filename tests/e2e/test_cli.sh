# The command line refuses bad input with one line naming the flag, and
# --help tells what the parser accepts.
. "$(dirname "$0")/lib.sh"

usage_error() { # usage_error EXPECTED-TEXT args...
    local want=$1
    shift
    run_throng "$WORK/err.out" "$@"
    [ "$RC" -eq 2 ] || fail "throng $* exited $RC, expected 2: $(cat "$WORK/err.out")"
    grep -q -- "$want" "$WORK/err.out" || fail "throng $*: expected '$want' in: $(cat "$WORK/err.out")"
    [ "$(wc -l <"$WORK/err.out")" -eq 1 ] || fail "throng $*: expected one line: $(cat "$WORK/err.out")"
}

usage_error "--clients expects a whole number" run --clients abc
usage_error "unknown flag --bogus" run --bogus
usage_error "--duration expects a duration" run -d 10x
usage_error "--on-fault must be one of" run --on-fault sometimes
usage_error "--timeout must be more than 0" run --timeout 0
usage_error "--threads must be between 1 and 1024" run -t 0
usage_error "unknown persona 'nope'" run nope -s 127.0.0.1:1
usage_error "scheme 'ftp://' is not supported (http:// or https://)" run -s ftp://127.0.0.1:5050
usage_error "missing.lua" run missing.lua -s 127.0.0.1:1
usage_error "not of the form key=value" run -s 127.0.0.1:1 -- oops
usage_error "unknown command 'frob'" frob
usage_error "--busy expects a share" serve --busy 2

run_throng "$WORK/help.out" run --help
expect_rc 0 "$WORK/help.out"
for flag in --server --clients --threads --duration --requests --timeout --on-fault \
    --request-count --slow-down --big-table; do
    expect_grep "$flag" "$WORK/help.out"
done
run_throng "$WORK/v.out" version
expect_rc 0 "$WORK/v.out"
expect_grep "throng 0." "$WORK/v.out"
echo "ok"
