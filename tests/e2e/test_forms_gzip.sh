#!/usr/bin/env bash
# Forms, multipart uploads, query strings and compressed pages against a
# small Python web application (form_server.py) that parses what throng
# sends as a server would and answers gzip, deflate (zlib and raw) pages
# whether asked for or not. The report counts the bytes on the wire: a
# megabyte page costs a few kilobytes of bytes_received. A body decoding
# past --max-body, an unknown encoding and corrupt data are http-error
# faults that say why.
. "$(dirname "$0")/lib.sh"

timeout 90 python3 "$(dirname "$0")/form_server.py" >"$WORK/srv.out" 2>"$WORK/srv.err" &
SERVER_PIDS="$SERVER_PIDS $!"
ADDR=""
for i in $(seq 100); do
    ADDR=$(sed -n 's/^listening on //p' "$WORK/srv.out")
    [ -n "$ADDR" ] && break
    sleep 0.05
done
[ -n "$ADDR" ] || fail "form_server.py did not start: $(cat "$WORK/srv.err")"

P="$(dirname "$0")/personas"
printf 'uploaded file\nsecond line\n' >"$WORK/upload.txt"
run_throng "$WORK/forms.out" run "$P/forms.lua" -s "$ADDR" -c 2 -d 2s --slow-down 0 \
    --json "$WORK/forms.json" -- file="$WORK/upload.txt"
expect_rc 0 "$WORK/forms.out"
expect_no_fault "$WORK/forms.out" invalid
expect_no_fault "$WORK/forms.out" script-error
expect_no_fault "$WORK/forms.out" http-error
check_ledger "$WORK/forms.json"
python3 - "$WORK/forms.json" <<'PY' || fail "bytes on the wire: $(cat "$WORK/forms.out")"
import json, sys
doc = json.load(open(sys.argv[1]))
t = doc["totals"]
names = {n["name"]: n for g in doc["groups"] for n in g["names"]}
big = names["big"]["requests"]
assert big >= 2, "at least one session each expected, got %d big pages" % big
# Each big page decodes to over a megabyte; on the wire it is a few KB.
# Counting decoded bytes would put bytes_received above big * 1 MB.
per_request = t["bytes_received"] / t["requests"]
print("big pages %d, requests %d, bytes_received %d (%.0f per request)"
      % (big, t["requests"], t["bytes_received"], per_request))
assert t["bytes_received"] < big * 200000, "decoded bytes counted as received"
assert t["bytes_received"] > t["requests"] * 100, "received bytes not counted"
PY

# Refused bodies: each an http-error fault naming why.
cat >"$WORK/get.lua" <<'LUA'
local P = {}
function P:init(args) self.path = args.path end
function P:request() return { path = self.path, compressed = true } end
return P
LUA
for case in "bomb|body larger than max_body (1048576 bytes) once decoded" \
            "br|Content-Encoding 'br' is not one throng decodes" \
            "corrupt|Content-Encoding gzip: the body is not valid gzip data"; do
    path=${case%%|*} why=${case#*|}
    run_throng "$WORK/$path.out" run "$WORK/get.lua" -s "$ADDR" -c 1 -n 1 --max-body 1048576 \
        --json "$WORK/$path.json" -- path=/$path
    [ "$(fault_count "$WORK/$path.out" http-error)" = 1 ] || fail "/$path: one http-error expected"
    expect_grep "$why" "$WORK/$path.out"
    check_ledger "$WORK/$path.json"
done
echo "ok"
