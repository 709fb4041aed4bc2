# Persona scripts as users write them: errors reported where they are,
# arguments and helper modules, repeatable random choices, the session style.
. "$(dirname "$0")/lib.sh"
P="$(cd "$(dirname "$0")" && pwd)/personas"

start_server S

# A runtime error in one client's hook: a script-error fault naming the file
# and line, and the other clients keep running.
run_throng "$WORK/crash.out" run "$P/crash_one.lua" -s "$S_ADDR" -c 4 -d 1 --request-count 5 \
    --slow-down 10ms -q
expect_rc 1 "$WORK/crash.out"
expect_grep "crash_one.lua:15: attempt to index local 'missing' (a nil value)" "$WORK/crash.out"
[ "$(fault_count "$WORK/crash.out" script-error)" = 1 ] || fail "one script error expected: $(cat "$WORK/crash.out")"
expect_grep "clients    3 running, 1 faulted out, of 4" "$WORK/crash.out"
[ "$(report_count "$WORK/crash.out" requests)" -gt 20 ] || fail "the other clients should go on: $(cat "$WORK/crash.out")"

# Errors found when the script loads stop the run before any connection.
before=$(status_field "$S_ADDR" connections)
run_throng "$WORK/syntax.out" run "$P/syntax_error.lua" -s "$S_ADDR" -c 2 -d 1 -q
expect_rc 2 "$WORK/syntax.out"
expect_grep "syntax_error.lua:4: '}' expected (to close '{' at line 3) near 'end'" "$WORK/syntax.out"
run_throng "$WORK/nohooks.out" run "$P/no_hooks.lua" -s "$S_ADDR" -c 2 -d 1 -q
expect_rc 2 "$WORK/nohooks.out"
expect_grep "has neither a request nor a session function" "$WORK/nohooks.out"
run_throng "$WORK/notfn.out" run "$P/hook_not_function.lua" -s "$S_ADDR" -c 2 -d 1 -q
expect_rc 2 "$WORK/notfn.out"
expect_grep "hook_not_function.lua: 'request' must be a function, not a number" "$WORK/notfn.out"
after=$(status_field "$S_ADDR" connections)
# The only new connection is the one asking for /status.
[ "$after" = $((before + 1)) ] || fail "a script that does not load must not connect ($before -> $after)"

# A misspelt request field is named, with what was meant.
run_throng "$WORK/mis1.out" run "$P/misspelt_field.lua" -s "$S_ADDR" -c 1 -d 1 -q
expect_rc 1 "$WORK/mis1.out"
expect_grep "request has an unknown field 'mehtod' (did you mean 'method'?)" "$WORK/mis1.out"
run_throng "$WORK/mis2.out" run "$P/misspelt_option.lua" -s "$S_ADDR" -c 1 -d 1 -q
expect_rc 1 "$WORK/mis2.out"
expect_grep "misspelt_option.lua:4: request has an unknown field 'value' (did you mean 'json'?)" \
    "$WORK/mis2.out"

# A request table may take fields from its metatable (shared defaults).
run_throng "$WORK/defaults.out" run "$P/request_defaults.lua" -s "$S_ADDR" -c 1 -n 3 \
    --slow-down 0 -q
expect_rc 0 "$WORK/defaults.out"
expect_grep "from-defaults                3" "$WORK/defaults.out"

# A hook returning the wrong type says what was expected.
run_throng "$WORK/wrong.out" run "$P/wrong_type.lua" -s "$S_ADDR" -c 1 -d 1 -q
expect_rc 1 "$WORK/wrong.out"
expect_grep "request hook must return a request table, a string or nil, not a number" "$WORK/wrong.out"

# Arguments after -- reach init: key:=value a number, key=value a string
# (even one that reads as a number); helpers beside the script load.
run_throng "$WORK/helper.out" run "$P/uses_helper.lua" -s "$S_ADDR" -c 2 -n 20 --request-count 2 \
    --slow-down 0 -q -- factor:=7 label=seven code=42
expect_rc 0 "$WORK/helper.out"
[ "$(report_count "$WORK/helper.out" requests)" = 20 ] || fail "uses_helper: $(cat "$WORK/helper.out")"
run_throng "$WORK/nan.out" run "$P/uses_helper.lua" -s "$S_ADDR" -c 1 -n 1 -q -- factor:=seven
expect_rc 2 "$WORK/nan.out"
expect_grep "'seven' is not a number (key:=value gives a number; key=value a string)" "$WORK/nan.out"

# --seed repeats a run's random choices.
seeded() {
    timeout 60 "$THRONG" run "$P/seeded.lua" -s "$S_ADDR" -c 1 -n 15 --slow-down 0 -q \
        --log-level info "$@" 2>&1 >/dev/null | sed -n 's/.* info: asked //p'
}
seeded --seed 42 >"$WORK/seed1"
seeded --seed 42 >"$WORK/seed2"
seeded --seed 43 >"$WORK/seed3"
[ "$(wc -l <"$WORK/seed1")" = 15 ] || fail "expected 15 logged choices: $(cat "$WORK/seed1")"
cmp -s "$WORK/seed1" "$WORK/seed2" || fail "--seed 42 twice gave different choices"
cmp -s "$WORK/seed1" "$WORK/seed3" && fail "--seed 42 and --seed 43 gave the same choices"

# The session style against two servers.
start_server OTHER
run_throng "$WORK/tour.out" run "$P/session_tour.lua" -s "$S_ADDR" -c 3 -d 1 --slow-down 10ms \
    -q --log-level error -- other="$OTHER_ADDR"
expect_rc 0 "$WORK/tour.out"
expect_grep "faults     none" "$WORK/tour.out"
[ "$(report_count "$WORK/tour.out" sessions)" -ge 6 ] || fail "session_tour: $(cat "$WORK/tour.out")"
[ "$(status_field "$OTHER_ADDR" connections)" -ge 6 ] || fail "the second server saw no connection"
echo "ok"
