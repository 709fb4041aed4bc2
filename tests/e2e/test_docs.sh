#!/bin/bash
# test_docs.sh - the docs say what the command does (issue 12, point 4):
#  (a) every flag `throng run --help` shows is in the README's flag tables,
#      and every flag of those tables is one run takes;
#  (b) after `cmake --install`, `man throng-CMD` shows the text of
#      `throng CMD --help` (word for word, whatever the line breaks) for
#      every command, and `man throng` that of `throng --help`;
#  (c) the installed bash completion offers every command, every flag of
#      every command, the built-in persona names and a flag's values;
#  (d) every status the README says `throng serve` answers is one its code
#      sends, and each is answered to the request the README names.
. "$(dirname "$0")/lib.sh"

SOURCE=${THRONG_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=$(cd "$(dirname "$THRONG")" && pwd)
README=$SOURCE/README.md
COMMANDS=$("$THRONG" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
[ -n "$COMMANDS" ] || fail "throng --help lists no command"

# flags_of TEXT: the flags of a --help text's flag columns, one a line.
flags_of() {
    sed -n -E 's/^ +(-[A-Za-z0-9], )?(--[a-z0-9-]+).*/\1\2/p' | tr -d ',' | tr ' ' '\n' | sed '/^$/d' | sort -u
}
# table_flags SECTION: the flags in the first column of the tables of the
# README section whose heading starts with SECTION.
table_flags() {
    awk -v h="$1" 'index($0, h) == 1 { on = 1; next } on && /^#/ { exit } on && /^\| `/' "$README" |
        cut -d'|' -f2 | grep -oE '(^|[ `,])--?[A-Za-z][a-z0-9-]*' | sed -E 's/^[ `,]//' | sort -u
}

# (a) README flag tables against run --help.
"$THRONG" run --help >"$WORK/run.txt"
sed -n '/^flags:/,/^$/p' "$WORK/run.txt" | flags_of >"$WORK/run-flags"
sed -n '/^flags of the layer-cake/,/^$/p' "$WORK/run.txt" | flags_of >"$WORK/lc-flags"
[ "$(wc -l <"$WORK/run-flags")" -gt 40 ] || fail "few flags read from run --help: $(cat "$WORK/run-flags")"
[ "$(wc -l <"$WORK/lc-flags")" -ge 5 ] || fail "no layer-cake flags read from run --help"
table_flags '### `throng run`' >"$WORK/readme-flags"
table_flags '### Processes' >"$WORK/readme-lc-flags"
missing=$(comm -23 "$WORK/run-flags" "$WORK/readme-flags")
[ -z "$missing" ] || fail "throng run --help shows flags the README's flag table lacks: $missing"
extra=$(comm -13 "$WORK/run-flags" "$WORK/readme-flags")
[ -z "$extra" ] || fail "the README's flag table has flags throng run --help does not show: $extra"
missing=$(comm -23 "$WORK/lc-flags" "$WORK/readme-lc-flags")
[ -z "$missing" ] || fail "layer-cake flags of run --help missing from the README's table: $missing"
extra=$(comm -13 <(sort -u "$WORK/run-flags" "$WORK/lc-flags") "$WORK/readme-lc-flags")
[ -z "$extra" ] || fail "the README's layer-cake table has flags run does not take: $extra"

# (b) and (c) need the installed tree.
grep -q '^THRONG_DOCS:BOOL=OFF' "$BUILD/CMakeCache.txt" && {
    echo "SKIP: built with -DTHRONG_DOCS=OFF"
    exit 77
}
PREFIX=$WORK/prefix
timeout 120 cmake --install "$BUILD" --prefix "$PREFIX" >"$WORK/install.log" 2>&1 ||
    fail "cmake --install failed: $(tail -20 "$WORK/install.log")"
MANDIR=$PREFIX/share/man
COMPLETION=$PREFIX/share/bash-completion/completions/throng
[ -f "$COMPLETION" ] || fail "no completion installed at $COMPLETION"

# words: a text as one word a line, so that line breaks do not count.
words() { tr -s ' \t\n' '\n\n\n' | sed '/^$/d'; }
# man_body PAGE: the page as man shows it, from SYNOPSIS to SEE ALSO, with
# neither those headings nor DESCRIPTION.
man_body() {
    LC_ALL=C MANWIDTH=100 MANPATH=$MANDIR timeout 20 man "$1" 2>"$WORK/man.err" | col -b |
        awk '/^SYNOPSIS$/ { on = 1; next } /^SEE ALSO$/ { on = 0 } /^DESCRIPTION$/ { next } on'
}
if command -v man >/dev/null && command -v col >/dev/null; then
    for c in throng $COMMANDS; do
        page=throng-$c
        [ "$c" = throng ] && page=throng
        [ -f "$MANDIR/man1/$page.1" ] || fail "no man page $MANDIR/man1/$page.1"
        if [ "$c" = throng ]; then "$THRONG" --help | tail -n +2; elif [ "$c" = help ]; then "$THRONG" help --help | tail -n +2; else "$THRONG" "$c" --help; fi |
            sed 's/^usage: //' | words >"$WORK/help.words"
        man_body "$page" | words >"$WORK/man.words"
        [ -s "$WORK/man.words" ] || fail "man $page shows nothing: $(cat "$WORK/man.err")"
        diff "$WORK/help.words" "$WORK/man.words" >"$WORK/man.diff" ||
            fail "man $page differs from its --help (< help, > man): $(head -20 "$WORK/man.diff")"
        # Its NAME line is the command's line of throng --help.
        if [ "$c" != throng ] && [ "$c" != help ]; then
            line=$("$THRONG" --help | awk -v c="$c" '$1 == c { $1 = ""; sub(/^ +/, ""); print; exit }')
            LC_ALL=C MANWIDTH=300 MANPATH=$MANDIR man "$page" 2>/dev/null | col -b |
                grep -qF "$page - $line" || fail "man $page: its NAME is not '$page - $line'"
        fi
    done
else
    echo "note: man or col missing: the pages' text checked in roff only"
    grep -q 'throng run \[PERSONA' "$MANDIR/man1/throng-run.1" || fail "throng-run.1 has no usage"
fi

# (c) The completion, installed, completing the installed throng.
complete_words() { # LINE: what <TAB> offers after LINE, one a line
    PATH=$PREFIX/bin:$PATH bash -c '
        source "$1" || exit 1
        complete -p throng | grep -q -- "-F _throng" || { echo "not registered: $(complete -p throng)"; exit 1; }
        COMP_LINE=$2 COMP_POINT=${#2}
        read -r -a COMP_WORDS <<<"$2"
        [[ $2 == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        _throng
        printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" "$1" | sort -u
}
cd "$WORK" || fail "cannot enter $WORK"
offered=$(complete_words "throng ")
for c in $COMMANDS; do
    grep -qx "$c" <<<"$offered" || fail "completion of 'throng ' lacks $c: $offered"
done
for c in $COMMANDS; do
    [ "$c" = help ] && continue
    "$THRONG" "$c" --help | flags_of | grep -- '^--' >"$WORK/want"
    complete_words "throng $c --" >"$WORK/got"
    missing=$(comm -23 "$WORK/want" "$WORK/got")
    [ -z "$missing" ] || fail "completion of 'throng $c --' lacks: $missing"
done
missing=$(comm -23 <(sort -u "$WORK/run-flags" "$WORK/lc-flags" | grep -v '^--') \
    <(complete_words "throng run -"))
[ -z "$missing" ] || fail "completion of 'throng run -' lacks: $missing"
# The built-in personas: the engine's own (lua/throng/personas) and the
# scripts of scripts/, as `throng add --help` names them.
builtin=$(ls "$SOURCE"/lua/throng/personas/*.lua "$SOURCE"/scripts/*.lua | xargs -n1 basename |
    sed 's/\.lua$//' | sort -u)
offered=$(complete_words "throng run ")
for p in $builtin; do
    grep -qx "$p" <<<"$offered" || fail "completion of 'throng run ' lacks the persona $p: $offered"
    "$THRONG" add --help | tr -d '(),' | words | grep -qx "$p" || fail "throng add --help does not name $p"
done
offered=$(complete_words "throng add wat")
[ "$offered" = watchdog ] || fail "completion of 'throng add wat' gave: $offered"
offered=$(complete_words "throng run --log-level ")
[ "$(echo $offered)" = "debug error info trace warn" ] || fail "--log-level values: $offered"
offered=$(complete_words "throng run --on-fault=re")
[ "$offered" = restart ] || fail "--on-fault=re gave: $offered"
offered=$(complete_words "throng run typical -- ")
[ -z "$offered" ] || fail "after -- (persona arguments) the completion offered: $offered"

# (d) The statuses of throng serve: the README's table against the code,
# and against a served instance.
readme_codes=$(awk '/^### `throng serve`/ { on = 1; next } on && /^#/ { exit } on' "$README" |
    sed -n -E 's/^\| `([0-9]{3})[^`]*` \|.*/\1/p' | sort -u)
code_codes=$(cat "$SOURCE"/engine/src/serve/*.c |
    grep -oE '(answer_error|answer_body|format_head)\([a-z>-]+, [0-9]{3}|HTTP/1\.1 [0-9]{3}' |
    grep -oE '[0-9]{3}$' | sort -u)
[ -n "$readme_codes" ] || fail "the README's serve section has no status table"
[ "$(echo $readme_codes)" = "$(echo $code_codes)" ] ||
    fail "README serve statuses '$(echo $readme_codes)' but the code sends '$(echo $code_codes)'"
start_server srv
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
J='Content-Type: application/json'
[ "$(status "http://$srv_ADDR/status")" = 200 ] || fail "GET /status is not 200"
[ "$(status -H "$J" -d '{"value":{"x":0,"y":2}}' "http://$srv_ADDR/Xy")" = 400 ] || fail "x=0 is not 400"
[ "$(status "http://$srv_ADDR/nosuch")" = 404 ] || fail "/nosuch is not 404"
[ "$(status -X DELETE "http://$srv_ADDR/Xy")" = 405 ] || fail "DELETE /Xy is not 405"
[ "$(status -H "$J" --data-binary @<(head -c 1100000 /dev/zero | tr '\0' 1) "http://$srv_ADDR/Xy")" = 413 ] ||
    fail "a 1.1 MB body is not 413"
[ "$(status "http://$srv_ADDR/$(printf 'a%.0s' $(seq 300))")" = 414 ] || fail "a 300-byte target is not 414"
[ "$(status -d 'x' "http://$srv_ADDR/Xy")" = 415 ] || fail "a form body is not 415"
[ "$(status -H "X-Big: $(printf 'b%.0s' $(seq 17000))" "http://$srv_ADDR/status")" = 431 ] ||
    fail "17 kB of headers is not 431"
[ "$(status -H "$J" -d '{"value":{"x":1,"y":0}}' "http://$srv_ADDR/Divide")" = 500 ] ||
    fail "a division by zero is not 500"
echo PASS
