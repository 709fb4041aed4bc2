# A full file system: every report that does not fit is said, naming the
# file, the run ends with status 6, the report from before is left whole
# and no temporary file is left behind. Needs to mount a 64 KiB tmpfs
# (root); skipped (77) where it cannot.
. "$(dirname "$0")/lib.sh"

FULL="$WORK/full"
mkdir -p "$FULL"
mount -t tmpfs -o size=64k tmpfs "$FULL" 2>/dev/null || {
    echo "skipped: cannot mount a tmpfs here"
    exit 77
}
trap 'umount "$FULL" 2>/dev/null; cleanup' EXIT

start_server S
# A whole report from before, then the rest of the space filled.
run_throng "$WORK/first.out" run -s "$S_ADDR" -c 2 -d 1s -q --json "$WORK/first.json"
expect_rc 0 "$WORK/first.out"
echo '{"before":true}' >"$FULL/r.json"
dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null
[ "$(df --output=avail "$FULL" | tail -1)" -eq 0 ] || fail "the tmpfs is not full: $(df "$FULL")"

run_throng "$WORK/run.out" run -s "$S_ADDR" -c 2 -d 2s -q --latency --json "$FULL/r.json" \
    --html "$FULL/r.html" --status "$FULL/st" --snapshot "$FULL/snap.json" --snapshot-every 1s
expect_rc 6 "$WORK/run.out"
for f in "--json $FULL/r.json" "--html $FULL/r.html" "--status $FULL/st" \
    "--snapshot $FULL/snap.json"; do
    expect_grep "throng run: cannot write $f: No space left on device" "$WORK/run.out"
done
[ "$(cat "$FULL/r.json")" = '{"before":true}' ] || fail "the report from before was not kept whole"
left=$(ls "$FULL" | grep -v -x -e r.json -e filler)
[ -z "$left" ] || fail "files left behind on the full disk: $left"

# Room again: the same command writes them all.
rm "$FULL/filler"
run_throng "$WORK/again.out" run -s "$S_ADDR" -c 2 -d 1s -q --json "$FULL/r.json" \
    --status "$FULL/st" --snapshot "$FULL/snap.json"
expect_rc 0 "$WORK/again.out"
python3 -c 'import json,sys; [json.load(open(f)) for f in sys.argv[1:]]' "$FULL/r.json" \
    "$FULL/snap.json" "$FULL/st" || fail "a file written after the disk had room is not whole"
echo "ok"
