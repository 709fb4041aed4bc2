#!/usr/bin/env python3
"""hostile_server.py - a table server that misbehaves on purpose, for the
end-to-end tests. It listens on 127.0.0.1 (port 0 picks a free one), prints
"hostile: listening on HOST:PORT", and gives each table request (POST /Xy
with {"value":{"x":X,"y":Y}}, or GET /Xy?x=X&y=Y) one fate, drawn with the
weights of --fates:

  ok        the right table: Y rows of X numbers
  wrong     a table with one row too many
  garbage   bytes that are not HTTP, then the connection closed
  truncated a Content-Length longer than the body sent, then closed
  reset     no answer: the connection reset (SO_LINGER 0, then close: RST)
  close     no answer: the connection closed (FIN)
  stall     no answer ever; the connection stays open until the client goes
  slow      the right table after --slow seconds

GET /status answers the counters as JSON and is never counted nor given a
fate:
  connections  connections accepted
  requests     table requests received whole (every fate counts here)
  answered     complete HTTP answers handed to the socket: ok, wrong, slow
  plus one counter per fate.
A client can therefore never have more answered requests than `answered`,
and the server never receives more requests than the client sent.

The server ends by itself after --lifetime seconds, or on SIGTERM/SIGINT.
"""
import argparse
import asyncio
import json
import random
import signal
import socket
import struct
import sys
import urllib.parse

FATES = ("ok", "wrong", "garbage", "truncated", "reset", "close", "stall", "slow")


def parse_fates(text):
    """'ok=5,reset=1' -> ([fates], [weights])."""
    names, weights = [], []
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name not in FATES:
            raise argparse.ArgumentTypeError("unknown fate %r (one of %s)" % (name, ", ".join(FATES)))
        names.append(name)
        weights.append(float(weight or 1))
    return names, weights


def table_body(x, y):
    rows = ",".join("[" + ",".join("0.5" for _ in range(x)) + "]" for _ in range(y))
    return ('{"value":["vector<vector<float8>>",[%s],[]]}' % rows).encode()


def answer(status, body, keep_alive=True, content_length=None, content_type="application/json"):
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "Error")
    head = "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: %s\r\n\r\n" % (
        status, reason, content_type, len(body) if content_length is None else content_length,
        "keep-alive" if keep_alive else "close")
    return head.encode() + body


class Hostile:
    def __init__(self, fates, weights, seed, slow):
        self.fates, self.weights, self.slow = fates, weights, slow
        self.rng = random.Random(seed)
        self.counts = dict.fromkeys(("connections", "requests", "answered") + FATES, 0)

    async def read_request(self, reader):
        """(method, target, headers, body) of the next request, or None at EOF."""
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        body = b""
        n = int(headers.get("content-length", "0") or 0)
        if n:
            body = await reader.readexactly(n)
        return method, target, headers, body

    @staticmethod
    def table_size(method, target, body):
        """(x, y) asked for, or None."""
        url = urllib.parse.urlsplit(target)
        if url.path != "/Xy":
            return None
        try:
            if method == "GET":
                q = urllib.parse.parse_qs(url.query)
                return int(q["x"][0]), int(q["y"][0])
            v = json.loads(body)["value"]
            return int(v["x"]), int(v["y"])
        except (KeyError, ValueError, TypeError, IndexError):
            return None

    async def serve(self, reader, writer):
        self.counts["connections"] += 1
        try:
            while True:
                try:
                    method, target, headers, body = await self.read_request(reader)
                except (asyncio.IncompleteReadError, ConnectionError, ValueError):
                    return
                keep = headers.get("connection", "").lower() != "close"
                if target.split("?")[0] == "/status":
                    writer.write(answer(200, json.dumps(self.counts).encode(), keep))
                    await writer.drain()
                    if not keep:
                        return
                    continue
                size = self.table_size(method, target, body)
                if size is None:
                    writer.write(answer(400, b"not a table request\n", keep,
                                        content_type="text/plain"))
                    await writer.drain()
                    continue
                self.counts["requests"] += 1
                fate = self.rng.choices(self.fates, self.weights)[0]
                self.counts[fate] += 1
                x, y = size
                if fate in ("ok", "slow", "wrong"):
                    if fate == "slow":
                        await asyncio.sleep(self.slow)
                    # Counted once handed to the socket: a client that
                    # reads it and closes at once may end the drain early.
                    writer.write(answer(200, table_body(x, y + (fate == "wrong")), keep))
                    self.counts["answered"] += 1
                    await writer.drain()
                    if not keep:
                        return
                elif fate == "garbage":
                    writer.write(b"\x00\x01 this is not HTTP \xff\r\n\r\n")
                    await writer.drain()
                    return
                elif fate == "truncated":
                    whole = table_body(x, y)
                    writer.write(answer(200, whole[: len(whole) // 2], keep, len(whole)))
                    await writer.drain()
                    return
                elif fate == "reset":
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                elif fate == "close":
                    return
                elif fate == "stall":
                    while await reader.read(65536):
                        pass
                    return
        except ConnectionError:
            pass
        finally:
            writer.close()


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (127.0.0.1:0)")
    ap.add_argument("--fates", type=parse_fates, default=parse_fates("ok"),
                    help="weights, e.g. ok=6,reset=1,stall=1 (ok)")
    ap.add_argument("--seed", type=int, default=None, help="seed of the fates")
    ap.add_argument("--slow", type=float, default=0.3, help="seconds before a slow answer (0.3)")
    ap.add_argument("--lifetime", type=float, default=120, help="seconds before it ends (120)")
    args = ap.parse_args()
    host, _, port = args.listen.rpartition(":")
    if host not in ("127.0.0.1", "::1", "[::1]", "localhost"):
        ap.error("--listen: loopback only")
    hostile = Hostile(*args.fates, args.seed, args.slow)
    server = await asyncio.start_server(hostile.serve, host.strip("[]"), int(port))
    addr = server.sockets[0].getsockname()
    print("hostile: listening on %s:%d" % (addr[0], addr[1]), flush=True)
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(0))
    try:
        await asyncio.wait_for(stop, args.lifetime)
    except asyncio.TimeoutError:
        pass
    server.close()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
