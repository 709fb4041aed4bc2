#!/usr/bin/env python3
"""server.py - a table server that misbehaves in one chosen way, for the
hostile-server suite (tests/hostile/run_matrix.py).

  server.py --mode NAME [--listen 127.0.0.1:0] [--lifetime SECONDS]
  server.py --list
  server.py --dump-responses DIR

It listens on one loopback socket (port 0 picks a free one), prints
"hostile: listening on HOST:PORT" and answers every connection the way
--mode says: the table persona's and the layer-cake helpers' request (POST
/Xy with {"value":{"x":X,"y":Y}}, or GET /Xy?x=X&y=Y) is read whole, and the
mode decides what comes back (a table of Y rows of X numbers is the right
answer). --list prints each mode with a one-line description.
--dump-responses DIR writes, for every mode whose answer is canned bytes,
the bytes it sends to a request for a 3-by-2 table to DIR/<mode> (seeds for
the fuzzing targets), and the descriptions to DIR/MODES.

The server ends by itself after --lifetime seconds, or on SIGTERM/SIGINT.
Python 3 standard library only.
"""
import argparse
import asyncio
import gzip
import json
import os
import signal
import socket
import struct
import sys
import urllib.parse

SAMPLE = (3, 2)  # the table size the canned bytes of --dump-responses answer


def rows_json(x, y, cell="0.5"):
    return "[" + ",".join("[" + ",".join(cell for _ in range(x)) + "]" for _ in range(y)) + "]"


def table_body(x, y, cell="0.5"):
    return ('{"value":["vector<vector<float8>>",%s,[]]}' % rows_json(x, y, cell)).encode()


def response(body, status="200 OK", headers=(), version="HTTP/1.1", length=None, eol="\r\n",
             content_type="application/json"):
    """An HTTP response: the status line, Content-Type, Content-Length (the
    body's, or `length` when given; none when length is False), the extra
    headers, then the body."""
    lines = ["%s %s" % (version, status)]
    if content_type:
        lines.append("Content-Type: " + content_type)
    if length is not False:
        lines.append("Content-Length: %s" % (len(body) if length is None else length))
    lines += list(headers)
    return (eol.join(lines) + eol + eol).encode("latin-1") + body


def ok(x, y):
    return response(table_body(x, y))


def chunked(body, size=16):
    out = b""
    for i in range(0, len(body), size):
        piece = body[i:i + size]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return out


BUSY = (b'{"value":["layer_cake.point_runtime.Busy",{"condition":"too many requests",'
        b'"explanation":null,"error_code":null,"exit_status":null},[]]}')

# Every mode: name -> (description, kind, what). kind "canned": what(x, y)
# gives the bytes written for each request and after says what follows them
# (keep: serve the next request; close: FIN; rst: RST; stall: hold the
# connection open and never answer again). kind "custom": what is a
# coroutine taking the connection. kind "socket": handled in main.
MODES = {}


def canned(name, description, after="keep"):
    def wrap(fn):
        MODES[name] = (description, "canned", (fn, after))
        return fn
    return wrap


def custom(name, description):
    def wrap(fn):
        MODES[name] = (description, "custom", fn)
        return fn
    return wrap


MODES["never-accept"] = ("listens with a backlog of 0 and never accepts: the first "
                         "connection waits in the queue, the others cannot connect", "socket", None)


# --- well-behaved answers, as controls and valid-but-unusual HTTP ---------

@canned("ok", "the right table, keep-alive (a control: no fault)")
def _(x, y):
    return ok(x, y)


@canned("busy", "a valid 500 with the layer-cake Busy envelope (counted busy, not a failure)")
def _(x, y):
    return response(BUSY, "500 Internal Server Error")


@canned("no-reason", "the right table under a status line without a reason phrase")
def _(x, y):
    return response(table_body(x, y), "200")


@canned("trailers", "the right table, chunked, with trailer fields after the last chunk")
def _(x, y):
    return response(b"", length=False, headers=("Transfer-Encoding: chunked",
                                                "Trailer: X-Checksum")) + \
        chunked(table_body(x, y)) + b"0\r\nX-Checksum: 1234\r\nX-Other: a\r\n\r\n"


