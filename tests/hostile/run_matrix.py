#!/usr/bin/env python3
"""run_matrix.py - runs `throng run` against every mode of server.py, with
the table persona and with a session persona, and checks each run:

  - the exit status is one the README documents, and the one expected for
    the mode (0 no fault, 1 faults seen);
  - the run ends within duration + timeout + a margin (else it is killed by
    its pid and the case fails);
  - the client's resident memory (os.wait4's ru_maxrss) stays under a bound;
  - the fault kinds counted are the ones a user would expect for the mode
    (and busy replies, unsolicited bytes where the mode sends them);
  - the ledger balances: in every statistics object of the JSON report
    sent = requests + faulted + cancelled + in_flight, with nothing left in
    flight once the run has ended;
  - nothing on stderr from a sanitizer.

  run_matrix.py --throng PATH [--rss-mb N] [--margin S] [--jobs N]
                [--persona table|session] [MODE...]

A failure prints the mode, the persona, the command, what was expected and
what was seen; the status is 1 when any case fails. --observe prints what
each run saw without judging it (to write the table below).
"""
import argparse
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))

# README, "Exit statuses".
DOCUMENTED = {0, 1, 2, 3, 4, 5, 6}
FAILURE_KINDS = {"not-connected", "timed-out", "abandoned", "closed", "invalid", "http-error",
                 "script-error", "aborted"}

# The run's settings: short, and the same for every mode.
DURATION, TIMEOUT = 1.5, 1.0
COMMON = ["-c", "2", "-d", "%gs" % DURATION, "--timeout", "%dms" % (TIMEOUT * 1000),
          "--connect-timeout", "%dms" % (TIMEOUT * 1000), "--slow-down", "50ms",
          "--request-count", "3", "--big-table", "8", "--seed", "7", "-q"]
PERSONAS = {
    "table": ["table"],
    # A session persona: one table request, then two at once over two
    # connections (client:concurrently), each answer checked with
    # client:check, Busy counted with client:fault.
    "session": [os.path.join(SOURCE, "tests", "e2e", "personas", "ledger_session.lua")],
}

# What a user would expect of each mode: exit status, and the fault kinds
# (failures) the report may show; `need` lists kinds of which at least one
# must be counted (by default all of `kinds` when the status is 1: any of
# them). `busy` asks for busy replies to be counted, `unsolicited` for
# unsolicited bytes. A key `table` or `session` overrides for one persona.
# KNOWN_BUG marks a case throng gets wrong today: it is run and reported,
# and fails only if it starts to pass (so the mark is removed with the fix).
CLEAN = {"status": {0}, "kinds": set()}
TIMED_OUT = {"status": {1}, "kinds": {"timed-out"}}
ABANDONED = {"status": {1}, "kinds": {"abandoned"}}
HTTP_ERROR = {"status": {1}, "kinds": {"http-error"}}
INVALID = {"status": {1}, "kinds": {"invalid"}}

