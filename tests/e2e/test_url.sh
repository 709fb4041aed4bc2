#!/usr/bin/env bash
# test_url.sh - `throng run URL`: the url persona against `throng serve`, a
# small Python server that records what it is asked (method, path, headers,
# body), and Python's own http.server; --urls lists, --pick, --expect-status
# and --expect-body faults; the URL-mode defaults (one keep-alive connection
# per client, no think time) and the flags that change them; bad URLs
# refused with exit 2 naming the problem; and the table persona still the
# default when no path is given.
. "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)

# start_recorder: the recording server on a free port, bounded to 100 s;
# sets REC_PORT and REC_LOG (one JSON line per request).
start_recorder() {
    REC_LOG="$WORK/recorded.jsonl"
    : >"$REC_LOG"
    start_python REC_PORT 120 "$HERE/record_server.py" "$REC_LOG" 100
}

# recorded EXPR: a Python expression over `reqs` (the recorded requests, a
# list of dicts with method, path, headers as [name, value] pairs, body),
# printed.
recorded() {
    python3 - "$REC_LOG" "$1" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def header(r, name):
    return [v for k, v in r["headers"] if k.lower() == name.lower()]
print(eval(sys.argv[2]))
PY
}

expect_recorded() {
    local got
    got=$(recorded "$1")
    [ "$got" = "$2" ] || fail "recorded $1: expected '$2', got '$got'; requests:
$(cat "$REC_LOG")"
}

# --- 1. against throng serve: as hard as wrk, one connection per client -----
start_server TABLE
run_throng "$WORK/serve.out" run -c 4 -d 1s -q "http://$TABLE_ADDR/Xy?x=3&y=2" \
    --expect-status 200 --expect-body '^\{"value":\["vector<vector<float8>>",\[\[[-0-9.,]+\],\[[-0-9.,]+\]\]'
expect_rc 0 "$WORK/serve.out"
expect_no_fault "$WORK/serve.out" invalid
n=$(report_count "$WORK/serve.out" requests)
[ "${n:-0}" -ge 500 ] || fail "a second of 4 clients without think time asked only ${n:-0}: $(cat "$WORK/serve.out")"
[ "$(report_count "$WORK/serve.out" connections)" = 4 ] ||
    fail "each client should keep its one connection: $(cat "$WORK/serve.out")"
[ "$(report_count "$WORK/serve.out" sessions)" = 0 ] ||
    fail "a URL run's sessions last as long as the run: $(cat "$WORK/serve.out")"
expect_grep "/Xy " "$WORK/serve.out"

# --show-config: the url persona, the URL's server, the defaults of URL mode.
run_throng "$WORK/config.out" run --show-config "http://$TABLE_ADDR/Xy?x=1&y=1"
expect_rc 0 "$WORK/config.out"
expect_grep "persona          url" "$WORK/config.out"
expect_grep "server           http://$TABLE_ADDR" "$WORK/config.out"
expect_grep "request count    100000000" "$WORK/config.out"
expect_grep "slow down        0s" "$WORK/config.out"
expect_grep "argument         url=http://$TABLE_ADDR/Xy?x=1&y=1" "$WORK/config.out"

# --server with a path is a URL too; --slow-down and --request-count still
# apply when given.
run_throng "$WORK/slow.out" run -s "http://$TABLE_ADDR/Xy?x=1&y=1" -c 1 -d 1s -q \
    --slow-down 0.2 --request-count 2
expect_rc 0 "$WORK/slow.out"
n=$(report_count "$WORK/slow.out" requests)
[ "${n:-0}" -ge 2 ] && [ "${n:-0}" -le 8 ] ||
    fail "0.2s of think time allows about 5 requests a second, not ${n:-0}: $(cat "$WORK/slow.out")"
[ "$(report_count "$WORK/slow.out" sessions)" -ge 1 ] ||
    fail "--request-count 2 ends sessions: $(cat "$WORK/slow.out")"

# --- 2. what a server not written for throng receives ----------------------
start_recorder
R="http://127.0.0.1:$REC_PORT"
run_throng "$WORK/put.out" run -c 1 -n 2 -q "$R/a/b?c=1&d=%20#frag" -m put \
    -H 'X-Test: one' -H 'Authorization: Bearer t0k3n' -b 'hello world' --content-type text/plain
expect_rc 0 "$WORK/put.out"
expect_recorded 'len(reqs)' 2
expect_recorded 'reqs[0]["method"], reqs[0]["path"]' "('PUT', '/a/b?c=1&d=%20')"
expect_recorded 'header(reqs[0], "X-Test"), header(reqs[0], "Authorization")' \
    "(['one'], ['Bearer t0k3n'])"