@canned("continue-flood", "10,000 '100 Continue' interim answers, then the right table")
def _(x, y):
    return b"HTTP/1.1 100 Continue\r\n\r\n" * 10000 + ok(x, y)


@canned("http10-close", "HTTP/1.0, no Content-Length: the table delimited by closing", "close")
def _(x, y):
    return response(table_body(x, y), version="HTTP/1.0", length=False)


@canned("close-ignored", "says Connection: close after each table, yet keeps the connection "
        "open and answers what comes")
def _(x, y):
    return response(table_body(x, y), headers=("Connection: close",))


@canned("keepalive-then-close", "the right table with no Connection header (keep-alive), "
        "then the connection closed", "close")
def _(x, y):
    return ok(x, y)


@canned("huge-numbers", "a table of the right shape whose cells are 1e999 and 400-digit numbers")
def _(x, y):
    return response(table_body(x, y, cell="1e999") if x % 2 else table_body(x, y, "9" * 400))


@canned("gzip-unasked", "the right table gzip-compressed (Content-Encoding: gzip) though "
        "no Accept-Encoding asked for it")
def _(x, y):
    return response(gzip.compress(table_body(x, y), mtime=0), headers=("Content-Encoding: gzip",))


# --- wrong answers a parser accepts ---------------------------------------

@canned("wrong-size", "a well-formed table with one row too many")
def _(x, y):
    return ok(x, y + 1)


@canned("http-500", "a valid 500 with a plain-text body (not Busy)")
def _(x, y):
    return response(b"internal error\n", "500 Internal Server Error", content_type="text/plain")


@canned("http-503", "a valid 503 Service Unavailable with Retry-After and an HTML body")
def _(x, y):
    return response(b"<html><body>try later</body></html>\n", "503 Service Unavailable",
                    headers=("Retry-After: 1",), content_type="text/html")


@canned("non-json", "status 200 with an HTML body")
def _(x, y):
    return response(b"<html><body>hello</body></html>\n", content_type="text/html")


@canned("wrong-shape", "JSON of another shape: an object of strings, no table")
def _(x, y):
    return response(b'{"value":{"rows":"many","cols":"some"}}')


@canned("deep-json", "a body of 100,000 '[' then 100,000 ']'")
def _(x, y):
    return response(b"[" * 100000 + b"]" * 100000)


@canned("status-204-body", "204 No Content carrying a table body anyway")
def _(x, y):
    return response(table_body(x, y), "204 No Content")


@canned("status-304-body", "304 Not Modified carrying a table body anyway")
def _(x, y):
    return response(table_body(x, y), "304 Not Modified")


@canned("cl-shorter", "Content-Length 10 bytes short of the table sent")
def _(x, y):
    body = table_body(x, y)
    return response(body, length=len(body) - 10)


# --- malformed HTTP --------------------------------------------------------

@canned("garbage", "bytes that are not HTTP, then the connection closed", "close")
def _(x, y):
    return b"\x00\x01\x02 this is not HTTP \xff\xfe\r\n\r\n" + bytes(range(256))


@canned("tls-hello", "a TLS ServerHello record, as an HTTPS server answers", "close")
def _(x, y):
    hello = (b"\x02\x00\x00\x46\x03\x03" + bytes(32) + b"\x20" + bytes(range(32)) +
             b"\x13\x01\x00\x00\x00")
    return b"\x16\x03\x03" + struct.pack(">H", len(hello)) + hello


@canned("h2-settings", "the HTTP/2 connection preface and a SETTINGS frame", "stall")
def _(x, y):
    return (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x06\x04\x00\x00\x00\x00\x00"
            + b"\x00\x03\x00\x00\x00\x64")


@canned("http09", "HTTP/0.9: the body alone, no status line, then closed", "close")
def _(x, y):
    return table_body(x, y)


@canned("status-999", "the right table under status 999")
def _(x, y):
    return response(table_body(x, y), "999 Nine")


@canned("status-600", "the right table under status 600")
def _(x, y):
    return response(table_body(x, y), "600 Six")


@canned("status-020", "the right table under status 020")
def _(x, y):
    return response(table_body(x, y), "020 Twenty")


