#!/usr/bin/env python3
"""shop_app.py - a small web shop for the shopper persona (shopper.lua), in
Python's standard library only. It behaves as a real application would
towards a browser, so that the persona has to do what a browser does:

GET  /login             the log-in form; starts an anonymous session (cookie
                        `sid`) and hides a form token (`csrf`) in the page
POST /login             user, password, csrf (x-www-form-urlencoded): a wrong
                        password answers 401 with the form shown again; a
                        right one starts a new session (a new `sid`) and
                        answers 303 to /dashboard
GET  /dashboard         the shopper's page; without a logged-in session any
                        page answers 302 to /login?next=...
GET  /search?q=...      products whose name holds q, with links
GET  /products/N        a product, with an "add to cart" form (a token)
POST /cart              product, qty, csrf: 303 to /cart
GET  /cart              the cart, with a checkout form (a token)
POST /checkout          address, csrf: places the order, 303 to /orders/N
GET  /orders, /orders/N the orders of the shopper, one order
POST /account/avatar    multipart/form-data: a picture (a file part) and a
                        caption; 303 to /dashboard
POST /logout            csrf: ends the session, 303 to /login
GET  /stats             what the shop served, as JSON (no log-in needed)

A form posted with a missing or wrong token answers 403. Every HTML page is
gzip-compressed when the request's Accept-Encoding allows it.

    python3 shop_app.py [--port N] [--accounts accounts.csv] [--fail-checkout N]

--fail-checkout N makes every Nth checkout fail (502, "payment service
unavailable"), for thresholds that must then fail. The server prints
"listening on 127.0.0.1:PORT" once it listens (port 0, the default, is an
ephemeral one).
"""
import argparse
import collections
import csv
import email.parser
import email.policy
import gzip
import html
import http.server
import json
import os
import secrets
import sys
import threading
import urllib.parse

PRODUCTS = [
    "red shoes", "blue shoes", "green hat", "red hat", "wool socks", "rain coat",
    "sun glasses", "leather belt", "linen shirt", "cotton shirt", "silk scarf", "denim jacket",
    "canvas bag", "travel mug", "blue scarf", "red socks", "green coat", "wool hat",
    "sports watch", "rain boots",
]
PRICES = [1990 + 250 * i for i in range(len(PRODUCTS))]  # cents


class Shop:
    """The shop's state, shared by the server's threads under one lock."""

    def __init__(self, accounts, fail_checkout):
        self.lock = threading.Lock()
        self.accounts = accounts  # user -> password
        self.fail_checkout = fail_checkout
        self.sessions = {}  # sid -> {"user": name or None, "csrf": token, "cart": {id: qty}}
        self.anonymous = collections.deque()  # sids of sessions not logged in, oldest first
        self.active = {}  # user -> logged-in sessions now
        self.orders = {}  # user -> [order ids]
        self.users_seen = set()
        self.counts = dict.fromkeys([
            "requests", "logins", "login_failures", "logouts", "bad_csrf", "to_login",
            "overlaps", "gzip_pages", "plain_pages", "cart_adds", "checkouts",
            "checkout_failures", "checkout_attempts", "uploads", "upload_bytes", "orders_viewed",
        ], 0)
        self.max_active = 0  # the most sessions of one account at once

    def count(self, name, n=1):
        with self.lock:
            self.counts[name] += n

    def stats(self):
        with self.lock:
            doc = dict(self.counts)
            doc["users"] = len(self.users_seen)
            doc["max_active_per_user"] = self.max_active
            doc["sessions"] = len(self.sessions)
            return doc


def page(title, body):
    return ("<!doctype html><html><head><title>%s</title></head><body><h1>%s</h1>%s"
            "</body></html>" % (html.escape(title), html.escape(title), body))


def token_input(token):
    return '<input type="hidden" name="csrf" value="%s">' % token


def login_form(token, message=""):
    return page("Log in", (
        '<p class="error">%s</p>' % html.escape(message) if message else "") + (
        '<form method="post" action="/login">%s'
        '<input name="user"><input name="password" type="password">'
        '<button>Log in</button></form>' % token_input(token)))


