# shellcheck shell=bash
# table_target.sh - sourced by bench_table.sh and bench_personas.sh (after
# lib.sh, whose nginx_temp_paths it uses): the nginx target both benchmarks
# load, and the helpers that run a client.
#
# It makes a temp dir, writes the static table replies for every x, y in
# 1..$big (GET /Xy?x=X&y=Y, layer-cake envelope, fixed seed), starts nginx
# (1 worker, keepalive) on a free random port of 127.0.0.1 with everything
# it writes kept in the temp dir, and sets a trap that stops nginx and any
# running client on exit, Ctrl-C or SIGTERM.
#
# The sourcing script sets before sourcing:
#   prog      its name, for messages and the temp dir ("bench_table")
#   nginx     the nginx binary
#   big       the largest table side
#   keep      1 to keep the temp dir
#   corrupt   1 to serve the 2x3 table for 3x2 requests
#   duration  seconds per client run (run_client's timeout is duration + 30)
# and gets:
#   tmp, port, nginx_pid, nginx_worker, hz
#   nginx_cpu              CPU seconds the nginx worker has used so far
#   run_client NAME OUT CMD...   runs one client under timeout and GNU time,
#                          writing OUT.out, OUT.err, OUT.time, OUT.nginx, OUT.rc
#   run_figures OUT        sets figures ("user_s|sys_s|maxrss_kB|nginx_cpu_s" of a
#                          run_client run) and figures_note (why, when none)
#   throng_requests OUT, throng_rate OUT, throng_faults OUT, throng_invalid OUT
#                          figures from a `throng run` report in OUT.out
#   show_rows              raw rows (round|client|requests|req/s|user_s|sys_s|
#                          maxrss_kB|nginx_cpu_s|failures|notes) as Markdown rows
#   print_setup ROUNDS     the date, machine, target and load lines of a header
# Not a benchmark by itself. Everything is on 127.0.0.1.

# --- clean-up: stop everything this script started ---------------------------

tmp=$(mktemp -d "/tmp/$prog.XXXXXX")
nginx_pid=
client_pid=

cleanup() {
    # A client runs under `timeout`, which is the leader of its own process
    # group (GNU time and the client are in it): signal the whole group.
    if [ -n "$client_pid" ]; then
        kill -TERM -- "-$client_pid" 2>/dev/null || true
        wait "$client_pid" 2>/dev/null || true
    fi
    if [ -n "$nginx_pid" ]; then
        kill -TERM "$nginx_pid" 2>/dev/null || true   # the master stops its worker
        wait "$nginx_pid" 2>/dev/null || true
    fi
    if [ "$keep" = 1 ]; then echo "$prog: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'echo "$prog: interrupted" >&2; exit 130' INT TERM

# --- 1. the table replies -------------------------------------------------------

# One file per size, www/t/X/Y.json: Y rows of X numbers in the layer-cake
# envelope. The numbers are random-looking signed floats of varying length,
# the way a real service would print doubles; fixed seed, so every run
# serves the same bytes.
mkdir -p "$tmp/www/t" "$tmp/nginx"
awk -v big="$big" -v dir="$tmp/www/t" 'BEGIN {
    srand(20240601)
    for (x = 1; x <= big; x++) {
        system("mkdir -p " dir "/" x)
        for (y = 1; y <= big; y++) {
            f = dir "/" x "/" y ".json"
            s = "{\"value\":[\"vector<vector<float8>>\",["
            for (r = 1; r <= y; r++) {
                s = s (r > 1 ? "," : "") "["
                for (c = 1; c <= x; c++)
                    s = s (c > 1 ? "," : "") sprintf("%.*g", 4 + int(rand() * 13), rand() * 200 - 100)
                s = s "]"
            }
            printf "%s],[]]}", s > f
            close(f)
        }
    }
}'
if [ "$corrupt" = 1 ]; then
    cp "$tmp/www/t/2/3.json" "$tmp/www/t/3/2.json"
fi
# When run as root, nginx workers run as nobody and must be able to read.
chmod -R a+rX "$tmp"

# --- 2. nginx on a free loopback port ---------------------------------------------

# nginx creates its compiled-in temp directories (/var/lib/nginx/...) at
# start-up: point every one this build knows about into the tmp dir.
temp_paths=$(nginx_temp_paths "$nginx" "$tmp/nginx" "    ")
user_line=
[ "$(id -u)" = 0 ] && user_line="user nobody nogroup;"

