#!/usr/bin/env bash
# soak.sh - a long run that must not grow: the site plan's four scripts
# (watchdog, admin, typical, expert) plus the built-in table persona, side by
# side against `throng serve --busy 5% --drop 1%`, with --on-fault restart,
# for 30 minutes. Every 10 s it samples the client's resident memory (VmRSS)
# and open descriptors, of the throng process and of its worker processes,
# into a CSV. At the end it prints, for the samples after warm-up (the first
# 2 minutes, or the first 10% of a run shorter than 20 minutes), min and max,
# a least-squares slope in KB (or fds) per minute, and a verdict: flat when
# the mean of the last tenth of those samples is within a tolerance of the
# mean of their first tenth (RSS: 5% or 2048 KB, whichever is larger; fds:
# 20% or 10, whichever is larger). It also checks the JSON report's ledger,
# sent = requests + faulted + cancelled + in_flight, for the run, each group
# and each request name, and that no worker process was lost.
#
# usage: tests/bench/soak.sh [--minutes N] [--out DIR] [--interval S]
#        tests/bench/soak.sh --analyse DIR [--minutes N]
#   --minutes N    how long the load runs (default 30; a decimal is fine)
#   --out DIR      where the CSV, the plan, the report and the logs go
#                  (default: a new /tmp/soak.XXXXXX, kept)
#   --interval S   seconds between samples (default 10)
#   --analyse DIR  no run: the verdict on DIR's samples and report again
#                  (a run of --minutes N)
# env: THRONG (the binary; default build-bench/throng, else build/throng)
#
# Exit status: 0 flat and the ledger holds; 1 memory or descriptors not
# flat, the ledger broken, a worker process lost, or the run ended in a way
# it should not (an exit status other than 0, 1 or 5, or not by its
# duration); 2 usage or set-up error. Busy replies, dropped connections and
# the faults they cause are expected (the server is told to make them), and
# so is a missed threshold of the site plan (exit 5).
#
# Not part of the test suite. Everything listens on and connects to
# 127.0.0.1; it stops by itself (the run is given its duration plus 2
# minutes, then stopped), and it stops only the processes it started.
set -eu

prog=soak
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
minutes=30
out=
interval=10
analyse=

usage() {
    sed -n '/^# usage:/,/^# env:/p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in
    --minutes) minutes=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --interval) interval=${2:?}; shift 2 ;;
    --analyse) analyse=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    *) echo "$prog: unknown argument $1" >&2; usage ;;
    esac
done
case "$minutes" in '' | *[!0-9.]* | *.*.*) echo "$prog: --minutes wants a number" >&2; exit 2 ;; esac
case "$interval" in '' | *[!0-9]* | 0) echo "$prog: --interval wants whole seconds" >&2; exit 2 ;; esac
seconds=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 + 0.5 }')
[ "$seconds" -ge 20 ] || { echo "$prog: --minutes must give at least 20 s" >&2; exit 2; }

