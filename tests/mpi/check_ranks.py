"""check_ranks.py WHOLE RANK... [--server N [--exact]] [--lost]: an MPI run's merged
JSON report (rank 0's --json) against the reports each rank wrote of its
own part (--json-per-rank): the ledger balances in each; counts, status
codes and every histogram add up, bucket by bucket, per group and in all;
each series sums to its report's requests; with --server N, the server
answered every request the merged report counts, and besides them at most
the exchanges cancelled at the end (--exact: equal, for a run of -n
requests, none in flight at its end). Rank 0 describes the whole run: the
ranks' clients add up to its, and its run holds every rank's shard. With --lost, a lost rank wrote no
report of its own: the merged report holds its last figures, so its counts
are at least the sum of the others' and nothing is asserted bucket by
bucket."""
import json
import sys
from collections import Counter

args = sys.argv[1:]
server = None
exact = "--exact" in args
if exact:
    args.remove("--exact")
lost = "--lost" in args
if lost:
    args.remove("--lost")
if "--server" in args:
    i = args.index("--server")
    server = int(args[i + 1])
    del args[i : i + 2]
whole = json.load(open(args[0]))
ranks = [json.load(open(p)) for p in args[1:]]
HISTS = ("latency", "service", "ttfb", "connect")
COUNTS = ("requests", "sent", "faulted", "cancelled", "failures", "bytes_sent", "bytes_received")


def ledger(t, what):
    assert t["sent"] == t["requests"] + t["faulted"] + t["cancelled"] + t["in_flight"], (what, t)


def buckets(h):
    c = Counter()
    for lo, hi, n in h.get("buckets", []):
        c[(lo, hi)] += n
    return c


def compare(w, parts, what):
    for key in COUNTS:
        s = sum(p[key] for p in parts)
        assert (w[key] >= s) if lost else (w[key] == s), (what, key, w[key], s)
    if lost:
        return
    codes = Counter()
    for p in parts:
        codes.update(p["status"])
    assert Counter(w["status"]) == codes, (what, w["status"], codes)
    for h in HISTS:
        if h not in w:
            continue
        total = Counter()
        for p in parts:
            total.update(buckets(p[h]))
        assert buckets(w[h]) == total, (what, h)
        assert w[h]["count"] == sum(p[h]["count"] for p in parts), (what, h)


for doc, name in [(whole, "merged")] + [(r, "rank %d" % i) for i, r in enumerate(ranks)]:
    ledger(doc["totals"], name)
    for g in doc["groups"]:
        ledger(g["totals"], name + " " + g["name"])
    # A lost rank's last statistics and last seconds were taken apart.
    if not (lost and doc is whole):
        in_series = sum(p["requests"] for p in doc["series"])
        assert in_series == doc["totals"]["requests"], (name, "series")
compare(whole["totals"], [r["totals"] for r in ranks], "totals")
for gi, g in enumerate(whole["groups"]):
    compare(g["totals"], [r["groups"][gi]["totals"] for r in ranks], g["name"])
    # Rank 0 describes the whole run: the ranks' shards of clients add up to it.
    if not lost:
        assert g["clients"] == sum(r["groups"][gi]["clients"] for r in ranks), (g["name"], "clients")
# The run: one id; the merged report holds every rank's shard.
run = whole["run"]
assert "shard" not in run and run["shards"] == len(ranks) + (1 if lost else 0), run
assert run["merged"] == list(range(run["shards"])) and run["missing"] == [], run
assert sorted(r["run"]["shard"] for r in ranks) == sorted(
    i for i in range(run["shards"]) if not lost or i in [r["run"]["shard"] for r in ranks])
assert all(r["run"]["id"] == run["id"] and r["run"]["shards"] == run["shards"] for r in ranks), (run, [r["run"] for r in ranks])
if server is not None:
    # Every answer counted is one the server gave; beyond them, the server
    # may have answered exchanges cancelled in flight at the end.
    t = whole["totals"]
    if exact:
        assert t["requests"] == server, ("server", server, t)
    else:
        assert t["requests"] <= server <= t["requests"] + t["cancelled"], ("server", server, t)
assert whole["totals"]["requests"] > 0
print("merged requests", whole["totals"]["requests"], "ranks",
      [r["totals"]["requests"] for r in ranks], "latency buckets", len(whole["totals"]["latency"]["buckets"]))
