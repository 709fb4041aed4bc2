# lib.sh - what the end-to-end tests share: the binary, a bounded server on
# an ephemeral loopback port, and assertions that say what went wrong.
# Each test sources this file; ctest sets THRONG (the built binary).
set -u

THRONG=${THRONG:?THRONG must name the built throng binary}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/throng-e2e.XXXXXX")
SERVER_PIDS=""

cleanup() {
    for pid in $SERVER_PIDS; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# start_server NAME [serve flags...]: starts `throng serve` on 127.0.0.1:0,
# bounded to 120 s, and sets ${NAME}_ADDR to its host:port.
start_server() {
    local name=$1
    shift
    timeout 120 "$THRONG" serve --listen 127.0.0.1:0 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    SERVER_PIDS="$SERVER_PIDS $!"
    local addr="" i
    for i in $(seq 100); do
        addr=$(sed -n 's/^throng serve: listening on //p' "$WORK/$name.out")
        [ -n "$addr" ] && break
        sleep 0.05
    done
    [ -n "$addr" ] || fail "throng serve $* did not start: $(cat "$WORK/$name.err")"
    printf -v "${name}_ADDR" '%s' "$addr"
}

# status_field ADDR FIELD: a number from the server's GET /status.
status_field() {
    curl -sf "http://$1/status" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"
}

# run_throng OUT [args...]: runs throng, bounded, output in OUT; sets RC.
run_throng() {
    local out=$1
    shift
    timeout 60 "$THRONG" "$@" >"$out" 2>&1
    RC=$?
}

# report_count FILE LABEL: the number after LABEL in a report ("requests 12",
# "sessions 4").
report_count() {
    sed -n "s/.*\<$2  *\([0-9][0-9]*\).*/\1/p" "$1" | head -1
}

# fault_count FILE KIND: the count of a fault kind in a report (0 if absent).
fault_count() {
    local n
    n=$(sed -n "s/^ *\(faults\)\{0,1\} *$2 *\([0-9][0-9]*\) .*/\2/p" "$1" | head -1)
    echo "${n:-0}"
}

expect_rc() {
    [ "$RC" -eq "$1" ] || fail "expected exit status $1, got $RC; output:
$(cat "$2")"
}

expect_grep() {
    grep -qF -- "$1" "$2" || fail "expected '$1' in the output:
$(cat "$2")"
}
