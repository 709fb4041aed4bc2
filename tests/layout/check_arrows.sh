#!/bin/sh
# check_arrows.sh SOURCE_DIR - the engine's parts use only the parts below
# them (docs/architecture.md), and the command line uses only the public
# header. Prints every include that breaks a rule; exits 1 if there is one.
# One awk reads every file: a process per file took seconds on a machine
# where starting one is dear.
set -eu
src=${1:?usage: check_arrows.sh SOURCE_DIR}
cd "$src"

# Every folder of engine/src is a part docs/architecture.md names.
bad=0
for dir in engine/src/*/; do
    case $dir in
    engine/src/core/ | engine/src/client/ | engine/src/lua/ | engine/src/report/ | \
        engine/src/stats/ | engine/src/util/ | engine/src/serve/) ;;
    *)
        echo "${dir%/}: a part docs/architecture.md does not name"
        bad=1
        ;;
    esac
done

# What each part may include besides itself (the same parts as above).
# serve/ stands apart: it uses only util/.
awk '
BEGIN {
    allowed["core"] = "client lua stats report util"
    allowed["client"] = "lua stats util"
    allowed["lua"] = "stats util"
    allowed["report"] = "stats util"
    allowed["stats"] = "util"
    allowed["util"] = ""
    allowed["serve"] = "util"
    bad = 0
}
function complain(msg) { print msg; bad = 1 }
FNR == 1 {
    split(FILENAME, p, "/")
    cli = (p[1] == "engine" && p[2] == "cli")
    part = cli ? "" : p[3]
}
# The parts of engine/src: an include of another part must be one of its
# allowed ones, and a header included without its part hides the arrow.
!cli && /^#include "[a-z_]*\// {
    used = $0
    sub(/^#include "/, "", used)
    sub(/\/.*/, "", used)
    if (used != part && (part in allowed) && index(" " allowed[part] " ", " " used " ") == 0)
        complain(FILENAME " includes " used "/: " part " may use only: " \
                 (allowed[part] == "" ? "nothing" : allowed[part]))
}
!cli && /^#include "[a-z_]*\.h"/ && !/"throng\.h"/ {
    complain(FILENAME " includes an engine header without its part: " FNR ":" $0)
}
# The command line is written against throng.h alone (and its own files)...
cli && /^#include "/ {
    inc = $0
    sub(/^#include "/, "", inc)
    sub(/".*/, "", inc)
    if (inc == "throng.h") next
    if (inc ~ /\//) {
        complain(FILENAME " includes " inc ": the command line uses only throng.h")
    } else {
        own = "engine/cli/" inc
        if ((getline line < own) < 0) complain(FILENAME " includes " inc ", which is not the command line'"'"'s own")
        close(own)
    }
}
# ... and libc: no library the engine hides behind throng.h (Lua, cJSON,
# libuv, llhttp, OpenSSL).
cli && /^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]/ {
    inc = $0
    sub(/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]/, "", inc)
    sub(/[>"].*/, "", inc)
    if (inc ~ /^(lua\.h|lua[a-z]*\.h|lauxlib\.h|cjson\/.*|cJSON\.h|uv\.h|uv\/.*|llhttp\.h|openssl\/.*)$/)
        complain(FILENAME " includes <" inc ">: the command line uses only throng.h and libc")
}
END { exit bad }
' engine/src/*/*.c engine/src/*/*.h engine/cli/*.c engine/cli/*.h || bad=1
[ "$bad" -eq 0 ] && echo "arrows: every include runs one way"
exit "$bad"