expect_recorded 'header(reqs[0], "Content-Type"), header(reqs[0], "Content-Length")' \
    "(['text/plain'], ['11'])"
expect_recorded 'header(reqs[0], "Host")' "['127.0.0.1:$REC_PORT']"
expect_recorded 'reqs[1]["body"]' "hello world"

# A body without a method is a POST; a body that reads as a number is sent as written.
: >"$REC_LOG"
run_throng "$WORK/post.out" run -c 1 -n 1 -q "$R" -b 007
expect_rc 0 "$WORK/post.out"
expect_recorded 'reqs[0]["method"], reqs[0]["path"], reqs[0]["body"]' "('POST', '/', '007')"

# --body-file, with a line break and a header given twice (joined).
printf '{"a": 1,\n "b": [2, 3]}\n' >"$WORK/body.json"
: >"$REC_LOG"
run_throng "$WORK/file.out" run -c 1 -n 1 -q "$R/upload" --body-file "$WORK/body.json" \
    --content-type application/json -H 'Accept: text/plain' -H 'accept: */*'
expect_rc 0 "$WORK/file.out"
expect_recorded 'reqs[0]["body"] == open("'"$WORK/body.json"'").read()' True
expect_recorded 'header(reqs[0], "Accept")' "['text/plain, */*']"
expect_recorded 'header(reqs[0], "Content-Type")' "['application/json']"

# --- 3. --urls: METHOD URL @bodyfile lines, round-robin and random ---------
mkdir -p "$WORK/list"
printf 'second body' >"$WORK/list/two.txt"
cat >"$WORK/list/urls.txt" <<EOF
# a comment, then a blank line

GET $R/one
POST $R/two @two.txt
$R/three?x=1
DELETE $R/four
EOF
: >"$REC_LOG"
run_throng "$WORK/list.out" run -c 1 -n 8 -q --urls "$WORK/list/urls.txt"
expect_rc 0 "$WORK/list.out"
expect_recorded 'sorted((r["method"], r["path"], r["body"]) for r in reqs)' \
    "[('DELETE', '/four', ''), ('DELETE', '/four', ''), ('GET', '/one', ''), ('GET', '/one', ''), ('GET', '/three?x=1', ''), ('GET', '/three?x=1', ''), ('POST', '/two', 'second body'), ('POST', '/two', 'second body')]"
# Round-robin: one client takes them in the list's order, from wherever it starts.
expect_recorded '"".join(r["path"][1] for r in reqs) in "ottf" * 4' True

: >"$REC_LOG"
run_throng "$WORK/random.out" run -c 2 -n 200 -q --urls "$WORK/list/urls.txt" --pick random --seed 7
expect_rc 0 "$WORK/random.out"
expect_recorded 'sorted(set(r["path"] for r in reqs))' "['/four', '/one', '/three?x=1', '/two']"
expect_recorded 'any(a["path"] == b["path"] for a, b in zip(reqs, reqs[1:]))' True

# --- 4. expectations: invalid faults ----------------------------------------
run_throng "$WORK/status.out" run -c 2 -d 5s -q "$R/status/404" --expect-status 200,204
expect_rc 1 "$WORK/status.out"
[ "$(fault_count "$WORK/status.out" invalid)" = 2 ] || fail "two clients, two invalid: $(cat "$WORK/status.out")"
expect_grep "status 404, expected 200,204" "$WORK/status.out"

run_throng "$WORK/class.out" run -c 1 -n 3 -q "$R/status/404" --expect-status 4xx
expect_rc 0 "$WORK/class.out"

# Without --expect-status any status passes, as with wrk; counted by class.
run_throng "$WORK/any.out" run -c 1 -n 3 -q "$R/status/503"
expect_rc 0 "$WORK/any.out"
expect_grep "503 3" "$WORK/any.out"

# A regular expression, not a Lua pattern: alternation and counted repetition.
run_throng "$WORK/re.out" run -c 1 -n 3 -q "$R/greeting" --expect-body '(hi|hello) fr[o]{1,2}m'
expect_rc 0 "$WORK/re.out"
run_throng "$WORK/nore.out" run -c 1 -n 3 -q "$R/greeting" --expect-body 'goodbye|^hello$'
expect_rc 1 "$WORK/nore.out"
[ "$(fault_count "$WORK/nore.out" invalid)" = 1 ] || fail "the body did not match: $(cat "$WORK/nore.out")"
expect_grep "the body does not match goodbye|^hello\$" "$WORK/nore.out"

