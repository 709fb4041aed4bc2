#!/usr/bin/env bash
# A session-style client follows redirects by default (follow = 5), but
# holds no redirect state while it thinks: the state (about 1.3 KB with its
# copy of the request) goes when the answer has come, and res.url is the
# response's own. 2000 clients that sent one request each and sleep cost
# the same resident memory with follow = 5 as with follow = 0 (before,
# about 2.3 KB more a client: 4.5 MB for the 2000).
. "$(dirname "$0")/lib.sh"

# A sanitizer keeps freed memory in quarantine: resident memory then says
# nothing of what the engine keeps.
if grep -qa -e __asan_init -e __tsan_init "$THRONG"; then
    echo "SKIP: a sanitized build's resident memory holds its quarantine"
    exit 77
fi
N=2000
[ "$(ulimit -n)" -ge $((N + 200)) ] || ulimit -n $((N + 200)) 2>/dev/null || {
    echo "SKIP: $N connections need more open files than ulimit -n allows"
    exit 77
}
start_server srv

cat >"$WORK/think.lua" <<'LUA'
local P = {}
function P:init(args) self.follow = tonumber(args.follow) end
function P:session(client)
  client:get("/status", { follow = self.follow })
  client:sleep(60)
end
return P
LUA

# rss FOLLOW: the client's VmRSS in kB once its clients are all thinking,
# and the connections it holds then.
rss() {
    timeout 60 "$THRONG" run "$WORK/think.lua" -s "$srv_ADDR" -c $N -d 7s -q -- follow="$1" \
        >"$WORK/run$1.out" 2>&1 &
    local waitfor=$! pid kb conns
    sleep 5
    pid=$(pgrep -P "$waitfor" | head -1)
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
    conns=$(ls -l "/proc/$pid/fd" 2>/dev/null | grep -c socket)
    wait "$waitfor"
    echo "$kb $conns"
}

read -r none none_conns <<<"$(rss 0)"
read -r five five_conns <<<"$(rss 5)"
echo "follow = 0: $none kB, $none_conns connections; follow = 5: $five kB, $five_conns connections"
[ -n "$none" ] && [ -n "$five" ] || fail "no VmRSS read: $(cat "$WORK/run0.out" "$WORK/run5.out")"
[ "$none_conns" -ge $((N * 9 / 10)) ] && [ "$five_conns" -ge $((N * 9 / 10)) ] ||
    fail "the clients were not all connected and thinking"
# 1.5 MB for the 2000 (768 bytes a client): noise, not a kept state.
[ $((five - none)) -lt 1500 ] ||
    fail "follow = 5 cost $((five - none)) kB more for $N thinking clients"
echo "ok"
