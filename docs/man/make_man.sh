#!/bin/sh
# make_man.sh THRONG OUTDIR COMMAND...
#
# Writes the man pages throng.1 and throng-COMMAND.1 into OUTDIR from the
# --help text of the throng binary THRONG, so a page says exactly what
# `throng COMMAND --help` says (the build runs this; docs/man/README.md).
# A page is: NAME (the command's line in `throng --help`), SYNOPSIS (the
# usage lines), DESCRIPTION (the rest, a blank line a paragraph, an
# indented "TERM  meaning" line a tagged paragraph), SEE ALSO.
# `throng help --help` prints `throng --help`, so throng-help.1 points to
# throng.1.
set -eu
throng=$1
out=$2
shift 2
version=$("$throng" version | sed 's/^throng //')
mkdir -p "$out"

# roff_page NAME SUMMARY SEEALSO SOURCE < help text > page
roff_page() {
    awk -v source="$4" -v name="$1" -v summary="$2" -v seealso="$3" -v version="$version" '
    function esc(s) {
        gsub(/\\/, "\\e", s)
        gsub(/-/, "\\-", s)
        return s
    }
    function text(s) {          # a line of running text
        s = esc(s)
        if (s ~ /^[.\x27]/) s = "\\&" s
        return s
    }
    function term(t,   n, i, f, r, w) {   # "-s, --server URL" in bold and italics
        n = split(t, f, " ")
        r = ""
        for (i = 1; i <= n; i++) {
            w = f[i]
            if (w ~ /^-/ || i == 1 && w ~ /^[a-z]+$/) {
                if (w ~ /,$/) r = r "\\fB" esc(substr(w, 1, length(w) - 1)) "\\fR, "
                else r = r "\\fB" esc(w) "\\fR "
            } else {
                r = r "\\fI" esc(w) "\\fR "
            }
        }
        sub(/ $/, "", r)
        return r
    }
    BEGIN {
        upper = toupper(name)
        gsub(/-/, "\\-", upper)
        print ".\\\" Made by docs/man/make_man.sh from `" source "`: edit that text, not this page."
        printf ".TH %s 1 \"\" \"throng %s\" \"throng manual\"\n", upper, version
        print ".nh"
        print ".ad l"
        print ".SH NAME"
        print esc(name) " \\- " text(summary)
        state = "start"
    }
    state == "start" && /^usage: / {
        print ".SH SYNOPSIS"
        print ".nf"
        sub(/^usage: /, "")
        print text($0)
        state = "usage"
        next
    }
    state == "start" { next }   # the top help line before usage: the NAME
    state == "usage" && /^ +[^ ]/ { sub(/^ +/, ""); print text($0); next }
    state == "usage" { print ".fi"; print ".SH DESCRIPTION"; state = "body"; para = 0 }
    /^$/ { if (para) print ".PP"; para = 0; next }
    /^ +[^ ]/ {
        line = $0
        sub(/^ +/, "", line)
        if (match(line, /  +/)) {
            t = substr(line, 1, RSTART - 1)
            d = substr(line, RSTART + RLENGTH)
        } else if (line ~ /^-/) {   # a term too long for its column: "--pick a|b what"
            n = split(line, f, " ")
            t = ""
            for (i = 1; i <= n && f[i] ~ /^-/; i++) t = t f[i] " "
            if (i <= n) { t = t f[i]; i++ }
            d = ""
            for (; i <= n; i++) d = d (d == "" ? "" : " ") f[i]
        } else {
            print text(line)    # a line going on from the one before
            para = 1
            next
        }
        print ".TP"
        print term(t)
        print text(d)
        para = 1
        next
    }
    { print text($0); para = 1 }
    END {
        if (state == "usage") print ".fi"
        if (seealso != "") {
            print ".SH SEE ALSO"
            print seealso
        }
    }'
}

# The commands and their lines, from `throng --help`.
"$throng" --help >"$out/.top"
see_all=""
for cmd in "$@"; do
    [ "$cmd" = help ] && continue # the same page
    see_all="$see_all${see_all:+,
}.BR throng\\-$cmd (1)"
done
roff_page throng "$(sed -n '1s/^throng [^ ]* - //p' "$out/.top")" "$see_all" "throng --help" <"$out/.top" \
    >"$out/throng.1"
for cmd in "$@"; do
    if [ "$cmd" = help ]; then
        printf '.so man1/throng.1\n' >"$out/throng-help.1"
        continue
    fi
    summary=$(awk -v c="$cmd" '$1 == c && /^  [a-z]/ { $1 = ""; sub(/^ +/, ""); print; exit }' \
        "$out/.top")
    if [ -z "$summary" ]; then
        echo "make_man.sh: 'throng --help' does not list $cmd" >&2
        exit 1
    fi
    see=".BR throng (1)"
    case $cmd in add | update | demo) see="$see,
.BR throng\\-run (1)" ;; esac
    "$throng" "$cmd" --help | roff_page "throng-$cmd" "$summary" "$see" "throng $cmd --help" \
        >"$out/throng-$cmd.1"
    if ! grep -q '^\.SH SYNOPSIS' "$out/throng-$cmd.1"; then
        echo "make_man.sh: 'throng $cmd --help' has no usage line" >&2
        exit 1
    fi
done
rm -f "$out/.top"
