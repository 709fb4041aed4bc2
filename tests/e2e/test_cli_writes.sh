# What throng cannot write is said, naming the file, and ends the run with
# exit status 6; a file is replaced whole or left as it was, with no
# temporary file left behind.
. "$(dirname "$0")/lib.sh"

start_server S

# The text report to a full device.
timeout 60 "$THRONG" run -s "$S_ADDR" -c 2 -d 1s -q >/dev/full 2>"$WORK/full.err"
RC=$?
expect_rc 6 "$WORK/full.err"
expect_grep "throng run: cannot write the report to stdout: No space left on device" "$WORK/full.err"

# So does `throng report`, and its --json into a directory that is not there.
run_throng "$WORK/ok.out" run -s "$S_ADDR" -c 2 -d 1s -q --json "$WORK/r.json"
expect_rc 0 "$WORK/ok.out"
timeout 60 "$THRONG" report "$WORK/r.json" >/dev/full 2>"$WORK/report.err"
RC=$?
expect_rc 6 "$WORK/report.err"
expect_grep "cannot write the output to stdout" "$WORK/report.err"
run_throng "$WORK/nodir.out" report "$WORK/r.json" --json "$WORK/none/r.json"
expect_rc 6 "$WORK/nodir.out"
expect_grep "cannot write --json $WORK/none/r.json: No such file or directory" "$WORK/nodir.out"

# A run's --json, --html, --status and --snapshot that cannot be written:
# each is named, the run ends with 6 whatever it measured, and nothing is
# left half written.
run_throng "$WORK/files.out" run -s "$S_ADDR" -c 2 -d 1s -q --json "$WORK/none/a.json" \
    --html "$WORK/none/a.html" --status "$WORK/none/st" --snapshot "$WORK/none/snap.json"
expect_rc 6 "$WORK/files.out"
for f in "--json $WORK/none/a.json" "--html $WORK/none/a.html" "--status $WORK/none/st" \
    "--snapshot $WORK/none/snap.json"; do
    expect_grep "throng run: cannot write $f: No such file or directory" "$WORK/files.out"
done
[ "$(grep -c "cannot write --status" "$WORK/files.out")" -eq 1 ] ||
    fail "the --status failure should be said once: $(cat "$WORK/files.out")"
# A threshold that fails still gives 6: the report nobody can read outweighs it.
run_throng "$WORK/thr.out" run -s "$S_ADDR" -c 2 -d 1s -q --threshold 'rate>1000000' \
    --json "$WORK/none/b.json"
expect_rc 6 "$WORK/thr.out"

# The files are replaced, never written in place: another name for the old
# one (a reader that has it open) keeps it whole, and only the final names
# are left.
mkdir -p "$WORK/d"
echo '{"old":true}' >"$WORK/d/r.json"
ln "$WORK/d/r.json" "$WORK/d/old-link.json"
run_throng "$WORK/live.out" run -s "$S_ADDR" -c 2 -d 2s -q --json "$WORK/d/r.json" \
    --status "$WORK/d/st" --snapshot "$WORK/d/snap.json" --snapshot-every 1s
expect_rc 0 "$WORK/live.out"
[ "$(cat "$WORK/d/old-link.json")" = '{"old":true}' ] ||
    fail "the old report was overwritten in place, not replaced"
python3 -c 'import json,sys; [json.load(open(f)) for f in sys.argv[1:]]' "$WORK/d/r.json" \
    "$WORK/d/snap.json" "$WORK/d/st" || fail "a written file is not whole JSON"
left=$(ls "$WORK/d" | grep -v -x -e r.json -e old-link.json -e st -e snap.json)
[ -z "$left" ] || fail "files left behind: $left"

# A device or a FIFO is written to, never replaced by a file (as root,
# /dev/full or /dev/null would be): a FIFO keeps its reader and stays a
# FIFO.
mkfifo "$WORK/fifo"
timeout 30 cat "$WORK/fifo" >"$WORK/fifo.json" &
reader=$!
run_throng "$WORK/fifo.out" run -s "$S_ADDR" -c 2 -d 1s -q --json "$WORK/fifo"
expect_rc 0 "$WORK/fifo.out"
[ -p "$WORK/fifo" ] || fail "--json replaced the FIFO $WORK/fifo with a file"
wait "$reader"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORK/fifo.json" ||
    fail "the FIFO's reader did not get the report"
# /dev/stdout by name: written to, whatever stdout is.
run_throng "$WORK/stdout.out" run -s "$S_ADDR" -c 2 -d 1s -q --json /dev/stdout
expect_rc 0 "$WORK/stdout.out"
grep -q '"totals"' "$WORK/stdout.out" ||
    fail "--json /dev/stdout did not write the report to stdout: $(head -c 300 "$WORK/stdout.out")"
echo "ok"
