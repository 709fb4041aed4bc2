#!/bin/bash
# test_html_chromium.sh - the HTML report as a browser shows it: a plan of
# two groups (the session tour over http, the table persona over https)
# with thresholds and a seed, run against `throng serve` with --json and
# --html; headless Chromium then loads the page (file://) and
#   - logs nothing on its console (no script error, no SVG attribute it
#     could not read),
#   - holds the figures of the JSON report in its DOM (requests of the run
#     and of each group, the seed as given, thresholds in their units,
#     request names as the report groups them) and every chart, each
#     ending at the run's last whole second,
#   - gives a screenshot that is a PNG of the window's size, neither empty
#     nor blank, with the charts' colours in it (decoded with zlib alone).
# Skipped (77) only when Chromium is missing (deps/install.sh test
# installs it). Loopback only; about 10 s on an idle machine (mostly the
# PNG's decoding in Python).
. "$(dirname "$0")/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || {
    echo "skip: no chromium (deps/install.sh test installs it)"
    exit 77
}

# chromium ARGS...: headless, bounded, no sandbox (tests may run as root),
# its own profile in $WORK.
chromium() {
    timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$WORK/profile" "$@"
}

# ------------------------------------------------------------ the run
cd "$WORK" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout self.key -out self.crt -subj /CN=throng-self \
    -addext "subjectAltName=IP:127.0.0.1" 2>openssl.err || fail "openssl: $(cat openssl.err)"
start_server S
start_server T --tls-cert self.crt --tls-key self.key
cat >plan.lua <<EOF
return {
  tour = { persona = "$THRONG_SOURCE/tests/e2e/personas/session_tour.lua", clients = 2,
           slow_down = "10ms", args = { other = "$S_ADDR" } },
  secure = { persona = "table", server = "$T_ADDR", clients = 2, slow_down = "5ms",
             args = { method = "GET" } },
}
EOF
SEED=4503599627370495
run_throng run.out run plan.lua -s "$S_ADDR" -d 2 -q --cacert self.crt --seed $SEED \
    --threshold 'errors<50%' --threshold 'p99<2s' --json r.json --html r.html
[ "$RC" = 0 ] || fail "throng run exited $RC: $(cat run.out)"
check_ledger r.json

# ------------------------------------------------------------ the DOM
# --virtual-time-budget lets the page settle before the DOM is dumped;
# every console message goes to stderr as a CONSOLE line.
chromium --enable-logging=stderr --v=0 --virtual-time-budget=2000 --dump-dom \
    "file://$WORK/r.html" >dom.html 2>chromium.err || fail "chromium --dump-dom failed: $(tail -5 chromium.err)"
grep -E ':CONSOLE|Uncaught' chromium.err && fail "the page logged on the console (above)"
[ -s dom.html ] || fail "chromium dumped no DOM"
chromium --virtual-time-budget=2000 --screenshot="$WORK/page.png" --window-size=1280,2000 \
    "file://$WORK/r.html" \
    >shot.out 2>&1 &
SHOT=$!

python3 - r.json dom.html "$SEED" <<'PY' || fail "the page's DOM does not match the JSON report"
import json, re, sys, html
doc = json.load(open(sys.argv[1]))
dom = open(sys.argv[2]).read()
seed = sys.argv[3]
bad = []
def want(cond, what):
    if not cond:
        bad.append(what)

def text(s):  # a cell's text, tags dropped and entities read
    return html.unescape(re.sub(r"<[^>]*>", "", s)).strip()

# The run's requests, as the headline says them.
kpi = re.search(r'<div class="kpi"><span>requests</span><b>([^<]*)</b>', dom)
want(kpi and kpi.group(1).replace(",", "") == str(doc["totals"]["requests"]),
     "requests: page %s, report %d" % (kpi and kpi.group(1), doc["totals"]["requests"]))
want(doc["totals"]["requests"] > 0, "the run answered no request")
# Each group's total row, and its request names as the report has them.
for g in doc["groups"]:
    m = re.search(r"<h3>group %s</h3>(.*?)</table>" % re.escape(html.escape(g["name"])), dom, re.S)
    want(m, "no table for group %s" % g["name"])
    if not m:
        continue
    rows = [[text(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)]
            for r in re.findall(r"<tr[^>]*>(.*?)</tr>", m.group(1), re.S)]
    total = [r for r in rows if r and r[0] == "total"]
    want(total and total[0][1].replace(",", "") == str(g["totals"]["requests"]),
         "group %s: total %s, report %d" % (g["name"], total and total[0][1], g["totals"]["requests"]))
    names = [r[0] for r in rows[1:] if r[0] != "total"]
    want(names == [n["name"] for n in g["names"]],
         "group %s: names %s, report %s" % (g["name"], names, [n["name"] for n in g["names"]]))