# --- 5. Python's http.server, which closes after every answer --------------
mkdir -p "$WORK/www"
echo "static file content" >"$WORK/www/file.txt"
(cd "$WORK/www" && exec timeout 100 python3 -u -m http.server 0 --bind 127.0.0.1) \
    >"$WORK/hs.out" 2>&1 &
SERVER_PIDS="$SERVER_PIDS $!"
HS_PORT=""
for i in $(seq 100); do
    HS_PORT=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$WORK/hs.out" | head -1)
    [ -n "$HS_PORT" ] && break
    sleep 0.05
done
[ -n "$HS_PORT" ] || fail "python3 -m http.server did not start: $(cat "$WORK/hs.out")"
run_throng "$WORK/hs.run" run -c 2 -d 1s -q "http://127.0.0.1:$HS_PORT/file.txt" \
    --expect-status 200 --expect-body 'static file'
expect_rc 0 "$WORK/hs.run"
[ "$(report_count "$WORK/hs.run" requests)" -ge 20 ] || fail "http.server: $(cat "$WORK/hs.run")"
run_throng "$WORK/hs404.run" run -c 1 -d 5s -q "http://127.0.0.1:$HS_PORT/missing" --expect-status 200
expect_rc 1 "$WORK/hs404.run"
expect_grep "status 404, expected 200" "$WORK/hs404.run"

# --- 6. refused before anything runs, exit 2, naming the problem ----------
refused() {
    local want=$1
    shift
    run_throng "$WORK/refused.out" run -d 1s -q "$@"
    expect_rc 2 "$WORK/refused.out"
    expect_grep "$want" "$WORK/refused.out"
}
refused "'99999' is not a port number" "http://127.0.0.1:99999/"
refused "scheme 'ftp://' is not supported" "ftp://127.0.0.1/x"
refused "the path holds a space" "http://127.0.0.1:1/a b"
refused "user names and passwords" "http://me:pw@127.0.0.1/"
refused "write IPv6 addresses in brackets" "http://::1:80/"
refused "'[zz::1]' is not an IPv6 address" "http://[zz::1]/"
refused "missing host" "http:///x"
refused "is not a regular expression" "$R/" --expect-body '(unclosed'
refused "--body-file: cannot read" "$R/" --body-file "$WORK/no-such-file"
refused "give --body or --body-file, not both" "$R/" -b x --body-file "$WORK/body.json"
refused "give the URL once" "$R/x" -s "$R/y"
refused "--method applies to a URL" -m POST
refused "--expect-status applies to a URL" -s "$TABLE_ADDR" --expect-status 200
refused "drop the persona 'typical'" --client-type typical "$R/x"
refused "paths come from the persona" typical -s "$R/x"
refused "--big-table is the table persona's" "$R/x" --big-table 5
refused "--urls: cannot read" --urls "$WORK/no-such-list"
printf 'GET %s/one\nGET http://127.0.0.1:1/two\n' "$R" >"$WORK/mixed.txt"
refused "mixed.txt:2: 'http://127.0.0.1:1/two' is not on $R" --urls "$WORK/mixed.txt"
printf 'POST %s/one @missing.bin\n' "$R" >"$WORK/nobody.txt"
refused "nobody.txt:1: cannot read the body file" --urls "$WORK/nobody.txt"
printf 'GET %s/one extra\n' "$R" >"$WORK/extra.txt"
refused "extra.txt:1: expected [METHOD] URL [@BODYFILE]" --urls "$WORK/extra.txt"
refused "'2zz' is not a status" "$R/" --expect-status 2zz
refused "is not of the form 'Name: value'" "$R/" -H 'no colon here'

# --- 7. no path: the table persona, as before ------------------------------
for server in "$TABLE_ADDR" "http://$TABLE_ADDR" "http://$TABLE_ADDR/"; do
    run_throng "$WORK/table.out" run -s "$server" --show-config
    expect_rc 0 "$WORK/table.out"
    expect_grep "persona          table" "$WORK/table.out"
    expect_grep "request count    1" "$WORK/table.out"
    expect_grep "slow down        0.5s" "$WORK/table.out"
done
run_throng "$WORK/table.run" run -s "http://$TABLE_ADDR/" -c 2 -d 1s -q
expect_rc 0 "$WORK/table.run"
expect_grep "table " "$WORK/table.run"

echo "test_url: ok"