@canned("status-000", "the right table under status 000")
def _(x, y):
    return response(table_body(x, y), "000 Zero")


@canned("status-two-spaces", "the right table under 'HTTP/1.1  200 OK' (two spaces)")
def _(x, y):
    return response(table_body(x, y), " 200 OK")


@canned("bare-lf", "the right table with bare LF line endings")
def _(x, y):
    return response(table_body(x, y), eol="\n")


@canned("header-no-colon", "a header line without a colon")
def _(x, y):
    return response(table_body(x, y), headers=("X-Broken header line",))


@canned("header-nul", "a NUL byte inside a header value")
def _(x, y):
    return response(table_body(x, y), headers=("X-Nul: a\x00b",))


@canned("space-before-colon", "a 'Content-Length : N' header (space before the colon)")
def _(x, y):
    body = table_body(x, y)
    return response(body, length=False, headers=("Content-Length : %d" % len(body),))


@canned("header-100k", "one header line of 100 KB, then the right table")
def _(x, y):
    return response(table_body(x, y), headers=("X-Long: " + "a" * 100000,))


@canned("headers-10000", "10,000 header fields, then the right table")
def _(x, y):
    return response(table_body(x, y), headers=["X-H%d: v" % i for i in range(10000)])


@canned("two-cl", "two different Content-Length headers")
def _(x, y):
    body = table_body(x, y)
    return response(body, headers=("Content-Length: %d" % (len(body) + 5),))


@canned("cl-and-te", "both Content-Length and Transfer-Encoding: chunked")
def _(x, y):
    body = table_body(x, y)
    return response(chunked(body) + b"0\r\n\r\n", length=len(body),
                    headers=("Transfer-Encoding: chunked",))


@canned("cl-negative", "Content-Length: -1")
def _(x, y):
    return response(table_body(x, y), length=-1)


@canned("cl-2p64", "Content-Length: 18446744073709551616 (2^64)")
def _(x, y):
    return response(table_body(x, y), length=2 ** 64)


@canned("chunk-bad-size", "chunked with a chunk size that is not hex ('zz')")
def _(x, y):
    return response(b"zz\r\nabc\r\n0\r\n\r\n", length=False,
                    headers=("Transfer-Encoding: chunked",))


@canned("chunk-ext-1m", "chunked with a 1 MB chunk extension")
def _(x, y):
    body = table_body(x, y)
    return (response(b"", length=False, headers=("Transfer-Encoding: chunked",)) +
            b"%x;ext=" % len(body) + b"e" * (1 << 20) + b"\r\n" + body + b"\r\n0\r\n\r\n")


@canned("upgrade-101", "101 Switching Protocols to websocket, then frame bytes", "stall")
def _(x, y):
    return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"\r\n\x81\x05hello")


@canned("two-responses", "two right tables to each request: the second comes unasked")
def _(x, y):
    return ok(x, y) + ok(x, y)


# --- cut short: resets, closes, stalls --------------------------------------

@canned("rst-after-headers", "the status line and headers, then RST", "rst")
def _(x, y):
    return ok(x, y)[:-len(table_body(x, y))]