# Paths without their query, as the report groups them.
want(">/Xy<" in dom and "x=4" not in dom, "the path /Xy?x=4&y=3 is not shown as /Xy")
# The seed, every digit.
want(doc["settings"]["seed"] == int(seed) and (">%s<" % seed) in dom, "seed %s not shown" % seed)
# Thresholds: the limit as written, errors measured in %, latency in s.
for t in doc["thresholds"]:
    row = re.search(r"<tr><td class=\"mono\">%s.*?</tr>" % re.escape(html.escape(t["expression"])),
                    dom, re.S)
    want(row, "no row for threshold %s" % t["expression"])
    if not row:
        continue
    cells = [text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]
    unit = "%" if t["expression"].endswith("%") else "s"
    want(re.fullmatch(r"[0-9.]+" + re.escape(unit), cells[1]),
         "threshold %s measured as %r" % (t["expression"], cells[1]))
    want(cells[2] == t["op"] + " " + t["expression"].split(t["op"])[1],
         "threshold %s limit as %r" % (t["expression"], cells[2]))
    want(cells[3] == ("PASS" if t["passed"] else "FAIL"), "threshold %s result" % t["expression"])
# Every chart, each with a line; the per-second ones end at the last whole second.
whole = int(doc["elapsed"] + 0.05)
for chart in ("rate", "load", "latency", "latency-distribution", "ttfb-distribution",
              "connect-distribution", "tls-distribution"):
    m = re.search(r'<svg class="chart" id="chart-%s"(.*?)</svg>' % chart, dom, re.S)
    want(m, "no chart %s" % chart)
    if not m:
        continue
    svg = m.group(1)
    want('width="100%"' in svg and "viewBox" in svg, "chart %s is not as wide as the page" % chart)
    want("<polyline" in svg, "chart %s has no line" % chart)
    if chart in ("rate", "load", "latency"):
        ticks = [int(v) for v in re.findall(r'text-anchor="middle">([0-9]+)</text>', svg)]
        want(ticks and max(ticks) <= whole, "chart %s: x ticks %s past second %d" % (chart, ticks, whole))
if bad:
    print("\n".join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
PY

# ------------------------------------------------------------ the picture
# Taken while the DOM was checked; a PNG of the window's size.
wait $SHOT || fail "chromium --screenshot failed: $(tail -5 shot.out)"
[ -s page.png ] || fail "no screenshot"
python3 - page.png <<'PY' || fail "the screenshot is not the page (above)"
import struct, sys, zlib
from collections import Counter
from itertools import accumulate, repeat
from operator import add, and_
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, []
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat.append(body)
    pos += 12 + n
assert (w, h) == (1280, 2000), "a %dx%d picture" % (w, h)
assert depth == 8 and ctype in (2, 6) and not interlace, (depth, ctype, interlace)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(b"".join(idat))
stride = w * bpp

def sub(row, first):  # PNG's Sub filter undone: each channel a running sum
    out = bytearray(stride)
    for ch in range(bpp):
        seq = row[ch::bpp]
        seq[0] = first[ch]
        out[ch::bpp] = bytes(map(and_, accumulate(seq), repeat(255)))
    return out

prev, counts = bytearray(stride), Counter()
for y in range(h):  # each row's filter undone, then its pixels counted
    f, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    if f == 1:
        row = sub(row, row[:bpp])
    elif f == 2:
        row = bytearray(map(and_, map(add, row, prev), repeat(255)))
    elif f == 4 and prev[bpp:] == prev[:-bpp]:  # Paeth under a plain row: the left pixel
        row = sub(row, [(row[i] + prev[i]) & 255 for i in range(bpp)])
    elif f == 3:
        for i in range(bpp):
            row[i] = (row[i] + (prev[i] >> 1)) & 255
        for i in range(bpp, stride):
            row[i] = (row[i] + ((row[i - bpp] + prev[i]) >> 1)) & 255
    elif f == 4:
        for i in range(bpp):
            row[i] = (row[i] + prev[i]) & 255
        for i in range(bpp, stride):
            a, b, c = row[i - bpp], prev[i], prev[i - bpp]
            pa, pb = b - c, a - c
            pc = pa + pb
            pa, pb, pc = pa if pa >= 0 else -pa, pb if pb >= 0 else -pb, pc if pc >= 0 else -pc
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    counts.update(zip(row[0::bpp], row[1::bpp], row[2::bpp]))
    prev = row
top = max(counts.values()) / (w * h)
print("screenshot: %d colours, the commonest on %.0f%% of it" % (len(counts), 100 * top))
assert len(counts) > 100, "only %d colours: a blank page" % len(counts)
assert top < 0.97, "one colour covers %.1f%%: a blank page" % (100 * top)
# The charts' first line colour (#0969da) and the page's text (#1f2328).
for rgb in ((0x09, 0x69, 0xda), (0x1f, 0x23, 0x28)):
    assert counts[rgb] > 50, "hardly any #%02x%02x%02x" % rgb
PY
echo "ok: the HTML report in Chromium"
