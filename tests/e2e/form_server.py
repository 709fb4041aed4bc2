"""form_server.py - a small web application for test_forms_gzip.sh, in
Python's standard library only: pages compressed with gzip or deflate
(whether asked for or not), and forms, multipart uploads and query strings
parsed the way a server does (urllib.parse, email.parser: no cgi) and
echoed back as JSON, so the test checks what the server understood.

GET  /page?enc=gzip|deflate|raw|none&size=N  N bytes of text, so encoded
                                              (raw: deflate without zlib's
                                              wrapper), plus the query and
                                              Accept-Encoding seen, as JSON
POST /form        the x-www-form-urlencoded body parsed, as JSON (gzip)
POST /multipart   the multipart/form-data body parsed, as JSON (gzip)
GET  /bomb        64 MiB of zeros as gzip (about 64 KB on the wire)
GET  /br          a body claiming Content-Encoding: br
GET  /corrupt     a gzip body with its middle overwritten
"""
import email.parser
import email.policy
import gzip
import http.server
import json
import socketserver
import sys
import urllib.parse
import zlib

BOMB = gzip.compress(b"\0" * (64 << 20), 9)


def text(size):
    line = b"throng reads compressed pages; every line the same. "
    return (line * (size // len(line) + 1))[:size]


def encode(enc, body):
    if enc == "gzip":
        return gzip.compress(body)
    if enc == "deflate":
        return zlib.compress(body)
    if enc == "raw":
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        return c.compress(body) + c.flush()
    return body


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, body, enc="gzip", status=200):
        data = encode(enc, body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if enc != "none":
            self.send_header("Content-Encoding", "deflate" if enc == "raw" else enc)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        if url.path == "/page":
            enc = query.get("enc", ["gzip"])[0]
            size = int(query.get("size", ["1000"])[0])
            seen = {"query": query, "accept_encoding": self.headers.get("Accept-Encoding"),
                    "text": text(size).decode()}
            self.answer(json.dumps(seen).encode(), enc)
        elif url.path == "/bomb":
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(BOMB)))
            self.end_headers()
            self.wfile.write(BOMB)
        elif url.path == "/br":
            self.send_response(200)
            self.send_header("Content-Encoding", "br")
            self.send_header("Content-Length", "4")
            self.end_headers()
            self.wfile.write(b"\x0b\x01\x80\x03")
        elif url.path == "/corrupt":
            data = bytearray(gzip.compress(text(5000)))
            data[20:40] = b"\xff" * 20
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(bytes(data))
        else:
            self.answer(b'{"error":"no such page"}', "none", 404)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        ctype = self.headers.get("Content-Type", "")
        if self.path == "/form":
            if ctype != "application/x-www-form-urlencoded":
                return self.answer(json.dumps({"error": "content type " + ctype}).encode())
            fields = urllib.parse.parse_qs(body.decode("ascii"), keep_blank_values=True,
                                           strict_parsing=True)
            self.answer(json.dumps({"fields": fields}).encode())
        elif self.path == "/multipart":
            head = b"Content-Type: " + ctype.encode() + b"\r\n\r\n"
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
            if not msg.is_multipart():
                return self.answer(json.dumps({"error": "not multipart: " + ctype}).encode())
            fields = {}
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True)
                filename = part.get_filename()
                if filename is None:
                    fields.setdefault(name, []).append(data.decode())
                else:
                    fields.setdefault(name, []).append({
                        "filename": filename, "content_type": part.get_content_type(),
                        "data": data.decode("latin-1")})
            self.answer(json.dumps({"fields": fields, "defects": len(msg.defects)}).encode())
        else:
            self.answer(b'{"error":"no such form"}', "none", 404)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 64


srv = Server(("127.0.0.1", 0), Handler)
print("listening on 127.0.0.1:%d" % srv.server_address[1], flush=True)
srv.serve_forever()
