#!/bin/bash
# test_help.sh - every command answers --help with its usage, exit 0, and
# does nothing else (issue 12, point 3); `throng help CMD` is the same text;
# `throng --help` lists every command.
. "$(dirname "$0")/lib.sh"
COMMANDS="run wrk serve demo report create add update start status log stop version help"

cd "$WORK" || fail "cannot enter $WORK"
run_throng "$WORK/top.txt" --help
expect_rc 0 "$WORK/top.txt"
for c in $COMMANDS; do
    grep -Eq "^  $c +[a-z]" "$WORK/top.txt" || fail "throng --help does not list $c: $(cat "$WORK/top.txt")"
done
run_throng "$WORK/help.txt" help
cmp -s "$WORK/top.txt" "$WORK/help.txt" || fail "throng help differs from throng --help"

for c in $COMMANDS; do
    [ "$c" = help ] && continue
    for flag in --help -h; do
        # With no home, no server and no report here: --help must not need any.
        run_throng "$WORK/$c.txt" "$c" $flag
        expect_rc 0 "$WORK/$c.txt"
        grep -q "^usage: throng $c" "$WORK/$c.txt" || fail "throng $c $flag: $(cat "$WORK/$c.txt")"
    done
    run_throng "$WORK/via.txt" help "$c"
    cmp -s "$WORK/$c.txt" "$WORK/via.txt" || fail "throng help $c differs from throng $c -h"
done
# Nothing was made or started: no home, no report file.
[ ! -e "$WORK/.throng" ] || fail "a --help made a home"
[ "$(ls "$WORK" | grep -cv '\.txt$')" = 0 ] || fail "a --help left files: $(ls "$WORK")"

# A --help after other flags still only tells.
run_throng "$WORK/late.txt" add watchdog --name w --help
expect_rc 0 "$WORK/late.txt"
[ ! -e "$WORK/.throng" ] || fail "add --help made a home"
run_throng "$WORK/nosuch.txt" help nosuch
expect_rc 2 "$WORK/nosuch.txt"
expect_grep "unknown command 'nosuch'" "$WORK/nosuch.txt"
echo PASS
