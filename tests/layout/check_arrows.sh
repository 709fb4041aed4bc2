#!/bin/sh
# check_arrows.sh SOURCE_DIR - the engine's parts use only the parts below
# them (docs/architecture.md), and the command line uses only the public
# header. Prints every include that breaks a rule; exits 1 if there is one.
set -eu
src=${1:?usage: check_arrows.sh SOURCE_DIR}
cd "$src"

# What each part may include besides itself. serve/ stands apart: it uses
# only util/.
allowed() {
    case $1 in
    core) echo "client lua stats report util" ;;
    client) echo "lua stats util" ;;
    lua) echo "stats util" ;;
    report) echo "stats util" ;;
    stats) echo "util" ;;
    util) echo "" ;;
    serve) echo "util" ;;
    *) echo "?" ;;
    esac
}

bad=0
for dir in engine/src/*/; do
    part=$(basename "$dir")
    ok=$(allowed "$part")
    if [ "$ok" = "?" ]; then
        echo "engine/src/$part: a part docs/architecture.md does not name"
        bad=1
        continue
    fi
    for f in "$dir"*.c "$dir"*.h; do
        [ -e "$f" ] || continue
        for used in $(sed -n 's|^#include "\([a-z_]*\)/.*|\1|p' "$f" | sort -u); do
            [ "$used" = "$part" ] && continue
            case " $ok " in
            *" $used "*) ;;
            *)
                echo "$f includes $used/: $part may use only: ${ok:-nothing}"
                bad=1
                ;;
            esac
        done
        # A header included without its part hides the arrow.
        if grep -n '^#include "[a-z_]*\.h"' "$f" | grep -v '"throng.h"' >/dev/null; then
            echo "$f includes an engine header without its part: $(grep -n '^#include "[a-z_]*\.h"' "$f" | grep -v throng.h | head -1)"
            bad=1
        fi
    done
done

# The command line is written against throng.h alone (and its own files).
for f in engine/cli/*.c engine/cli/*.h; do
    for inc in $(sed -n 's|^#include "\(.*\)"|\1|p' "$f"); do
        case $inc in
        throng.h) ;;
        */*)
            echo "$f includes $inc: the command line uses only throng.h"
            bad=1
            ;;
        *) [ -e "engine/cli/$inc" ] || {
            echo "$f includes $inc, which is not the command line's own"
            bad=1
        } ;;
        esac
    done
done
# ... and libc: no library the engine hides behind throng.h (Lua, cJSON,
# libuv, llhttp, OpenSSL).
for f in engine/cli/*.c engine/cli/*.h; do
    for inc in $(sed -n 's|^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]\([^>"]*\)[>"].*|\1|p' "$f"); do
        case $inc in
        lua.h | lua[a-z]*.h | lauxlib.h | cjson/* | cJSON.h | uv.h | uv/* | llhttp.h | openssl/*)
            echo "$f includes <$inc>: the command line uses only throng.h and libc"
            bad=1
            ;;
        esac
    done
done
[ "$bad" -eq 0 ] && echo "arrows: every include runs one way"
exit "$bad"
