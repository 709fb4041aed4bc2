#!/usr/bin/env python3
"""wrk_server.py - a small keep-alive HTTP/1.1 server for the `throng wrk`
tests, that counts what it is asked and says so at GET /__stats (not
counted itself): the requests in all, by path (without the query), by
method, the X-Count values and X-Token headers seen, the POST bodies and
content types, and how many request heads each recv() of the
server's sockets held ("batches": {"3": n} for n reads of 3 requests at
once, as a pipeline's single write makes them). Every answer names the
request's path in X-Path.

    wrk_server.py [SECONDS]

Listens on 127.0.0.1 on a free port, prints "listening on PORT", and stops
by itself after SECONDS (default 100). Answers:
    /login        200 with the header X-Token: t0k3n
    /data         200 when the request has X-Token: t0k3n, else 401
    /status/NNN   status NNN
    anything else 200, body "hello"
"""
import collections
import http.server
import io
import json
import sys
import threading


class CountingReader(io.RawIOBase):
    """A socket read as a stream, each recv's request heads counted."""

    def __init__(self, sock):
        self.sock = sock

    def readable(self):
        return True

    def readinto(self, b):
        n = self.sock.recv_into(b)
        heads = bytes(b[:n]).count(b"\r\n\r\n")
        if heads:
            with Handler.lock:
                Handler.stats["batches"][str(heads)] += 1
        return n


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    lock = threading.Lock()
    stats = {"requests": 0, "paths": collections.Counter(), "methods": collections.Counter(),
             "counts": collections.Counter(), "tokens": collections.Counter(),
             "bodies": collections.Counter(), "types": collections.Counter(),
             "batches": collections.Counter()}

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        self.rfile = io.BufferedReader(CountingReader(self.connection))

    def answer(self, status, body, headers=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("X-Path", getattr(self, "path_seen", ""))
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0]
        self.path_seen = path
        if path == "/__stats":
            with Handler.lock:
                self.answer(200, json.dumps(Handler.stats))
            return
        token = self.headers.get("X-Token")
        with Handler.lock:
            s = Handler.stats
            s["requests"] += 1
            s["paths"][path] += 1
            s["methods"][self.command] += 1
            if self.headers.get("X-Count") is not None:
                s["counts"][self.headers["X-Count"]] += 1
            if token:
                s["tokens"][token] += 1
            if body:
                s["bodies"][body.decode("latin-1")] += 1
            if self.headers.get("Content-Type"):
                s["types"][self.headers["Content-Type"]] += 1
        if path == "/login":
            self.answer(200, "welcome", [("X-Token", "t0k3n")])
        elif path == "/data":
            self.answer(200 if token == "t0k3n" else 401, "data")
        elif path.startswith("/status/"):
            self.answer(int(path[len("/status/"):]), "status")
        else:
            self.answer(200, "hello")

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that closes its connection at the end of its run


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 100
    server = Server(("127.0.0.1", 0), Handler)
    print("listening on %d" % server.server_address[1], flush=True)
    threading.Timer(seconds, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