write_nginx_conf() {  # $1 = port
    cat >"$tmp/nginx.conf" <<EOF
# written by tests/bench/$prog.sh
$user_line
worker_processes 1;
daemon off;
pid $tmp/nginx.pid;
lock_file $tmp/nginx.lock;
error_log $tmp/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    types { }
    default_type application/json;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
$temp_paths
    server {
        listen 127.0.0.1:$1 reuseport;
        root $tmp/www;
        location = /Xy {
            # wrk's response() cannot tell which request it answers: echo the size.
            add_header X-Xy "\$arg_x \$arg_y" always;
            try_files /t/\$arg_x/\$arg_y.json =404;
        }
        # nginx's own count of requests (compare.sh, bench_locust.sh).
        location = /nginx_status { stub_status; }
        location / { return 404; }
    }
}
EOF
}

# GET /Xy?x=3&y=2 over bash's /dev/tcp; prints the raw response.
probe() {
    timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "GET /Xy?x=3&y=2 HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n" >&3
        cat <&3' probe "$1" 2>/dev/null || true
}

port=
for _ in 1 2 3 4 5 6 7 8 9 10; do
    try=$(shuf -i 20000-60000 -n 1)
    write_nginx_conf "$try"
    : >"$tmp/error.log"
    "$nginx" -p "$tmp/nginx" -c "$tmp/nginx.conf" -e "$tmp/error.log" 2>>"$tmp/error.log" &
    nginx_pid=$!
    # Up to 3 s: ready when the probe gets our echo header back (so a foreign
    # server on that port is never mistaken for ours); give up on the port
    # when nginx exits or says the address is in use.
    for _ in $(seq 30); do
        if ! kill -0 "$nginx_pid" 2>/dev/null || grep -q 'in use' "$tmp/error.log"; then break; fi
        if probe "$try" | grep -q '^X-Xy: 3 2'; then port=$try; break; fi
        sleep 0.1
    done
    [ -n "$port" ] && break
    kill -TERM "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=
done
if [ -z "$port" ]; then
    echo "$prog: nginx did not start; its log:" >&2
    cat "$tmp/error.log" >&2
    exit 1
fi
reply=$(probe "$port")
case $reply in
    *"Content-Type: application/json"*'{"value":["vector<vector<float8>>",[['*) ;;
    *) echo "$prog: unexpected reply from nginx:" >&2; echo "$reply" >&2; exit 1 ;;
esac
nginx_worker=$(ps -o pid= --ppid "$nginx_pid" | head -n 1 | tr -d ' ')
hz=$(getconf CLK_TCK)

# CPU seconds the nginx worker has used so far (utime + stime, /proc/PID/stat).
nginx_cpu() {
    local stat
    stat=$(cat "/proc/$nginx_worker/stat")
    stat=${stat##*) }   # drop "pid (comm) "; fields now start at state (field 3)
    set -- $stat
    awk -v u="${12}" -v s="${13}" -v hz="$hz" 'BEGIN { printf "%.2f", (u + s) / hz }'
}

# --- 3. the load --------------------------------------------------------------

# Runs one client, bounded by its own duration and, in case it hangs, by
# `timeout`; GNU time writes "user sys maxrss_kB" to $out.time.
# $1 = name (throng|wrk), $2 = output prefix; the rest is the command.
run_client() {
    local name=$1 out=$2 rc=0
    shift 2
    local before after
    before=$(nginx_cpu)
    timeout -k 5 $((duration + 30)) /usr/bin/time -f '%U %S %M' -o "$out.time" "$@" \
        >"$out.out" 2>"$out.err" &
    client_pid=$!
    wait "$client_pid" || rc=$?
    client_pid=
    after=$(nginx_cpu)
    echo "$before $after" >"$out.nginx"
    echo "$rc" >"$out.rc"
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        echo "$prog: $name did not stop within $((duration + 30)) s; killed" >&2
    fi
}

# Requests nginx has handled so far (stub_status), not counting the reads of
# the count itself: each read adds one, so the count read is one less.
nginx_requests() {
    local n
    n=$(curl -s --max-time 2 "http://127.0.0.1:$port/nginx_status" |
        awk 'NR == 3 { print $3 }')
    echo "${n:-0}"
}

# CPU seconds (user sys) a live process has used, all its threads.
proc_cpu() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo "0 0"; return; }
    stat=${stat##*) }
    set -- $stat
    awk -v u="${12}" -v s="${13}" -v hz="$hz" 'BEGIN { printf "%.2f %.2f", u / hz, s / hz }'
}

