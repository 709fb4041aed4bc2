#!/usr/bin/env bash
# test_ledger_random.sh - every request accounted for, under many short runs
# with random settings: the built-in table persona (request style) or a
# session persona that asks several tables at once (client:concurrently);
# -c, -t, -p 1 or 2, a request limit or none, a short --timeout or none,
# --on-fault drop or restart; one group, or a plan of two groups each with
# its own server and processes of its own or -p's; servers that behave,
# that are slow, Busy, wrong, that drop connections (`throng serve`), that
# reset, stall, truncate or answer garbage (hostile_server.py), or a closed
# port. On each run: the exit status is a documented one and the one the
# report calls for, --json is written, check_ledger holds, the request
# limit is kept, and each group's count agrees with its server's own
# (ledger_random_check.py says exactly how).
#
# The seed is printed; RANDOM_SEED=N replays the same settings, and
# LEDGER_ONLY=K replays run K alone. LEDGER_RUNS (25) and LEDGER_BUDGET
# (60 seconds: no run starts after it) bound the test.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
SESSION="$HERE/personas/ledger_session.lua"

SEED=${RANDOM_SEED:-$((($(date +%s%N) / 1000 + $$) % 2147483647))}
RUNS=${LEDGER_RUNS:-25}
BUDGET=${LEDGER_BUDGET:-60}
ONLY=${LEDGER_ONLY:-}
echo "test_ledger_random: seed $SEED (RANDOM_SEED=$SEED replays it; LEDGER_ONLY=K one run)"

# pick VAR WORD...: VAR set to one of the words, at random. (Never inside
# $(...): a subshell's draws would not advance this shell's generator.)
pick() {
    local var=$1
    shift
    local words=("$@")
    printf -v "$var" '%s' "${words[RANDOM % ${#words[@]}]}"
}

# between VAR LO HI: VAR set to a whole number from LO to HI.
between() {
    printf -v "$1" '%d' $(($2 + RANDOM % ($3 - $2 + 1)))
}

RUN_PIDS=""
SETUP="" # how this run's servers were started, for the failure message

# stop_run_servers: ends the servers of the run that just ended.
stop_run_servers() {
    local pid
    for pid in $RUN_PIDS; do kill "$pid" 2>/dev/null; done
    for pid in $RUN_PIDS; do wait "$pid" 2>/dev/null; done
    RUN_PIDS=""
}

# start_hostile NAME FATES SEED: hostile_server.py on 127.0.0.1:0, bounded;
# sets ${NAME}_ADDR.
start_hostile() {
    local name=$1 out="$WORK/$1.hostile"
    rm -f "$out"
    timeout 120 python3 "$HERE/hostile_server.py" --fates "$2" --seed "$3" --slow 0.2 \
        --lifetime 110 >"$out" 2>"$out.err" &
    SERVER_PIDS="$SERVER_PIDS $!"
    RUN_PIDS="$RUN_PIDS $!"
    local addr="" i
    for i in $(seq 100); do
        addr=$(sed -n 's/^hostile: listening on //p' "$out")
        [ -n "$addr" ] && break
        sleep 0.05
    done
    [ -n "$addr" ] || fail "hostile_server.py did not start: $(cat "$out.err")"
    printf -v "${name}_ADDR" '%s' "$addr"
}

# hostile_field ADDR FIELD: a counter of the hostile server's GET /status.
hostile_field() {
    curl -sf "http://$1/status" | sed -n "s/.*\"$2\": \([0-9]*\).*/\1/p"
}

# new_target NAME: starts a server of a random kind for one group; sets
# ${NAME}_ADDR and ${NAME}_KIND (serve, hostile or refused).
new_target() {
    local name=$1 kind flags fates seed addr
    between seed 1 1000000
    pick kind serve serve serve serve hostile hostile refused
    case $kind in
    serve)
        pick flags "" "" "--latency 20ms" "--latency 300ms" "--busy 0.3" "--wrong-size 0.2" \
            "--drop 0.2" "--busy 0.1 --wrong-size 0.1 --drop 0.1 --latency 5ms"
        # shellcheck disable=SC2086
        start_server "$name" --threads 2 --seed "$seed" $flags
        RUN_PIDS="$RUN_PIDS ${SERVER_PIDS##* }"
        SETUP="$SETUP
  $name: throng serve --threads 2 --seed $seed $flags"
        ;;
    hostile)
        pick fates "ok=8,reset=1,stall=1" "ok=4,wrong=1,garbage=1,truncated=1,close=1" \
            "ok=6,slow=2,stall=1" "ok=1,reset=1,close=1,garbage=1,truncated=1,stall=1,wrong=1,slow=1"
        start_hostile "$name" "$fates" "$seed"
        SETUP="$SETUP
  $name: hostile_server.py --fates $fates --seed $seed --slow 0.2"
        ;;
    refused)
        # A port that was just closed: every connection refused.
        start_server "$name"
        kill "${SERVER_PIDS##* }" 2>/dev/null
        wait "${SERVER_PIDS##* }" 2>/dev/null
        SETUP="$SETUP
  $name: a closed port"
        ;;
    esac
    printf -v "${name}_KIND" '%s' "$kind"
}