def gzip_allowed(accept):
    """True when an Accept-Encoding value accepts gzip (a q of 0 refuses)."""
    for item in (accept or "").split(","):
        parts = [p.strip() for p in item.split(";")]
        if parts[0].lower() not in ("gzip", "x-gzip", "*"):
            continue
        q = 1.0
        for p in parts[1:]:
            if p.lower().startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        return q > 0
    return False


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY the second
    # waits for the client's delayed ACK (40 ms a page).
    disable_nagle_algorithm = True
    shop = None  # set before serving

    def log_message(self, *args):
        pass

    # --- answers

    def send(self, status, body=b"", ctype="text/html; charset=utf-8", headers=()):
        if isinstance(body, str):
            body = body.encode()
        compress = ctype.startswith("text/html") and gzip_allowed(
            self.headers.get("Accept-Encoding"))
        if ctype.startswith("text/html"):
            self.shop.count("gzip_pages" if compress else "plain_pages")
        if compress:
            body = gzip.compress(body, 5)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if compress:
            self.send_header("Content-Encoding", "gzip")
        if ctype.startswith("text/html"):
            self.send_header("Vary", "Accept-Encoding")
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def redirect(self, status, location, headers=()):
        self.send(status, page("Moved", '<a href="%s">here</a>' % html.escape(location)),
                  headers=[("Location", location)] + list(headers))

    def set_sid(self, sid):
        return ("Set-Cookie", "sid=%s; Path=/; HttpOnly; SameSite=Lax" % sid)

    # --- sessions

    def session(self):
        """(sid, session) of the request's cookie, or (None, None)."""
        cookie = self.headers.get("Cookie", "")
        for part in cookie.split(";"):
            name, _, value = part.strip().partition("=")
            if name == "sid":
                with self.shop.lock:
                    s = self.shop.sessions.get(value)
                if s is not None:
                    return value, s
        return None, None

    def logged_in(self):
        """The logged-in session, or None after answering 302 to /login."""
        sid, s = self.session()
        if s is None or s["user"] is None:
            self.shop.count("to_login")
            self.redirect(302, "/login?next=" + urllib.parse.quote(self.path, safe=""))
            return None, None
        return sid, s

    def form(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip() != "application/x-www-form-urlencoded":
            return None
        fields = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[0] for k, v in fields.items()}

    def token_ok(self, s, fields):
        if fields is not None and s is not None and secrets.compare_digest(
                fields.get("csrf", ""), s["csrf"]):
            return True
        self.shop.count("bad_csrf")
        self.send(403, page("Forbidden", "<p>the form's token is missing or wrong</p>"))
        return False

    # --- routes

    def do_GET(self):
        self.shop.count("requests")
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        parts = [p for p in url.path.split("/") if p]
        if url.path == "/stats":
            return self.send(200, json.dumps(self.shop.stats()), "application/json")
        if url.path == "/login":
            return self.get_login()
        if url.path == "/":
            return self.redirect(302, "/dashboard")
        sid, s = self.logged_in()
        if s is None:
            return
        if url.path == "/dashboard":
            with self.shop.lock:
                n = len(self.shop.orders.get(s["user"], []))
            links = "".join('<li><a href="/search?q=%s">%s</a></li>' % (
                urllib.parse.quote(w), w) for w in ("shoes", "hat", "shirt", "scarf"))
            return self.send(200, page("Dashboard", (
                '<p id="welcome">Welcome, %s</p><p>%d orders</p><ul>%s</ul>'
                '<form method="post" action="/logout">%s<button>Log out</button></form>') % (
                html.escape(s["user"]), n, links, token_input(s["csrf"]))))
        if url.path == "/search":
            q = query.get("q", [""])[0].lower()
            found = ["<li><a href=\"/products/%d\">%s</a></li>" % (i + 1, html.escape(name))
                     for i, name in enumerate(PRODUCTS) if q in name]
            return self.send(200, page("Search", "<p>%d found for %s</p><ul>%s</ul>" % (
                len(found), html.escape(q), "".join(found))))
        if len(parts) == 2 and parts[0] == "products" and parts[1].isdigit() \
                and 1 <= int(parts[1]) <= len(PRODUCTS):
            i = int(parts[1])
            return self.send(200, page(PRODUCTS[i - 1], (
                '<p class="price">%.2f</p><form method="post" action="/cart">%s'
                '<input type="hidden" name="product" value="%d"><input name="qty" value="1">'
                '<button>Add to cart</button></form>') % (
                PRICES[i - 1] / 100, token_input(s["csrf"]), i)))
        if url.path == "/cart":
            with self.shop.lock:
                cart = dict(s["cart"])
            rows = "".join("<li>%d x %s</li>" % (q, html.escape(PRODUCTS[i - 1]))
                           for i, q in sorted(cart.items()))
            total = sum(PRICES[i - 1] * q for i, q in cart.items())
            return self.send(200, page("Cart", (
                '<ul>%s</ul><p id="total">%.2f</p><form method="post" action="/checkout">%s'
                '<input name="address"><button>Buy</button></form>') % (
                rows, total / 100, token_input(s["csrf"]))))
        if url.path == "/orders" or (len(parts) == 2 and parts[0] == "orders"):
            with self.shop.lock:
                mine = list(self.shop.orders.get(s["user"], []))
                self.shop.counts["orders_viewed"] += 1
            if len(parts) == 2:
                if not parts[1].isdigit() or int(parts[1]) not in mine:
                    return self.send(404, page("No such order", ""))
                return self.send(200, page("Order %s" % parts[1],
                                           '<p id="confirmed">Order %s confirmed</p>' % parts[1]))
            return self.send(200, page("Orders", "<ul>%s</ul>" % "".join(
                '<li class="order">%d</li>' % o for o in mine)))
        self.send(404, page("Not found", ""))

    def get_login(self):
        sid, s = self.session()
        headers = []
        if s is None:  # an anonymous session, for the form's token
            sid, s = secrets.token_urlsafe(16), {"user": None, "csrf": secrets.token_hex(16),
                                                  "cart": {}}
            with self.shop.lock:
                self.shop.sessions[sid] = s
                # Forms never posted: the oldest are forgotten past 10000.
                self.shop.anonymous.append(sid)
                if len(self.shop.anonymous) > 10000:
                    old = self.shop.anonymous.popleft()
                    if self.shop.sessions.get(old, {"user": 1})["user"] is None:
                        del self.shop.sessions[old]
            headers.append(self.set_sid(sid))
        self.send(200, login_form(s["csrf"]), headers=headers)

    def do_POST(self):
        self.shop.count("requests")
        path = urllib.parse.urlsplit(self.path).path
        if path == "/login":
            return self.post_login()
        if path == "/account/avatar":
            return self.post_avatar()
        fields = self.form()
        sid, s = self.logged_in()
        if s is None or not self.token_ok(s, fields):
            return
        if path == "/cart":
            try:
                product, qty = int(fields.get("product", "")), int(fields.get("qty", "1"))
            except ValueError:
                return self.send(400, page("Bad request", ""))
            if not 1 <= product <= len(PRODUCTS) or not 1 <= qty <= 99:
                return self.send(400, page("Bad request", ""))
            with self.shop.lock:
                s["cart"][product] = s["cart"].get(product, 0) + qty
                self.shop.counts["cart_adds"] += 1
            return self.redirect(303, "/cart")
        if path == "/checkout":
            return self.post_checkout(s, fields)
        if path == "/logout":
            with self.shop.lock:
                self.shop.sessions.pop(sid, None)
                self.shop.active[s["user"]] -= 1
                self.shop.counts["logouts"] += 1
            return self.redirect(303, "/login", [("Set-Cookie", "sid=; Path=/; Max-Age=0")])
        self.send(404, page("Not found", ""))

    def post_login(self):
        fields = self.form()
        sid, s = self.session()
        if not self.token_ok(s, fields):
            return
        user = fields.get("user", "")
        if self.shop.accounts.get(user) != fields.get("password"):
            self.shop.count("login_failures")
            return self.send(401, login_form(s["csrf"], "wrong user name or password"))
        # A new session id at log-in, as an application that resists session
        # fixation does; the anonymous one ends.
        new = secrets.token_urlsafe(16)
        with self.shop.lock:
            self.shop.sessions.pop(sid, None)
            self.shop.sessions[new] = {"user": user, "csrf": secrets.token_hex(16), "cart": {}}
            n = self.shop.active.get(user, 0) + 1
            self.shop.active[user] = n
            if n > 1:
                self.shop.counts["overlaps"] += 1
            self.shop.max_active = max(self.shop.max_active, n)
            self.shop.users_seen.add(user)
            self.shop.counts["logins"] += 1
        self.redirect(303, "/dashboard", [self.set_sid(new)])

    def post_checkout(self, s, fields):
        with self.shop.lock:
            self.shop.counts["checkout_attempts"] += 1
            n = self.shop.counts["checkout_attempts"]
            cart = dict(s["cart"])
        if not cart or not fields.get("address"):
            return self.send(409, page("Cart", "<p>nothing to buy, or no address</p>"))
        if self.shop.fail_checkout and n % self.shop.fail_checkout == 0:
            self.shop.count("checkout_failures")
            return self.send(502, page("Sorry", "<p>payment service unavailable</p>"))
        with self.shop.lock:
            self.shop.counts["checkouts"] += 1
            order = self.shop.counts["checkouts"]
            self.shop.orders.setdefault(s["user"], []).append(order)
            s["cart"].clear()
        self.redirect(303, "/orders/%d" % order)

    def post_avatar(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        sid, s = self.logged_in()
        if s is None:
            return
        ctype = self.headers.get("Content-Type", "")
        head = b"Content-Type: " + ctype.encode() + b"\r\n\r\n"
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        parts = {}
        if msg.is_multipart():
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                parts[name] = (part.get_filename(), part.get_content_type(),
                               part.get_payload(decode=True) or b"")
        picture, csrf = parts.get("picture"), parts.get("csrf")
        if csrf is None or csrf[2].decode() != s["csrf"]:
            self.shop.count("bad_csrf")
            return self.send(403, page("Forbidden", "<p>the form's token is missing or wrong</p>"))
        if picture is None or not picture[0] or not picture[2] or "caption" not in parts:
            return self.send(400, page("Bad request", "<p>a picture and a caption, please</p>"))
        with self.shop.lock:
            self.shop.counts["uploads"] += 1
            self.shop.counts["upload_bytes"] += len(picture[2])
        self.redirect(303, "/dashboard")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        # A load generator resets its connections at the end of a run.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="a small web shop for shopper.lua")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--accounts", default=os.path.join(here, "accounts.csv"))
    ap.add_argument("--fail-checkout", type=int, default=0, metavar="N",
                    help="every Nth checkout fails with 502")
    args = ap.parse_args()
    with open(args.accounts, newline="") as f:
        accounts = {row["user"]: row["password"] for row in csv.DictReader(f)}
    Handler.shop = Shop(accounts, args.fail_checkout)
    srv = Server(("127.0.0.1", args.port), Handler)
    print("listening on 127.0.0.1:%d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