# Runs one client as run_client does, and also measures a steady window:
# after $3 seconds of warm-up, the client's CPU and nginx's request count
# over the next $4 seconds (the client must run at least $3 + $4 s).
# $1 = name, $2 = output prefix, $3 = warm-up s, $4 = window s; the rest is
# the command. Writes OUT.time (GNU time, whole run), OUT.req (requests
# nginx counted over the whole run), OUT.win ("requests user_s sys_s" of the
# window) and OUT.rc.
run_window() {
    local name=$1 out=$2 warm=$3 win=$4 rc=0 tpid cpid r0 r1 r2 r3 c1 c2
    shift 4
    r0=$(nginx_requests)
    # setsid: GNU time leads its own process group, which cleanup signals.
    setsid /usr/bin/time -f '%U %S %M' -o "$out.time" "$@" >"$out.out" 2>"$out.err" &
    tpid=$!
    client_pid=$tpid
    sleep "$warm"
    cpid=$(ps -o pid= --ppid "$tpid" | head -n 1 | tr -d ' ')
    r1=$(nginx_requests); c1=$(proc_cpu "$cpid")
    sleep "$win"
    r2=$(nginx_requests); c2=$(proc_cpu "$cpid")
    # Bounded: the client stops by itself; killed if it has not 30 s later.
    ( sleep 30; kill -TERM "$tpid" 2>/dev/null ) &
    local guard=$!
    wait "$tpid" || rc=$?
    kill "$guard" 2>/dev/null || true
    wait "$guard" 2>/dev/null || true
    client_pid=
    r3=$(nginx_requests)
    echo "$((r3 - r0 - 2))" >"$out.req"
    awk -v r="$((r2 - r1 - 1))" -v a="$c1" -v b="$c2" 'BEGIN {
        split(a, x, " "); split(b, y, " ")
        printf "%d %.2f %.2f\n", r, y[1] - x[1], y[2] - x[2] }' >"$out.win"
    echo "$rc" >"$out.rc"
}

# The figures of one run_client run: sets figures to user_s|sys_s|maxrss_kB|
# nginx_cpu_s, and figures_note to say why when GNU time wrote none.
run_figures() {
    local out=$1 u s m nb na
    figures_note=
    if [ -s "$out.time" ] && read -r u s m < <(tail -n 1 "$out.time") && [ -n "${m:-}" ]; then :
    else u=0 s=0 m=0; figures_note="no CPU figures (killed?)"; fi
    read -r nb na <"$out.nginx"
    figures="$u|$s|$m|$(awk -v a="$na" -v b="$nb" 'BEGIN { print a - b }')"
}

# Formats raw rows (with the round in front) as Markdown table rows.
show_rows() {
    awk -F'|' '{
        r = $3; cpu = $5 + $6
        printf "| %s | %s | %d | %.0f | %.2f = %.2fu + %.2fs | %.2f | %.1f | %.2f | %s | %s |\n",
            $1, $2, r, $4, cpu, $5, $6, (r > 0 ? cpu * 1e6 / r : 0), $7 / 1024,
            (r > 0 ? $8 * 1e6 / r : 0), $9, $10
    }'
}

# The lines of a results header every bench shares; $1 = rounds.
print_setup() {
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
    echo "- target: nginx $("$nginx" -v 2>&1 | sed 's/.*nginx\///'), 1 worker, 127.0.0.1:$port"
    echo "- throng: $throng ($("$throng" --version 2>/dev/null | head -n 1 || echo '?'))"
    echo "- load: $clients connections, 1 thread, ${duration} s per run, $1 rounds"
}

# --- reading a throng report --------------------------------------------------

# "  requests   628889 (314189.2/s)   sessions 0 ..."
throng_requests() { awk '$1 == "requests" { print $2; exit }' "$1.out"; }
throng_rate() { awk '$1 == "requests" { gsub(/[(]|\/s[)]/, "", $3); print $3; exit }' "$1.out"; }

# "none", or "kind count, kind count" from
# "  faults     invalid            12   sample message"
# "             busy                3   sample message"
# and nothing when the report has no faults line.
throng_faults() {
    awk '
        $1 == "faults" { if ($2 == "none") { print "none"; exit } on = 1; $1 = ""; $0 = $0 }
        on && $1 ~ /^(not-connected|timed-out|abandoned|closed|busy|invalid|http-error|script-error|aborted)$/ { printf "%s%s %s", sep, $1, $2; sep = ", "; next }
        on { exit }' "$1.out"
}

# The count of invalid faults (0 when none).
throng_invalid() {
    local n
    n=$(awk '$1 == "faults" { $1 = ""; $0 = $0 }
        $1 == "invalid" && $2 ~ /^[0-9]+$/ { print $2; exit }' "$1.out")
    echo "${n:-0}"
}
