"""cookie_server.py - a small web application for test_cookies_redirects.sh,
in Python's standard library only: a log-in that sets a session cookie and
redirects, a page that needs the cookie, 307 and a redirect loop. A second
listener (another port) is the "other server" a redirect can point to.

POST /login       form user=NAME: Set-Cookie sid=NAME; 303 to /dashboard
GET  /enter       Set-Cookie sid=guest (Path=/); 302 to "dashboard" (relative)
GET  /dashboard   200 "welcome NAME" with the sid cookie, else 401
POST /keep        307 to /echo
POST /echo        200: the method and body received, as JSON
GET  /loop        302 to /loop, for ever
GET  /away        302 to the other listener's /there
GET  /there       (other listener) 200 "there"
GET  /cookies     200: the Cookie header received (empty when none)
"""
import http.server
import json
import socketserver
import sys
import threading
import urllib.parse


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


OTHER = {}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes

    def log_message(self, *args):
        pass

    def send(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def cookie(self, name):
        for part in (self.headers.get("Cookie") or "").split(";"):
            k, _, v = part.strip().partition("=")
            if k == name:
                return v
        return None

    def do_GET(self):
        p = self.path
        if p == "/enter":
            self.send(302, headers=[("Set-Cookie", "sid=guest; Path=/; HttpOnly"),
                                    ("Location", "dashboard")])
        elif p == "/dashboard":
            sid = self.cookie("sid")
            if sid:
                self.send(200, ("welcome " + sid).encode())
            else:
                self.send(401, b"log in first")
        elif p == "/loop":
            self.send(302, headers=[("Location", "/loop")])
        elif p == "/away":
            self.send(302, headers=[("Location", "http://127.0.0.1:%d/there" % OTHER["port"])])
        elif p == "/there":
            self.send(200, b"there")
        elif p == "/cookies":
            self.send(200, (self.headers.get("Cookie") or "").encode())
        else:
            self.send(404)

    def do_POST(self):
        data = self.body()
        if self.path == "/login":
            user = urllib.parse.parse_qs(data.decode()).get("user", ["?"])[0]
            self.send(303, headers=[("Set-Cookie", "sid=%s; Path=/; HttpOnly; SameSite=Lax" % user),
                                    ("Location", "/dashboard")])
        elif self.path == "/keep":
            self.send(307, headers=[("Location", "/echo")])
        elif self.path == "/echo":
            self.send(200, json.dumps({"method": self.command, "body": data.decode()}).encode())
        else:
            self.send(404)


def main():
    other = Server(("127.0.0.1", 0), Handler)
    OTHER["port"] = other.server_address[1]
    threading.Thread(target=other.serve_forever, daemon=True).start()
    srv = Server(("127.0.0.1", 0), Handler)
    print("listening on 127.0.0.1:%d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
