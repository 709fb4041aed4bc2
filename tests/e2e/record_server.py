#!/usr/bin/env python3
"""record_server.py - a small HTTP/1.1 server, not written for throng, that
records what it is asked: one JSON line per request (method, path, headers,
body) in the file given, and answers keep-alive.

    record_server.py LOG [SECONDS]

Listens on 127.0.0.1 on a free port, prints "listening on PORT", and stops
by itself after SECONDS (default 100). Answers:
    /status/NNN   status NNN, body "status NNN"
    anything else 200, body "hello from the record server: METHOD PATH"
"""
import http.server
import json
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    log_path = None

    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record = {
            "method": self.command,
            "path": self.path,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": body.decode("latin-1"),
        }
        with Handler.lock, open(Handler.log_path, "a") as log:
            log.write(json.dumps(record) + "\n")
        status = 200
        if self.path.startswith("/status/"):
            status = int(self.path[len("/status/"):].split("?")[0])
            reply = "status %d" % status
        else:
            reply = "hello from the record server: %s %s" % (self.command, self.path)
        data = reply.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any


def main():
    Handler.log_path = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 100
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print("listening on %d" % server.server_address[1], flush=True)
    threading.Timer(seconds, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
