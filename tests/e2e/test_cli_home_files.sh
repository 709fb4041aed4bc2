# The home's files: owner-only, and a symlink planted at one of their names
# is never written through.
. "$(dirname "$0")/lib.sh"

start_server S
H="$WORK/home"
trap 'timeout 30 "$THRONG" stop --home "$H" >/dev/null 2>&1; cleanup' EXIT
home() { timeout 30 "$THRONG" "$@" --home "$H"; }
umask 022

home create >/dev/null || fail "create"
home add table g -s "$S_ADDR" -c 1 >/dev/null || fail "add"
[ "$(stat -c %a "$H/groups/g")" = 600 ] || fail "groups/g is $(stat -c %a "$H/groups/g"), not 600"
home update g -c 2 >/dev/null || fail "update"
[ "$(stat -c %a "$H/groups/g")" = 600 ] || fail "groups/g is $(stat -c %a "$H/groups/g") after update"

# Symlinks where the supervisor and the group write, each to a file of its own.
for f in logs/g.out state/g.status state/g.json supervisor.pid; do
    v="$WORK/victim-$(basename "$f")"
    echo precious >"$v"
    ln -s "$v" "$H/$f"
done
home start >"$WORK/start.out" || fail "start: $(cat "$WORK/start.out")"
for _ in $(seq 50); do
    [ -f "$H/state/g.status" ] && [ ! -L "$H/state/g.status" ] && break
    sleep 0.2
done
sleep 1
for f in logs/g.out state/g.status state/g.json supervisor.pid; do
    v="$WORK/victim-$(basename "$f")"
    [ "$(cat "$v")" = precious ] || fail "written through the symlink at $f: $(head -c 200 "$v")"
done
grep -q "cannot open $H/logs/g.out: Too many levels of symbolic links" "$H/supervisor.log" ||
    fail "the refused logs/g.out is not said: $(cat "$H/supervisor.log")"
home status >"$WORK/status.out"
grep -Eq "^g +<[0-9]+>" "$WORK/status.out" || fail "the group does not run: $(cat "$WORK/status.out")"
home stop >/dev/null || fail "stop"

# What the home holds now is regular files, the owner's alone.
bad=$(find "$H" -mindepth 1 \( -type f ! -perm 600 \) -o \( -type d ! -perm 700 \) \
    -o -type l ! -name g.out)
[ -z "$bad" ] || fail "not owner-only: $(ls -la $bad)"
echo "ok"