EXPECT = {
    "never-accept": {"status": {1}, "kinds": {"timed-out", "not-connected"}},
    "ok": CLEAN,
    "busy": {"status": {0}, "kinds": set(), "busy": True},
    "no-reason": CLEAN,
    "trailers": CLEAN,
    "continue-flood": CLEAN,
    "http10-close": CLEAN,
    "close-ignored": CLEAN,
    # The close may cross the client's next request on the connection: that
    # request is abandoned (a POST is not asked again); no other fault.
    "keepalive-then-close": {"status": {0, 1}, "kinds": {"abandoned"}, "need": set()},
    "huge-numbers": CLEAN,
    # A request without Accept-Encoding accepts any coding (RFC 9110
    # 12.5.3), and DESIGN.md says compressed bodies are decoded.
    "gzip-unasked": CLEAN,
    "wrong-size": INVALID,
    "http-500": INVALID,
    "http-503": INVALID,
    "non-json": INVALID,
    "wrong-shape": INVALID,
    "deep-json": INVALID,
    # The body after a 204/304, or past Content-Length, is not part of the
    # answer: the persona sees an empty or cut body (invalid), and the rest
    # comes unasked (counted unsolicited, or taken as a malformed answer).
    "status-204-body": {"status": {1}, "kinds": {"invalid", "http-error"}, "need": {"invalid"}},
    "status-304-body": {"status": {1}, "kinds": {"invalid", "http-error"}, "need": {"invalid"}},
    "cl-shorter": {"status": {1}, "kinds": {"invalid", "http-error"}, "need": {"invalid"}},
    "garbage": HTTP_ERROR,
    "tls-hello": HTTP_ERROR,
    "h2-settings": HTTP_ERROR,
    "http09": HTTP_ERROR,
    "status-999": HTTP_ERROR,
    "status-600": HTTP_ERROR,
    "status-020": HTTP_ERROR,
    "status-000": HTTP_ERROR,
    "status-two-spaces": HTTP_ERROR,
    # RFC 9112 2.2: a recipient MAY take a bare LF as a line end: either
    # the table is read, or the answer is malformed (http-error), no other.
    "bare-lf": {"status": {0, 1}, "kinds": {"http-error"}, "need": set()},
    "header-no-colon": HTTP_ERROR,
    "header-nul": HTTP_ERROR,
    "space-before-colon": HTTP_ERROR,
    # Under the documented 1 MiB header block: read as any client would.
    "header-100k": CLEAN,
    "headers-10000": CLEAN,
    "two-cl": HTTP_ERROR,
    "cl-and-te": HTTP_ERROR,
    "cl-negative": HTTP_ERROR,
    "cl-2p64": HTTP_ERROR,
    "chunk-bad-size": HTTP_ERROR,
    # Chunk extensions have no size limit in RFC 9112: read, not kept.
    "chunk-ext-1m": CLEAN,
    # A switch of protocols nobody asked for: the answer has no table (the
    # persona's check fails) or is taken as malformed.
    "upgrade-101": {"status": {1}, "kinds": {"invalid", "http-error"}},
    "two-responses": {"status": {0}, "kinds": set(), "unsolicited": True},
    "rst-after-headers": ABANDONED,
    "rst-mid-body": ABANDONED,
    "fin-mid-headers": ABANDONED,
    "cl-longer-close": ABANDONED,
    "chunk-no-final-close": ABANDONED,
    "chunk-no-final-stall": TIMED_OUT,
    "stall-mid-headers": TIMED_OUT,
    "stall-mid-body": TIMED_OUT,
    "silence": TIMED_OUT,
    "fin-before-answer": ABANDONED,
    "rst-after-request": ABANDONED,
    # The reset may overtake the client's own view of its connect.
    "rst-at-once": {"status": {1}, "kinds": {"abandoned", "not-connected"}},
    "fin-at-once": ABANDONED,
    "zero-window": TIMED_OUT,
    "slowloris": TIMED_OUT,
    "slow-answer": TIMED_OUT,
    # Endless answers end at the header limit (1 MiB) or at --max-body, or,
    # when the server streams too slowly to reach it, at the timeout.
    "endless-headers": {"status": {1}, "kinds": {"http-error", "timed-out"}},
    "endless-chunked": {"status": {1}, "kinds": {"http-error", "timed-out"}},
    "endless-cl": {"status": {1}, "kinds": {"http-error", "timed-out"}},
    # The early table may arrive after the client wrote its request, when
    # no client can tell it from an answer (invalid: the wrong size); once
    # it arrives first it is unsolicited and the answers are right.
    "chunk-size-overflow": HTTP_ERROR,
    # A status line without end is read (not kept) until the timeout.
    "endless-status-line": {"status": {1}, "kinds": {"http-error", "timed-out"}},
    # The session persona's connections carry one request each: no reuse,
    # no reset.
    "rst-second-request": {"status": {1}, "kinds": {"abandoned", "closed"},
                           "session": {"status": {0, 1}, "need": set()}},
    "chunked-trailing-garbage": {"status": {0}, "kinds": set(), "unsolicited": True},
    # RFC 9112 5.2: obsolete line folding may be read as a space or refused.
    "obs-fold": {"status": {0, 1}, "kinds": {"http-error"}, "need": set()},
    "cl-plus-sign": HTTP_ERROR,
    "drip-then-rst-mid-chunk": {"status": {1}, "kinds": {"abandoned", "timed-out"}},
    "answer-first": {"status": {0, 1}, "kinds": {"invalid"}, "need": set()},
}


