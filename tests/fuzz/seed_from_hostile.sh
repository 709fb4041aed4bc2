#!/bin/sh
# seed_from_hostile.sh: writes the http_response corpus's seeds made from
# the hostile-server suites' canned responses, each as the fuzz target
# reads its input (tests/fuzz/README.md): two control bytes (flags 0, no
# piece sizes: whole), then the response's bytes.
#
# The hostile-server suite (tests/hostile/server.py) writes every canned
# response to DIR/<mode> with --dump-responses DIR; when it is not there
# (or cannot dump), the responses of tests/e2e/hostile_server.py are used.
# Seeds are named hostile-<mode>; running it again rewrites them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$here/corpus/http_response"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ -f "$root/tests/hostile/server.py" ] &&
    timeout 60 python3 "$root/tests/hostile/server.py" --dump-responses "$tmp/dump" >/dev/null 2>&1 &&
    [ -n "$(ls "$tmp/dump" 2>/dev/null)" ]; then
    echo "seed_from_hostile: from tests/hostile/server.py --dump-responses"
else
    echo "seed_from_hostile: from tests/e2e/hostile_server.py (tests/hostile/server.py cannot dump)"
    mkdir -p "$tmp/dump"
    python3 - "$root/tests/e2e" "$tmp/dump" <<'PY'
import os, sys
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
import hostile_server as h
out = sys.argv[2]
whole = h.table_body(3, 2)
responses = {
    "ok": h.answer(200, h.table_body(3, 2)),
    "wrong": h.answer(200, h.table_body(3, 3)),
    "garbage": b"\x00\x01 this is not HTTP \xff\r\n\r\n",
    "truncated": h.answer(200, whole[: len(whole) // 2], True, len(whole)),
    "status": h.answer(200, b'{"connections":1,"requests":1}', False),
    "bad-request": h.answer(400, b"not a table request\n"),
}
for name, data in responses.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
PY
fi
n=0
for f in "$tmp"/dump/*; do
    [ -f "$f" ] || continue
    mode=$(basename "$f")
    { printf '\000\000'; cat "$f"; } >"$out/hostile-$mode"
    n=$((n + 1))
done
echo "seed_from_hostile: $n seeds in $out"
