"""Shared parts of the loopback test servers (Python 3 standard library only).

Every server binds 127.0.0.1 (port 0 unless --port is given), writes its port
to --port-file once it listens, logs each request as one JSON line to --log when
it arrives (method, path, auth scheme, user, fault) and another when it was
answered ("answer": status, or "dropped"),
and takes fault rules that make it misbehave on demand:

    --fault 'METHOD PATH-REGEX ACTION [xN]'

ACTION is one of
    NNN[:text]   answer status NNN with the server's own error page of `text`
    slow:SECS    wait SECS seconds, then answer normally
    drop         close the connection without any answer
METHOD may be `*`; the path regex is matched (re.search) against the path
with its query.  `xN` applies the rule to the first N matching requests only,
so "503 twice, then fine" is `'POST /hook 503:busy x2'`.  Rules are tried in
order; the first one that still applies wins.  GET /__faults lists the rules
and POST /__faults (one rule a line, empty body: none) replaces them while
the server runs.
"""

import argparse
import base64
import json
import os
import re
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Fault:
    def __init__(self, spec):
        parts = spec.split()
        if len(parts) < 3:
            raise ValueError("fault rule needs METHOD PATH ACTION: %r" % spec)
        self.spec = spec
        self.method = parts[0]
        self.path = re.compile(parts[1])
        self.count = None
        rest = parts[2:]
        if rest[-1].startswith("x") and rest[-1][1:].isdigit():
            self.count = int(rest[-1][1:])
            rest = rest[:-1]
        action = " ".join(rest)
        self.action = action
        if action == "drop":
            self.kind = "drop"
        elif action.startswith("slow:"):
            self.kind = "slow"
            self.seconds = float(action[5:])
        else:
            m = re.match(r"^(\d{3})(?::(.*))?$", action, re.S)
            if not m:
                raise ValueError("bad fault action %r" % action)
            self.kind = "status"
            self.status = int(m.group(1))
            self.text = m.group(2) or ""

    def matches(self, method, path):
        if self.count is not None and self.count <= 0:
            return False
        if self.method != "*" and self.method != method:
            return False
        return bool(self.path.search(path))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler, args):
        super().__init__(("127.0.0.1", args.port), handler)
        self.args = args
        self.lock = threading.Lock()
        self.faults = [Fault(f) for f in args.fault]
        self.log_file = open(args.log, "a") if args.log else None
        self.started = time.time()

    def handle_error(self, request, client_address):
        # a client that gave up (timeouts, drops) is part of the tests
        exc = sys.exc_info()[1]
        if isinstance(exc, (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)

    def take_fault(self, method, path):
        with self.lock:
            for f in self.faults:
                if f.matches(method, path):
                    if f.count is not None:
                        f.count -= 1
                    return f
        return None

    def log(self, entry):
        if not self.log_file:
            return
        with self.lock:
            self.log_file.write(json.dumps(entry, sort_keys=True) + "\n")
            self.log_file.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Jetty(10.0.18)"
    sys_version = ""

    def version_string(self):
        return self.server_version

    # Subclasses: route(method) handles a request; error_body(status, text)
    # gives (content type, bytes) of the server's own error page.

    def log_message(self, fmt, *a):
        if self.server.args.verbose:
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % a))

    def read_body(self):
        if getattr(self, "_body", None) is not None:
            return self._body
        n = int(self.headers.get("Content-Length") or 0)
        data = b""
        while len(data) < n:
            chunk = self.rfile.read(n - len(data))
            if not chunk:
                break
            data += chunk
        self._body = data
        return data

    def send(self, status, body=b"", ctype="text/plain;charset=utf-8",
             headers=()):
        if isinstance(body, str):
            body = body.encode()
        self._status = status
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if body or status not in (201, 204, 304):
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, obj, headers=()):
        self.send(status, json.dumps(obj), "application/json;charset=utf-8",
                  headers)

    def send_error_page(self, status, text):
        ctype, body = self.error_body(status, text)
        self.send(status, body, ctype)

    def error_body(self, status, text):
        return "text/plain;charset=utf-8", text + "\n"

    def drop(self):
        self._status = "dropped"
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _handle(self):
        self._body = None
        self._status = None
        method, path = self.command, self.path
        auth = self.headers.get("Authorization") or ""
        user = None
        if auth.startswith("Basic "):
            try:
                user = base64.b64decode(auth[6:]).decode().partition(":")[0]
            except ValueError:
                user = "?"
        if path.startswith("/__faults"):
            self.control()
            return
        # read it all, so that a connection kept alive stays in step
        self.read_body()
        fault = self.server.take_fault(method, path)
        # logged on arrival, so that a client that gave up can count it
        self.server.log({"method": method, "path": path,
                         "time": time.time(),
                         "auth": auth.split(" ")[0] if auth else None,
                         "user": user,
                         "fault": fault.spec if fault else None})
        try:
            if fault and fault.kind == "drop":
                self.drop()
                return
            if fault and fault.kind == "status":
                self.send_error_page(fault.status, fault.text)
                return
            if fault and fault.kind == "slow":
                time.sleep(fault.seconds)
            self.route(method)
        finally:
            self.server.log({"answer": self._status, "method": method,
                             "path": path, "time": time.time()})

    def control(self):
        if self.command == "POST":
            text = self.read_body().decode()
            rules = [Fault(l) for l in text.splitlines() if l.strip()]
            with self.server.lock:
                self.server.faults = rules
            self.send_json(200, {"faults": [f.spec for f in rules]})
        else:
            with self.server.lock:
                specs = [f.spec for f in self.server.faults]
            self.send_json(200, {"faults": specs})

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_HEAD(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_DELETE(self):
        self._handle()


def common_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", help="write the port here once listening")
    p.add_argument("--log", help="append one JSON line per request")
    p.add_argument("--state", help="directory for what was received")
    p.add_argument("--fault", action="append", default=[],
                   help="'METHOD PATH-REGEX ACTION [xN]', see trylib.py")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--die-with-parent", action="store_true",
                   help="exit when the process that started it is gone "
                   "(a unit test that failed half-way)")
    return p


def serve(server):
    args = server.args
    if args.state:
        os.makedirs(args.state, exist_ok=True)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.rename(tmp, args.port_file)
    import signal
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    if args.die_with_parent:
        parent = os.getppid()

        def watch():
            while os.getppid() == parent:
                time.sleep(0.2)
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.1)
    except (KeyboardInterrupt, SystemExit):
        pass