def modes():
    out = subprocess.run([sys.executable, os.path.join(HERE, "server.py"), "--list"],
                         check=True, capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def expectation(mode, persona):
    e = dict(EXPECT[mode])
    e.update(e.pop(persona, {}))
    e.pop("table", None)
    e.pop("session", None)
    return e


def ledger(doc):
    """The broken rules of the ledger in a JSON report."""
    stats = [("totals", doc["totals"])]
    for g in doc["groups"]:
        stats.append(("group %s" % g["name"], g["totals"]))
        stats += [("group %s name %s" % (g["name"], n["name"]), n) for n in g.get("names", [])]
    bad = []
    for where, s in stats:
        missing = [k for k in ("sent", "requests", "faulted", "cancelled", "in_flight")
                   if k not in s]
        if missing:
            bad.append("%s: no %s" % (where, ", ".join(missing)))
            continue
        outcomes = s["requests"] + s["faulted"] + s["cancelled"] + s["in_flight"]
        if s["sent"] != outcomes:
            bad.append("%s: sent %d, but requests %d + faulted %d + cancelled %d + in_flight %d"
                       % (where, s["sent"], s["requests"], s["faulted"], s["cancelled"],
                          s["in_flight"]))
        if s["in_flight"]:
            bad.append("%s: %d still in flight after the run ended" % (where, s["in_flight"]))
    return bad


def wait_bounded(procs, limit):
    """{proc: (status, seconds, maxrss KB, killed)}: waits for every proc
    with os.wait4, killing by its pid one still running `limit` seconds
    after it started."""
    start = time.monotonic()
    out = {}
    while len(out) < len(procs):
        for proc in procs:
            if proc in out:
                continue
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            seconds = time.monotonic() - start
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                out[proc] = (proc.returncode, seconds, usage.ru_maxrss,
                             getattr(proc, "killed", False))
            elif seconds > limit and not getattr(proc, "killed", False):
                os.kill(proc.pid, signal.SIGKILL)
                proc.killed = True
        time.sleep(0.02)
    return out


def start_server(mode, work):
    """The server for mode, and its address. Its first line comes through a
    pipe; what it says on stderr goes to a file."""
    err = open(os.path.join(work, "server.err"), "w")
    proc = subprocess.Popen([sys.executable, "-S", os.path.join(HERE, "server.py"),
                             "--mode", mode, "--lifetime", "120"],
                            stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
    err.close()
    ready, _, _ = select.select([proc.stdout], [], [], 20)
    line = proc.stdout.readline().decode(errors="replace") if ready else ""
    if line.startswith("hostile: listening on "):
        return proc, line.split()[-1]
    proc.kill()
    proc.wait()
    with open(os.path.join(work, "server.err")) as f:
        raise RuntimeError("server.py --mode %s did not start: %r %s" % (mode, line, f.read()))


def run_mode(mode, personas, args, root):
    """[(persona, command, what was seen)]: one server for mode, and one
    `throng run` of each persona against it, all at once."""
    work = tempfile.mkdtemp(prefix="%s." % mode, dir=root)
    server, addr = start_server(mode, work)
    runs = []
    try:
        for persona in personas:
            base = os.path.join(work, persona)
            cmd = ([args.throng, "run"] + PERSONAS[persona] + ["-s", addr] + COMMON +
                   ["--json", base + ".json"])
            with open(base + ".stdout", "w") as so, open(base + ".stderr", "w") as se:
                proc = subprocess.Popen(cmd, stdout=so, stderr=se, stdin=subprocess.DEVNULL)
            runs.append((persona, cmd, base, proc))
        ended = wait_bounded([r[3] for r in runs], DURATION + TIMEOUT + args.margin)
    finally:
        for *_, proc in runs:
            if proc.returncode is None:
                proc.kill()
                proc.wait()
        server.terminate()
        server.stdout.close()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return [(persona, cmd, seen_of(base, *ended[proc])) for persona, cmd, base, proc in runs]


def seen_of(base, status, seconds, rss, killed):
    """What one run's status, output and JSON report say."""
    seen = {"status": status, "seconds": round(seconds, 2), "rss_mb": round(rss / 1024, 1),
            "killed": killed, "kinds": {}, "busy": 0, "unsolicited": 0, "ledger": []}
    with open(base + ".stderr", errors="replace") as f:
        seen["stderr"] = f.read()
    with open(base + ".stdout", errors="replace") as f:
        seen["stdout"] = f.read()
    try:
        with open(base + ".json") as f:
            doc = json.load(f)
        faults = doc["totals"].get("faults", {})
        seen["kinds"] = {k: v["count"] for k, v in faults.items() if k in FAILURE_KINDS}
        seen["busy"] = faults.get("busy", {}).get("count", 0)
        seen["unsolicited"] = sum(g.get("unsolicited", 0) for g in doc["groups"])
        seen["ledger"] = ledger(doc)
        seen["samples"] = {k: v.get("sample", "") for k, v in faults.items()}
        seen["requests"] = doc["totals"].get("requests", 0)
    except (OSError, ValueError, KeyError, TypeError) as e:
        seen["ledger"] = ["no readable JSON report (%s)" % e]
    return seen


# The judgements a starved run may break (see main's one()).
RETRIED = ("exit status: expected", "fault kinds: expected", "requests: expected")


def judge(mode, persona, seen, args):
    """The broken expectations of one run."""
    e = expectation(mode, persona)
    bad = []
    limit = DURATION + TIMEOUT + args.margin
    if seen["killed"]:
        bad.append("still running after %.1fs (duration %gs + timeout %gs + margin %gs): killed"
                   % (limit, DURATION, TIMEOUT, args.margin))
        return bad
    if seen["status"] not in DOCUMENTED:
        bad.append("exit status %d is not one the README documents" % seen["status"])
    if seen["status"] not in e["status"]:
        bad.append("exit status: expected %s, seen %d" % (sorted(e["status"]), seen["status"]))
    if seen["rss_mb"] > args.rss_mb:
        bad.append("resident memory: expected at most %d MB, seen %.1f MB"
                   % (args.rss_mb, seen["rss_mb"]))
    kinds = set(seen["kinds"])
    if kinds - e["kinds"]:
        bad.append("fault kinds: expected only %s, seen %s"
                   % (sorted(e["kinds"]) or "none", seen["kinds"]))
    need = e.get("need", e["kinds"] if e["status"] == {1} else set())
    if need and not kinds & need:
        bad.append("fault kinds: expected one of %s, seen %s" % (sorted(need), seen["kinds"] or
                                                                  "none"))
    if e["status"] == {0} and not seen.get("requests"):
        bad.append("requests: expected some answered, seen none")
    if e.get("busy") and not seen["busy"]:
        bad.append("busy replies: expected some counted, seen none")
    if e.get("unsolicited") and not seen["unsolicited"]:
        bad.append("unsolicited bytes: expected some counted, seen none")
    bad += seen["ledger"]
    for marker in ("ERROR: AddressSanitizer", "runtime error:", "WARNING: ThreadSanitizer",
                   "ERROR: LeakSanitizer", "PANIC"):
        if marker in seen["stderr"]:
            bad.append("stderr says %r" % marker)
    return bad


def check_server(all_modes, root):
    """The broken promises of server.py itself: at least 40 modes, and the
    canned answers --dump-responses writes (the fuzzing targets' seeds)."""
    bad = []
    if len(all_modes) < 40:
        bad.append("server.py --list: %d modes, expected at least 40" % len(all_modes))
    folder = os.path.join(root, "seeds")
    subprocess.run([sys.executable, os.path.join(HERE, "server.py"), "--dump-responses", folder],
                   check=True)
    dumped = [m for m in all_modes if os.path.isfile(os.path.join(folder, m)) and
              os.path.getsize(os.path.join(folder, m)) > 0]
    if len(dumped) < 40 or not all(os.path.exists(os.path.join(folder, m)) for m in
                                   ("ok", "garbage", "status-999", "two-responses")):
        bad.append("server.py --dump-responses: %d canned answers written, expected at least "
                   "40 with ok, garbage, status-999 and two-responses among them" % len(dumped))
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--throng", default=os.environ.get("THRONG"), help="the throng binary")
    ap.add_argument("--rss-mb", type=float, default=64, help="resident memory bound (64)")
    ap.add_argument("--margin", type=float, default=2.0,
                    help="seconds a run may take past duration + timeout (2)")
    ap.add_argument("--jobs", type=int, default=8,
                    help="modes at once, each with a run per persona (8)")
    ap.add_argument("--persona", action="append", choices=sorted(PERSONAS),
                    help="only this persona (repeatable)")
    ap.add_argument("--observe", action="store_true", help="print what each run saw, judge nothing")
    ap.add_argument("--keep", action="store_true", help="keep the runs' files")
    ap.add_argument("mode", nargs="*", help="only these modes")
    args = ap.parse_args()
    if not args.throng:
        ap.error("--throng PATH (or THRONG in the environment) is needed")
    all_modes = modes()
    missing = [m for m in all_modes if m not in EXPECT]
    if missing and not args.observe:
        print("modes without an expectation: %s" % ", ".join(missing), file=sys.stderr)
        return 1
    chosen = args.mode or all_modes
    unknown = [m for m in chosen if m not in all_modes]
    if unknown:
        ap.error("unknown modes: %s" % ", ".join(unknown))
    personas = args.persona or sorted(PERSONAS)
    cases = [(m, p) for m in chosen for p in personas]
    # The modes that run the whole duration first, so the batches end
    # together.
    def whole(mode):
        e = EXPECT.get(mode, CLEAN)
        return 0 in e["status"] or "timed-out" in e["kinds"]
    order = sorted(chosen, key=lambda m: not whole(m))
    root = tempfile.mkdtemp(prefix="throng-hostile.")
    lock = threading.Lock()
    failed, known, retried = [], [], []
    if not args.mode and not args.observe:
        failed += [("(server)", "-", [sys.executable, os.path.join(HERE, "server.py")], [b],
                    None) for b in check_server(all_modes, root)]
    start = time.monotonic()

    def one(mode):
        runs = run_mode(mode, personas, args, root)
        # A run a loaded machine starved (a sanitizer build beside other
        # builds) may see its clients start too late to fault: a mode whose
        # runs broke only such expectations runs once more, and says so. A
        # hang, a broken ledger, a sanitizer message or memory is not
        # asked twice.
        first = [(p, judge(mode, p, seen, args)) for p, _, seen in runs
                 if not expectation(mode, p).get("known_bug")]
        if not args.observe and any(bad and all(b.startswith(RETRIED) for b in bad)
                                    for _, bad in first):
            runs = run_mode(mode, personas, args, root)
            with lock:
                for persona, bad in first:
                    if bad:
                        retried.append((mode, persona, bad))
        for persona, cmd, seen in runs:
            with lock:
                report(mode, persona, cmd, seen)

    def report(mode, persona, cmd, seen):
        if args.observe:
            print("%-22s %-8s status %d  %5.2fs  %6.1f MB  kinds %s  busy %d  unsolicited %d"
                  "  ledger %s  requests %s" % (mode, persona, seen["status"], seen["seconds"],
                                                seen["rss_mb"], seen["kinds"], seen["busy"],
                                                seen["unsolicited"], seen["ledger"] or "ok",
                                                seen.get("requests")))
            for k, v in seen.get("samples", {}).items():
                print("        %s: %s" % (k, v[:150]))
            return
        bad = judge(mode, persona, seen, args)
        note = expectation(mode, persona).get("known_bug")
        if note:
            known.append((mode, persona, note, bad))
            if not bad:
                failed.append((mode, persona, cmd, ["KNOWN_BUG %s: the run now passes: "
                                                    "remove the mark" % note], seen))
            return
        if bad:
            failed.append((mode, persona, cmd, bad, seen))

    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(one, order))
    wall = time.monotonic() - start
    for mode, persona, note, bad in known:
        print("KNOWN_BUG %s / %s: %s%s" % (mode, persona, note,
                                           "".join("\n    seen: " + b for b in bad)))
    for mode, persona, bad in retried:
        print("RETRIED %s / %s, whose first run saw:%s"
              % (mode, persona, "".join("\n    " + b for b in bad)))
    for mode, persona, cmd, bad, seen in failed:
        print("FAIL %s / %s\n  command: %s" % (mode, persona, " ".join(cmd)))
        for b in bad:
            print("  " + b)
        if seen is None:
            continue
        print("  seen: status %d, %.2fs, %.1f MB, faults %s, busy %d, unsolicited %d"
              % (seen["status"], seen["seconds"], seen["rss_mb"], seen["kinds"], seen["busy"],
                 seen["unsolicited"]))
        for k, v in seen.get("samples", {}).items():
            print("    %s: %s" % (k, v[:200]))
        if seen["stderr"].strip():
            print("  stderr: " + seen["stderr"].strip()[-2000:].replace("\n", "\n    "))
    print("hostile matrix: %d runs (%d modes x %d personas), %d failed, %d known bugs, %.1fs wall"
          % (len(cases), len(chosen), len(personas), len(failed), len(known), wall))
    if not args.keep and not failed:
        shutil.rmtree(root, ignore_errors=True)
    elif failed:
        print("files of the runs kept in %s" % root)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
