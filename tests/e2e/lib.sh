# lib.sh - what the end-to-end tests share: the binary, a bounded server on
# an ephemeral loopback port, and assertions that say what went wrong.
# Each test sources this file; ctest sets THRONG (the built binary).
set -u

THRONG=${THRONG:?THRONG must name the built throng binary}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/throng-e2e.XXXXXX")
SERVER_PIDS=""

cleanup() {
    # Only the test's own shell cleans up: a child forked for a background
    # command and signalled before it ran the command would run this trap
    # too, and take the servers and $WORK with it.
    [ "${BASHPID:-$$}" = "$$" ] || return 0
    for pid in $SERVER_PIDS; do kill "$pid" 2>/dev/null; done
    # A server still there after 10 s is killed with what it runs (seen
    # once: an ASan server that did not end on SIGTERM held the test until
    # ctest's time-out, after every check had passed).
    local left pid _
    for _ in $(seq 100); do
        left=""
        for pid in $SERVER_PIDS; do kill -0 "$pid" 2>/dev/null && left=1; done
        [ -z "$left" ] && break
        sleep 0.1
    done
    if [ -n "$left" ]; then
        for pid in $SERVER_PIDS; do
            kill -0 "$pid" 2>/dev/null || continue
            echo "cleanup: server $pid did not stop on SIGTERM within 10 s; killed" >&2
            kill -9 $(pgrep -P "$pid") "$pid" 2>/dev/null
        done
    fi
    wait 2>/dev/null
    rm -rf "$WORK" "$WORK.python"
}
trap cleanup EXIT

# The tests' Python is Debian's /usr/bin/python3, the one deps/install.sh
# installs with the modules the tests import (python3-yaml,
# python3-kubernetes, python3-jsonschema), whatever python3 comes first on
# PATH: a version manager's python3 there lacks those modules, and its shim
# takes about 0.4 s of CPU a start where Debian's takes 0.05 s, in tests
# that start Python hundreds of times.
# (Beside $WORK, not in it: tests look at what $WORK holds.)
if [ -x /usr/bin/python3 ]; then
    mkdir "$WORK.python"
    ln -s /usr/bin/python3 "$WORK.python/python3"
    PATH="$WORK.python:$PATH"
fi

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# wait_line FILE PREFIX: prints what follows PREFIX on the lines of FILE
# that start with it, waiting up to 5 s for one; nothing when none came.
wait_line() {
    local got i
    for i in $(seq 100); do
        got=$(sed -n "s/^$2//p" "$1")
        [ -n "$got" ] && { echo "$got"; return 0; }
        sleep 0.05
    done
    return 0
}

# start_server NAME [serve flags...]: starts `throng serve` on 127.0.0.1:0,
# bounded to 120 s, and sets ${NAME}_ADDR to its host:port.
start_server() {
    local name=$1
    shift
    rm -f "$WORK/$name.out" # a NAME used before must not give its old address
    timeout 120 "$THRONG" serve --listen 127.0.0.1:0 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    SERVER_PIDS="$SERVER_PIDS $!"
    local addr
    addr=$(wait_line "$WORK/$name.out" "throng serve: listening on ")
    [ -n "$addr" ] || fail "throng serve $* did not start: $(cat "$WORK/$name.err")"
    printf -v "${name}_ADDR" '%s' "$addr"
}

