#!/usr/bin/env python3
"""ledger_random_check.py - what test_ledger_random.sh checks on one run
beyond the ledger's invariant (lib.sh's check_ledger):

  ledger_random_check.py REPORT.json STATUS LIMIT WIDTH PROCESSES GROUP...

STATUS is throng's exit status, LIMIT the -n limit (0 for none), WIDTH the
most requests one client asks at once (client:concurrently), PROCESSES the
-p given (the processes of a group that does not say). Each GROUP is
NAME:CLIENTS:PROCS:KIND[:RECEIVED[:ANSWERED]] (NAME "*" for the one group
of a run without a plan), PROCS "-" when the group leaves processes to -p,
KIND the group's server:

  serve    `throng serve` (any flags); RECEIVED is its /status requests,
           every answer it began (200, Busy, wrong size; not the dropped)
  hostile  hostile_server.py; RECEIVED is the table requests it received
           whole, ANSWERED the complete answers it handed to the socket
  refused  a closed port: nothing can be answered

Prints each broken rule and exits 1 when there is one.
"""
import json
import sys

# README, "Exit statuses": no threshold is given and no signal sent here, so
# 0 (no fault) or 1 (faults, every client faulted out, a process lost).
DOCUMENTED = {0, 1, 2, 3, 4, 5}
ENDINGS = {"duration", "requests", "clients"}


def main(argv):
    report, status, limit = argv[1], int(argv[2]), int(argv[3])
    width, default_procs = int(argv[4]), int(argv[5])
    doc = json.load(open(report))
    bad = []

    def rule(ok, text):
        if not ok:
            bad.append(text)

    totals, groups = doc["totals"], {g["name"]: g for g in doc["groups"]}
    failures = totals.get("failures", 0)
    procs = doc.get("processes") or {}
    lost = procs.get("lost", 0)
    ending = doc.get("ending")

    # The exit status is a documented one, and the one this report calls for.
    rule(status in DOCUMENTED, "exit status %d is not one the README documents" % status)
    want = 1 if failures or lost or ending == "clients" else 0
    rule(status == want, "exit status %d, but the report (failures %d, processes lost %d, "
         "ending %s) calls for %d" % (status, failures, lost, ending, want))
    rule(ending in ENDINGS, "ending %r: expected one of %s" % (ending, sorted(ENDINGS)))
    rule(ending != "requests" or limit > 0, "ended on a request limit that was not given")

    # A request limit is taken from as exchanges begin: never more sent, and
    # all of it when the run ended on it, but for what was too little for
    # the WIDTH requests a client asks at once.
    sent = totals.get("sent", 0)
    if limit:
        rule(sent <= limit, "sent %d, more than the limit -n %d" % (sent, limit))
        rule(ending != "requests" or limit - sent < width,
             "ended on the limit -n %d with %d sent (at most %d at once)" % (limit, sent, width))

    # Every group asked for ran, with its clients and its processes (never
    # more than its clients), and the processes started are those of every
    # group that has more than one.
    specs = [a.split(":") for a in argv[6:]]
    if len(specs) == 1 and specs[0][0] == "*" and len(groups) == 1:
        specs[0][0] = next(iter(groups))  # a run without a plan: its one group
    rule(set(groups) == {s[0] for s in specs},
         "groups %s, expected %s" % (sorted(groups), sorted(s[0] for s in specs)))
    started = 0
    for spec in specs:
        name, clients, gprocs, kind = spec[0], int(spec[1]), spec[2], spec[3]
        gprocs = min(default_procs if gprocs == "-" else int(gprocs), clients)
        started += gprocs if gprocs > 1 else 0
        g = groups.get(name)
        if g is None:
            continue
        t = g["totals"]
        rule(g.get("clients") == clients, "group %s: %s clients, expected %d"
             % (name, g.get("clients"), clients))
        rule(g.get("processes", 1) == gprocs, "group %s: %s processes, expected %d"
             % (name, g.get("processes"), gprocs))
        # The server's own count. Each answer the client counts is one the
        # server began (or, for the hostile server, handed to the socket)
        # before the run ended, and the server cannot have received more
        # requests than the client sent (its count may still grow after
        # the run with the answers to exchanges the client cancelled).
        if kind == "serve":
            received = int(spec[4])
            rule(t["requests"] <= received <= t.get("sent", -1),
                 "group %s: client requests %d <= server requests %d <= client sent %s fails"
                 % (name, t["requests"], received, t.get("sent")))
        elif kind == "hostile":
            received, answered = int(spec[4]), int(spec[5])
            rule(t["requests"] <= answered,
                 "group %s: client requests %d, but the hostile server answered only %d"
                 % (name, t["requests"], answered))
            rule(received <= t.get("sent", -1),
                 "group %s: the hostile server received %d requests, the client sent %s"
                 % (name, received, t.get("sent")))
        elif kind == "refused":
            rule(t["requests"] == 0, "group %s: %d requests answered by a closed port"
                 % (name, t["requests"]))
    rule(procs.get("started", 0) == started, "processes started %s, expected %d"
         % (procs.get("started"), started))
    rule(lost == 0, "%d worker processes lost: %s" % (lost, procs.get("sample", "")))

    for b in bad:
        print(b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
