#!/usr/bin/env python3
"""The sandbox's tiny HTTP server: the minimal frontend and the logging-stack stub.

GET /ready answers 200 (what bs-loki, bs-grafana, bs-alloy and the healthchecks are asked);
GET / serves a small page; with BACKEND_URL set, /api/... is passed on to the backend, as the
real frontend does; with PROXY_PREFIX=/ every path but /ready is (the sandbox's reverse proxy).

Port: a numeric argument, or the port of grafana/alloy's `--server.http.listen-addr=HOST:PORT`, so
the real `alloy run ...` command of the app's compose file works unchanged (its other arguments are
ignored); else $PORT. `serve.py --check` (the image's healthcheck, which gets no arguments) asks
/ready on the port the server wrote to PORT_FILE when it started, and exits 0 when it answers 200.
"""

import os
import signal
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BACKEND = os.environ.get("BACKEND_URL", "").rstrip("/")
# What is passed on to BACKEND_URL: /api/ (the frontend), or "/" for everything but /ready (a reverse proxy).
PREFIX = os.environ.get("PROXY_PREFIX", "/api/")
PORT_FILE = "/tmp/serve.port"  # noqa: S108 - per-container file, read by the healthcheck
PAGE = b"<!doctype html><title>RevisBaliCRM</title><h1>RevisBaliCRM (sandbox)</h1>\n"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.route()

    def do_POST(self):
        self.route()

    def route(self):
        if self.path == "/ready":
            self.reply(200, b"ready\n", "text/plain")
        elif BACKEND and self.path.startswith(PREFIX):
            self.proxy()
        elif self.path == "/":
            self.reply(200, PAGE, "text/html")
        else:
            self.reply(404, b"not found\n", "text/plain")

    def proxy(self):
        length = int(self.headers.get("Content-Length") or 0)
        # BACKEND_URL is checked to be http(s) at start-up.
        request = urllib.request.Request(  # noqa: S310
            BACKEND + self.path,
            data=self.rfile.read(length) if length else None,
            method=self.command,
            headers={"Content-Type": self.headers.get("Content-Type", "application/json")},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - same URL
                self.reply(response.status, response.read(), response.headers.get("Content-Type", ""))
        except urllib.error.HTTPError as error:
            self.reply(error.code, error.read(), error.headers.get("Content-Type", ""))
        except OSError as error:
            self.reply(502, f"backend unreachable: {error}\n".encode(), "text/plain")

    def reply(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        if self.path != "/ready":  # healthchecks would drown the log
            super().log_message(format, *args)


def port_from(args):
    for arg in args:
        if arg.isdigit():
            return int(arg)
        if arg.startswith("--server.http.listen-addr="):
            return int(arg.rpartition(":")[2])
    return int(os.environ.get("PORT") or 8080)


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    port = port_from(args)
    if check:
        if not args:
            try:
                with open(PORT_FILE) as file:
                    port = int(file.read())
            except (OSError, ValueError):
                pass
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as response:
                return 0 if response.status == 200 else 1
        except OSError:
            return 1
    if BACKEND and not BACKEND.startswith(("http://", "https://")):
        sys.exit(f"BACKEND_URL must be an http(s) URL, got {BACKEND!r}")
    # A container listens on its own network address.
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)  # noqa: S104
    with open(PORT_FILE, "w") as file:
        file.write(str(port))
    # As PID 1 the process gets no default SIGTERM action: stop at once on `docker stop`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"serving on :{port}" + (f", /api/ -> {BACKEND}" if BACKEND else ""), flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