# start_python VAR SECONDS SCRIPT [args...]: starts `python3 SCRIPT args`, a
# server that prints "listening on X" once it listens on loopback, bounded
# to SECONDS, its output in $WORK/VAR.out and .err; sets VAR to that X, or
# fails the test when it has not printed it within 5 s.
start_python() {
    local var=$1 seconds=$2 got
    shift 2
    timeout "$seconds" python3 "$@" >"$WORK/$var.out" 2>"$WORK/$var.err" &
    SERVER_PIDS="$SERVER_PIDS $!"
    got=$(wait_line "$WORK/$var.out" "listening on ")
    [ -n "$got" ] || fail "python3 $1 did not start: $(cat "$WORK/$var.err")"
    printf -v "$var" '%s' "$got"
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

# The text report's faults section (engine/src/report/render_text.c) is one
# line per kind, the first labelled:
#   "  faults     timed-out             3   no complete response within 0.2s"
#   "             abandoned             1   the server closed the connection"
# or, when there was none, "  faults     none". With several groups there is
# one section per group and one for all groups; these helpers read the first.

# fault_line_count FILE KIND: the count on KIND's line of the first faults
# section, or nothing when it has no such line.
fault_line_count() {
    sed -n -E "s/^  (faults| {6}) {5}$2 +([0-9]+)( .*)?\$/\2/p" "$1" | head -1
}

# fault_count FILE KIND: the count of a fault kind in a text report. The
# kind must be there: a report without its line fails the test (a missing
# line is a changed format or a fault that did not happen, never a count of
# 0; for "no such fault" use expect_no_fault). Used as $(fault_count ...),
# the failure prints why and leaves the substitution empty, which no
# comparison of numbers accepts.
fault_count() {
    grep -q '^  faults     ' "$1" || fail "no faults section in $1:
$(cat "$1")"
    local n
    n=$(fault_line_count "$1" "$2")
    [ -n "$n" ] || fail "no '$2' line in the faults of $1:
$(cat "$1")"
    echo "$n"
}

# expect_no_fault FILE KIND: the text report has its faults section and
# KIND is not in it (or counts 0).
expect_no_fault() {
    grep -q '^  faults     ' "$1" || fail "no faults section in $1:
$(cat "$1")"
    local n
    n=$(fault_line_count "$1" "$2")
    [ "${n:-0}" = 0 ] || fail "expected no '$2' fault, found $n:
$(cat "$1")"
}

expect_rc() {
    [ "$RC" -eq "$1" ] || fail "expected exit status $1, got $RC; output:
$(cat "$2")"
}

expect_grep() {
    grep -qF -- "$1" "$2" || fail "expected '$1' in the output:
$(cat "$2")"
}

# check_ledger FILE: every request a JSON report counts as sent has exactly
# one outcome. In every statistics object (the run's totals, each group's
# totals, each request name) sent = requests + faulted + cancelled +
# in_flight must hold, and a report that lacks one of those fields fails;
# exchanges in flight at the end are allowed only when a worker process was
# lost or a thread abandoned.
check_ledger() {
    python3 - "$1" <<'PY' || fail "the ledger does not balance in $1"
import json, sys
doc = json.load(open(sys.argv[1]))
stats = [("totals", doc["totals"])]
for g in doc["groups"]:
    stats.append(("group %s" % g["name"], g["totals"]))
    stats += [("group %s name %s" % (g["name"], n["name"]), n) for n in g["names"]]
# Only a lost worker process or an abandoned thread leaves exchanges in flight.
gone = doc.get("processes", {}).get("lost", 0) + doc.get("threads", {}).get("abandoned", 0)
bad = 0
for where, s in stats:
    missing = [k for k in ("sent", "requests", "faulted", "cancelled", "in_flight") if k not in s]
    if missing:
        print("%s: no %s" % (where, ", ".join(missing)), file=sys.stderr)
        bad = 1
        continue
    outcomes = s["requests"] + s["faulted"] + s["cancelled"] + s["in_flight"]
    if s["sent"] != outcomes:
        print("%s: sent %d, but requests %d + faulted %d + cancelled %d + in_flight %d = %d"
              % (where, s["sent"], s["requests"], s["faulted"], s["cancelled"], s["in_flight"],
                 outcomes), file=sys.stderr)
        bad = 1
    if s["in_flight"] and not gone:
        print("%s: %d in flight at the end, with no process lost nor thread abandoned"
              % (where, s["in_flight"]), file=sys.stderr)
        bad = 1
sys.exit(bad)
PY
}
