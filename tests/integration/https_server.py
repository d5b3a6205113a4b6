#!/usr/bin/env python3
"""A small HTTPS server on loopback for the jit-jwks-refresh tests.

usage: https_server.py CERT KEY DOCROOT PORTFILE

Serves the files of DOCROOT and a few misbehaving paths:
  /slow/NAME       waits 5 s, then serves NAME
  /huge            1 MiB of JSON-looking bytes
  /to-http/NAME    a 302 to the same server over http:// (no server there)
  /to-https/NAME   a 302 to NAME on this server
Listens on 127.0.0.1 on a free port, which it writes to PORTFILE once ready.
"""
import http.server
import os
import ssl
import sys
import time

cert, key, docroot, portfile = sys.argv[1:5]


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("https_server: " + (fmt % args) + "\n")

    def send_body(self, body, status=200):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, url):
        self.send_response(302)
        self.send_header("Location", url)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        port = self.server.server_address[1]
        path = self.path
        if path.startswith("/slow/"):
            time.sleep(5)
            path = path[len("/slow"):]
        if path == "/huge":
            return self.send_body(b'{"keys": [' + b" " * (1 << 20) + b"]}")
        if path.startswith("/to-http/"):
            return self.redirect("http://127.0.0.1:%d/%s" % (port, path[len("/to-http/"):]))
        if path.startswith("/to-https/"):
            return self.redirect("https://127.0.0.1:%d/%s" % (port, path[len("/to-https/"):]))
        name = os.path.normpath(os.path.join(docroot, path.lstrip("/")))
        if not name.startswith(docroot + "/") or not os.path.isfile(name):
            return self.send_body(b'{"error": "not found"}', 404)
        with open(name, "rb") as f:
            self.send_body(f.read())


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