# counts NAME: "KIND[:RECEIVED[:ANSWERED]]", the server's own counts of the
# group served by target NAME, as ledger_random_check.py reads them.
counts() {
    local addr kind
    addr=${1}_ADDR kind=${1}_KIND
    addr=${!addr} kind=${!kind}
    case $kind in
    serve) echo "serve:$(status_field "$addr" requests)" ;;
    hostile) echo "hostile:$(hostile_field "$addr" requests):$(hostile_field "$addr" answered)" ;;
    refused) echo refused ;;
    esac
}

# run_failed WHY: the run's seed, servers, command line and output, and fail.
run_failed() {
    fail "$1
run $k of seed $SEED (replay: RANDOM_SEED=$SEED LEDGER_ONLY=$k bash $0)
servers:$SETUP
command: $(printf '%q ' "${cmd[@]}")
$(if [ -n "${plan:-}" ]; then echo "plan $plan:"; cat "$plan"; fi)
output:
$(cat "$out")"
}

started_at=$SECONDS
runs=0
for k in $(seq "$RUNS"); do
    [ -n "$ONLY" ] && [ "$k" != "$ONLY" ] && continue
    [ $((SECONDS - started_at)) -lt "$BUDGET" ] || {
        echo "budget of ${BUDGET}s spent after $runs runs"
        break
    }
    # Each run draws from its own sequence, so that one can be replayed alone.
    RANDOM=$((((SEED % 1000003) * 7919 + k * 104729) % 2147483647))
    SETUP=""
    plan=""
    json="$WORK/run$k.json"
    out="$WORK/run$k.out"
    rm -f "$json"

    # Settings every run has.
    pick duration 0.5 1 1
    pick procs 1 1 2
    pick limit 0 0 0 1 5 40 300
    pick timeout "" "" 100ms 300ms 1s
    pick on_fault drop restart
    between run_seed 1 1000000
    cmd=("$THRONG" run)
    persona_args=()
    width=1 # the most requests a client asks at once
    specs=()
    pick shape single single plan
    if [ "$shape" = single ]; then
        new_target A
        pick persona table table session
        between clients 1 6
        between threads 1 2
        between request_count 1 4
        pick slow_down 0 0 5ms 20ms
        if [ "$persona" = table ]; then
            cmd+=(table)
        else
            cmd+=("$SESSION")
        fi
        cmd+=(-s "$A_ADDR" -c "$clients" -t "$threads" --request-count "$request_count"
            --slow-down "$slow_down" --big-table 20)
        [ "$persona" = session ] && {
            between width 2 3
            persona_args=(-- "width=$width")
        }
        specs+=("*:$clients:-:A")
    else
        plan="$WORK/plan$k.lua"
        echo "-- run $k of seed $SEED" >"$plan"
        echo "return {" >>"$plan"
        for name in a b; do
            target=${name^^}
            new_target "$target"
            addr=${target}_ADDR
            pick persona table session
            pick gprocs - - 1 2
            between clients 1 4
            between threads 1 2
            between request_count 1 3
            if [ "$persona" = table ]; then
                line="persona = \"table\""
            else
                line="persona = \"$SESSION\", args = { width = 2 }"
                width=2
            fi
            line="$line, clients = $clients, threads = $threads, request_count = $request_count"
            line="$line, slow_down = \"5ms\", big_table = 20, server = \"${!addr}\""
            [ "$gprocs" != - ] && line="$line, processes = $gprocs"
            echo "  $name = { $line }," >>"$plan"
            specs+=("$name:$clients:$gprocs:$target")
        done
        echo "}" >>"$plan"
        cmd+=("$plan")
    fi
    cmd+=(-d "$duration" -p "$procs" --on-fault "$on_fault" --seed "$run_seed" -q --json "$json")
    [ "$limit" != 0 ] && cmd+=(-n "$limit")
    [ -n "$timeout" ] && cmd+=(--timeout "$timeout")
    cmd+=("${persona_args[@]}")

    t0=$SECONDS
    timeout 60 "${cmd[@]}" >"$out" 2>&1
    RC=$?
    runs=$((runs + 1))

    # The servers' own counts, then the checks.
    groups=()
    for spec in "${specs[@]}"; do
        groups+=("${spec%:*}:$(counts "${spec##*:}")")
    done
    [ -s "$json" ] || run_failed "exit status $RC and no JSON report written"
    (check_ledger "$json") || run_failed "the ledger does not balance (above)"
    python3 "$HERE/ledger_random_check.py" "$json" "$RC" "$limit" "$width" "$procs" \
        "${groups[@]}" ||
        run_failed "the run broke the rules above (exit status $RC)"
    summary=$(python3 -c 'import json, sys
t = json.load(open(sys.argv[1]))["totals"]
print(" ".join("%s %s" % (k, t.get(k, "?")) for k in
               ("sent", "requests", "faulted", "cancelled", "in_flight")))' "$json")
    echo "run $k: status $RC, $summary; ${groups[*]} ($((SECONDS - t0))s)"
    stop_run_servers
done
[ "$runs" -gt 0 ] || fail "no run"
echo "ok: $runs runs in $((SECONDS - started_at))s, seed $SEED"