@canned("rst-mid-body", "headers and half the table, then RST", "rst")
def _(x, y):
    body = table_body(x, y)
    return ok(x, y)[:-(len(body) - len(body) // 2)]


@canned("fin-mid-headers", "half the status line and headers, then FIN", "close")
def _(x, y):
    head = ok(x, y)[:-len(table_body(x, y))]
    return head[:len(head) // 2]


@canned("cl-longer-close", "Content-Length of the table, half the table, then FIN", "close")
def _(x, y):
    body = table_body(x, y)
    return ok(x, y)[:-(len(body) - len(body) // 2)]


@canned("chunk-no-final-close", "chunked table without the final 0 chunk, then FIN", "close")
def _(x, y):
    return response(b"", length=False, headers=("Transfer-Encoding: chunked",)) + \
        chunked(table_body(x, y))


@canned("chunk-no-final-stall", "chunked table without the final 0 chunk, connection held open",
        "stall")
def _(x, y):
    return response(b"", length=False, headers=("Transfer-Encoding: chunked",)) + \
        chunked(table_body(x, y))


@canned("stall-mid-headers", "half the status line and headers, then nothing more", "stall")
def _(x, y):
    head = ok(x, y)[:-len(table_body(x, y))]
    return head[:len(head) // 2]


@canned("stall-mid-body", "headers and half the table, then nothing more", "stall")
def _(x, y):
    body = table_body(x, y)
    return ok(x, y)[:-(len(body) - len(body) // 2)]


@canned("silence", "reads the request and never answers; the connection stays open", "stall")
def _(x, y):
    return b""


@canned("fin-before-answer", "reads the request, then FIN without an answer", "close")
def _(x, y):
    return b""


@canned("rst-after-request", "reads the request, then RST without an answer", "rst")
def _(x, y):
    return b""


# --- custom behaviours -------------------------------------------------------

class Conn:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    async def request(self):
        """(x, y) of the next request read whole, or None at EOF. A request
        that is not a table request still gets the sample size."""
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return None
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        target = parts[1] if len(parts) > 1 else "/"
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip() or 0)
        body = await self.reader.readexactly(length) if length else b""
        return table_size(parts[0], target, body)

    async def write(self, data):
        self.writer.write(data)
        await self.writer.drain()

    def reset(self):
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()

    async def hold(self):
        """Keeps the connection open, reading and dropping what comes,
        until the client goes."""
        while await self.reader.read(65536):
            pass


def table_size(method, target, body):
    url = urllib.parse.urlsplit(target)
    try:
        if method == "GET":
            q = urllib.parse.parse_qs(url.query)
            return int(q["x"][0]), int(q["y"][0])
        v = json.loads(body)["value"]
        return int(v["x"]), int(v["y"])
    except (KeyError, ValueError, TypeError, IndexError):
        return SAMPLE


@custom("rst-at-once", "RST as soon as the connection is accepted, before the request")
async def _(c):
    c.reset()


@custom("fin-at-once", "FIN as soon as the connection is accepted, before the request")
async def _(c):
    pass


@custom("zero-window", "accepts and never reads: the receive window shrinks to zero and "
        "the request waits in the client's buffers")
async def _(c):
    c.writer.transport.pause_reading()
    await asyncio.sleep(3600)


@custom("slowloris", "the right table, one byte every 100 ms")
async def _(c):
    while True:
        size = await c.request()
        if size is None:
            return
        for b in ok(*size):
            await c.write(bytes([b]))
            await asyncio.sleep(0.1)


@custom("slow-answer", "the right table after 3 s, longer than the suite's --timeout")
async def _(c):
    while True:
        size = await c.request()
        if size is None:
            return
        await asyncio.sleep(3)
        await c.write(ok(*size))


@custom("endless-headers", "header fields streamed without end")
async def _(c):
    if await c.request() is None:
        return
    await c.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    line = b"X-Endless: " + b"h" * 1000 + b"\r\n"
    while True:
        await c.write(line * 64)


@custom("endless-chunked", "a chunked body streamed without end")
async def _(c):
    if await c.request() is None:
        return
    await c.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"100000\r\n" + b"[" * (1 << 20) + b"\r\n"
    while True:
        await c.write(chunk)


@custom("endless-cl", "Content-Length of 1 GB, the body streamed without end")
async def _(c):
    if await c.request() is None:
        return
    await c.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1073741824\r\n\r\n")
    piece = b"[" * (1 << 20)
    while True:
        await c.write(piece)


@custom("answer-first", "writes a 1-by-1 table on accept before any request, then answers "
        "each request rightly")
async def _(c):
    await c.write(ok(1, 1))
    while True:
        size = await c.request()
        if size is None:
            return
        await c.write(ok(*size))


async def serve(mode, reader, writer):
    _, kind, what = MODES[mode]
    c = Conn(reader, writer)
    try:
        if kind == "custom":
            await what(c)
            return
        fn, after = what
        while True:
            size = await c.request()
            if size is None:
                return
            data = fn(*size)
            if data:
                await c.write(data)
            if after == "rst":
                c.reset()
                return
            if after == "close":
                return
            if after == "stall":
                await c.hold()
                return
    except (ConnectionError, OSError, ValueError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


# --- a few more: overflowing sizes, endless status line, a reset on reuse,
# bytes after the last chunk, obsolete line folding, a signed length ---------


@canned("chunk-size-overflow", "chunked with a chunk size of 20 hex digits (overflows 64 bits)")
def _(x, y):
    return (response(b"", length=False, headers=["Transfer-Encoding: chunked"])
            + b"ffffffffffffffffffff\r\n" + table_body(x, y) + b"\r\n0\r\n\r\n")


@custom("endless-status-line", "'HTTP/1.1 200 ' then a reason phrase streamed without end")
async def _(c):
    if await c.request() is None:
        return
    await c.write(b"HTTP/1.1 200 ")
    while True:
        await c.write(b"R" * 65536)


@custom("rst-second-request", "the first request on a connection answered rightly, the next "
        "one reset")
async def _(c):
    size = await c.request()
    if size is None:
        return
    await c.write(ok(*size))
    if await c.request() is None:
        return
    c.reset()


@canned("chunked-trailing-garbage", "the right table chunked, then garbage bytes after the "
        "last chunk")
def _(x, y):
    return (response(b"", length=False, headers=["Transfer-Encoding: chunked"])
            + chunked(table_body(x, y)) + b"0\r\n\r\nGARBAGE-AFTER-THE-END\r\n")


@canned("obs-fold", "the right table with an obs-fold header continuation line")
def _(x, y):
    return response(table_body(x, y), headers=["X-Folded: first", " second part"])


@canned("cl-plus-sign", "Content-Length: +N (a sign before the digits)")
def _(x, y):
    b = table_body(x, y)
    return response(b, length="+%d" % len(b))


@custom("drip-then-rst-mid-chunk", "the right table chunked, a byte every 20 ms, then RST halfway "
        "through the body")
async def _(c):
    size = await c.request()
    if size is None:
        return
    data = (response(b"", length=False, headers=["Transfer-Encoding: chunked"])
            + chunked(table_body(*size)))
    for b in data[: len(data) // 2]:
        await c.write(bytes([b]))
        await asyncio.sleep(0.02)
    c.reset()


def dump(folder):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "MODES"), "w") as f:
        for name, (description, kind, what) in MODES.items():
            f.write("%s\t%s\n" % (name, description))
            if kind == "canned" and what[0](*SAMPLE):
                with open(os.path.join(folder, name), "wb") as out:
                    out.write(what[0](*SAMPLE))


async def main(args):
    host, _, port = args.listen.rpartition(":")
    host = host.strip("[]")
    if host not in ("127.0.0.1", "::1", "localhost"):
        sys.exit("server.py: --listen: loopback only")
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.mode == "zero-window":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)  # the kernel's least
    sock.bind((host, int(port)))
    server = None
    if args.mode == "never-accept":
        sock.listen(0)
    else:
        server = await asyncio.start_server(lambda r, w: serve(args.mode, r, w), sock=sock,
                                            limit=1 << 20)
    addr = sock.getsockname()
    print("hostile: listening on %s:%d" % (addr[0], addr[1]), flush=True)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(0))
    try:
        await asyncio.wait_for(stop, args.lifetime)
    except asyncio.TimeoutError:
        pass
    if server:
        server.close()
    sock.close()


def cli():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=sorted(MODES), metavar="NAME", help="how to misbehave")
    ap.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (127.0.0.1:0)")
    ap.add_argument("--lifetime", type=float, default=60, help="seconds before it ends (60)")
    ap.add_argument("--list", action="store_true", help="print the modes and what each does")
    ap.add_argument("--dump-responses", metavar="DIR",
                    help="write each canned mode's answer to a 3x2 table request to DIR/<mode>")
    args = ap.parse_args()
    if args.list:
        width = max(map(len, MODES))
        for name, (description, _, _) in MODES.items():
            print("%-*s  %s" % (width, name, description))
        return 0
    if args.dump_responses:
        dump(args.dump_responses)
        return 0
    if not args.mode:
        ap.error("--mode NAME is needed (--list prints them)")
    try:
        asyncio.run(main(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(cli())