analyse() { # DIR SECONDS: the verdict, from DIR/samples.csv and DIR/report.json
    python3 - "$1" "$2" "$(cat "$1/run.rc" 2>/dev/null || echo 0)" <<'EOF'
import csv, json, sys

out, seconds, run_rc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = [r for r in csv.DictReader(open(out + "/samples.csv"))]
warm = min(120, seconds // 10)
# Samples from the end of the duration on see the run wind down (workers
# gone, the report being built): not part of the steady state.
after = [r for r in rows if warm <= int(r["t_s"]) < seconds]
ok = True

def slope(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0

print(f"soak: {len(rows)} samples, {len(after)} between {warm}s (warm-up) and {seconds}s; run exit status {run_rc}")
if len(after) < 4:
    print("soak: too few samples after warm-up for a verdict")
    ok = False
else:
    tenth = max(1, len(after) // 10)
    minutes = [int(r["t_s"]) / 60 for r in after]
    half = len(after) // 2
    print(f"{'':14} {'min':>9} {'max':>9} {'first':>9} {'last':>9} {'slope/min':>10} {'2nd half':>9}  verdict")
    for col, unit, rel, floor in (("rss_kb", "KB", 0.05, 2048), ("fds", "", 0.20, 10),
                                  ("main_rss_kb", "KB", 0.05, 2048), ("workers_rss_kb", "KB", 0.05, 2048),
                                  ("serve_rss_kb", "KB", None, None)):
        ys = [float(r[col]) if r[col] not in ("", "-") else 0.0 for r in after]
        first = sum(ys[:tenth]) / tenth
        last = sum(ys[-tenth:]) / tenth
        verdict = "(not judged)"
        if rel is not None:
            tol = max(rel * first, floor)
            verdict = "flat" if abs(last - first) <= tol else ("GROWS" if last > first else "SHRINKS")
            verdict += f" (|{last - first:+.0f}| vs {tol:.0f})"
            if col in ("rss_kb", "fds") and not verdict.startswith("flat"):
                ok = False
        late = slope(minutes[half:], ys[half:])
        print(f"{col:14} {min(ys):9.0f} {max(ys):9.0f} {first:9.0f} {last:9.0f} {slope(minutes, ys):+10.1f} {late:+9.1f}  {verdict}")

try:
    report = json.load(open(out + "/report.json"))
except (OSError, ValueError) as e:
    print(f"soak: no readable JSON report: {e}")
    sys.exit(1)

def ledger(where, c):
    global ok
    total = c["requests"] + c["faulted"] + c["cancelled"] + c["in_flight"]
    if c["sent"] != total:
        print(f"soak: ledger broken in {where}: sent {c['sent']} != {total}")
        ok = False

t = report["totals"]
ledger("the run", t)
for g in report["groups"]:
    ledger("group " + g["name"], g["totals"])
    for n in g.get("names", []):
        ledger(f"group {g['name']} name {n['name']}", n)
print(f"soak: ledger sent {t['sent']} = requests {t['requests']} + faulted {t['faulted']}"
      f" + cancelled {t['cancelled']} + in_flight {t['in_flight']}; ended: {report['ending']}")
procs = report.get("processes") or {}
lost = procs.get("lost", 0) if isinstance(procs, dict) else 0
if lost:
    print(f"soak: {lost} worker process(es) lost")
    ok = False
if report["ending"] != "duration":
    print("soak: the run did not end by its duration")
    ok = False
if run_rc not in (0, 1, 5):
    print(f"soak: throng run exited {run_rc}")
    ok = False
print("soak: " + ("FLAT: memory and descriptors stayed flat, the ledger holds" if ok else "NOT FLAT or broken (see above)"))
sys.exit(0 if ok else 1)
EOF
}
if [ -n "$analyse" ]; then
    analyse "$analyse" "$seconds"
    exit
fi

if [ -z "${THRONG:-}" ]; then
    THRONG=$root/build/throng
    [ -x "$root/build-bench/throng" ] && THRONG=$root/build-bench/throng
fi
[ -x "$THRONG" ] || { echo "$prog: no throng binary at $THRONG (set THRONG)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "$prog: needs python3" >&2; exit 2; }

if [ -z "$out" ]; then out=$(mktemp -d "/tmp/$prog.XXXXXX"); fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

# --- clean-up: only what this script started ------------------------------------

serve_pid=
run_pid=
cleanup() {
    for pid in $run_pid $serve_pid; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in $run_pid $serve_pid; do
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'echo "$prog: interrupted" >&2; exit 130' INT TERM

# --- the server -------------------------------------------------------------------

"$THRONG" serve --listen 127.0.0.1:0 --busy 5% --drop 1% --seed 11 >"$out/serve.out" 2>&1 &
serve_pid=$!
port=
for _ in $(seq 50); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out/serve.out")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "$prog: throng serve did not start:" >&2; cat "$out/serve.out" >&2; exit 2; }

# --- the plan: examples/plans/site.lua, its scripts by absolute path, plus the
# table persona in two worker processes (so that forked workers are soaked too)

cat >"$out/plan.lua" <<EOF
-- written by tests/bench/soak.sh: the site plan plus the table persona
local dir = "$root/examples/plans/"
local plan = dofile(dir .. "site.lua")
for _, group in pairs(plan) do
  if group.persona:match("%.lua$") and group.persona:sub(1, 1) ~= "/" then
    group.persona = dir .. group.persona
  end
end
plan.table = {
  persona = "table",
  clients = 10,
  processes = 2,
  request_count = 20,
  slow_down = "50ms",
  big_table = 20,
}
return plan
EOF

# --- the run, and the samples -----------------------------------------------------

# VmRSS in KB and the count of open descriptors of one process ("- -" once
# it is gone).
sample_pid() {
    local rss fds
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || rss=
    fds=$(ls "/proc/$1/fd" 2>/dev/null | wc -l) || fds=
    if [ -z "$rss" ]; then echo "- -"; else echo "$rss $fds"; fi
}

# The direct children of a process (its worker processes).
children_of() {
    cat /proc/"$1"/task/*/children 2>/dev/null || true
}

started=$(date +%s)
echo "$prog: $minutes min of the site plan + table against 127.0.0.1:$port" \
    "(serve --busy 5% --drop 1%), samples every ${interval}s into $out/samples.csv" >&2
"$THRONG" run "$out/plan.lua" -s "127.0.0.1:$port" -d "${seconds}s" --on-fault restart \
    --json "$out/report.json" --log "$out/throng.log" --log-max 10M -q \
    >"$out/run.out" 2>"$out/run.err" &
run_pid=$!

echo "t_s,rss_kb,fds,main_rss_kb,main_fds,workers,workers_rss_kb,workers_fds,serve_rss_kb" \
    >"$out/samples.csv"
deadline=$((started + seconds + 120))
next=$started
while kill -0 "$run_pid" 2>/dev/null; do
    now=$(date +%s)
    if [ "$now" -ge "$deadline" ]; then
        echo "$prog: the run did not end on time: stopping it" >&2
        kill -TERM "$run_pid" 2>/dev/null || true
        sleep 10
        kill -KILL "$run_pid" 2>/dev/null || true
        break
    fi
    if [ "$now" -ge "$next" ]; then
        read -r mrss mfds <<<"$(sample_pid "$run_pid")"
        [ "$mrss" = - ] && break
        nw=0 wrss=0 wfds=0
        for child in $(children_of "$run_pid"); do
            read -r crss cfds <<<"$(sample_pid "$child")"
            [ "$crss" = - ] && continue
            nw=$((nw + 1)) wrss=$((wrss + crss)) wfds=$((wfds + cfds))
        done
        read -r srss _ <<<"$(sample_pid "$serve_pid")"
        echo "$((now - started)),$((mrss + wrss)),$((mfds + wfds)),$mrss,$mfds,$nw,$wrss,$wfds,$srss" \
            >>"$out/samples.csv"
        next=$((next + interval))
    fi
    sleep 1
done
run_rc=0
wait "$run_pid" || run_rc=$?
run_pid=
kill -TERM "$serve_pid" 2>/dev/null || true
wait "$serve_pid" 2>/dev/null || true
serve_pid=

# --- the verdict --------------------------------------------------------------------

echo "$run_rc" >"$out/run.rc"
analyse "$out" "$seconds"
