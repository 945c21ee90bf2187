#!/usr/bin/python3
"""Drives a headless Chromium through the DevTools protocol (stdlib only).

usage: browser.py <user-data-dir> <url> <step>...

Chromium must run with --remote-debugging-port=0 --user-data-dir=<dir>
(it writes the port to <dir>/DevToolsActivePort).  Opens <url>, waits for
the load event, then runs the steps in order:

  nojs                    (first) loads the page with JavaScript off
  dom:<file>              the DOM as HTML, as the browser holds it now
  shot:<file>             a PNG screenshot
  run:<shell command>     runs it; a failure fails the script
  wait:<seconds>:<js>     evaluates <js> every 100 ms until it is truthy;
                          prints "waited <s>" or fails after <seconds>
"""
import base64, json, os, socket, struct, subprocess, sys, time, urllib.request


class CDP:
    def __init__(self, ws_url):
        rest = ws_url.split("://", 1)[1]
        hostport, path = rest.split("/", 1)
        host, port = hostport.rsplit(":", 1)
        self.s = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall((
            "GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)
        ).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.s.recv(1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise SystemExit("browser.py: no websocket: %r" % head)
        self.n = 0
        self.events = []

    def _recv_exact(self, n):
        b = b""
        while len(b) < n:
            chunk = self.s.recv(n - len(b))
            if not chunk:
                raise SystemExit("browser.py: connection closed")
            b += chunk
        return b

    def _frame(self):
        data = b""
        while True:
            h = self._recv_exact(2)
            fin, op, n = h[0] & 0x80, h[0] & 15, h[1] & 127
            if n == 126:
                n = struct.unpack(">H", self._recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._recv_exact(8))[0]
            data += self._recv_exact(n)
            if fin:
                return op, data

    def call(self, method, **params):
        self.n += 1
        msg = json.dumps({"id": self.n, "method": method,
                          "params": params}).encode()
        mask = os.urandom(4)
        n = len(msg)
        head = bytes([0x81])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(msg))
        self.s.sendall(head + mask + body)
        while True:
            op, data = self._frame()
            if op != 1:
                continue
            m = json.loads(data)
            if m.get("id") == self.n:
                if "error" in m:
                    raise SystemExit("browser.py: %s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, name, timeout):
        end = time.time() + timeout
        while time.time() < end:
            for e in self.events:
                if e.get("method") == name:
                    self.events.remove(e)
                    return e
            op, data = self._frame()
            if op == 1:
                self.events.append(json.loads(data))
        raise SystemExit("browser.py: no %s within %ss" % (name, timeout))

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        return r.get("result", {}).get("value")


def main():
    udd, url, steps = sys.argv[1], sys.argv[2], sys.argv[3:]
    port_file = os.path.join(udd, "DevToolsActivePort")
    for _ in range(200):
        if os.path.exists(port_file) and open(port_file).read().strip():
            break
        time.sleep(0.05)
    port = int(open(port_file).read().split()[0])
    pages = json.load(urllib.request.urlopen(
        "http://127.0.0.1:%d/json/list" % port, timeout=10))
    page = [p for p in pages if p.get("type") == "page"][0]
    cdp = CDP(page["webSocketDebuggerUrl"])
    cdp.call("Page.enable")
    nojs = steps[:1] == ["nojs"]
    if nojs:
        steps = steps[1:]
    cdp.call("Emulation.setScriptExecutionDisabled", value=nojs)
    cdp.call("Page.navigate", url=url)
    cdp.wait_event("Page.loadEventFired", 20)
    for step in steps:
        kind, _, arg = step.partition(":")
        if kind == "dom":
            root = cdp.call("DOM.getDocument", depth=0)["root"]
            html = cdp.call("DOM.getOuterHTML", nodeId=root["nodeId"])
            with open(arg, "w") as f:
                f.write(html["outerHTML"])
        elif kind == "shot":
            r = cdp.call("Page.captureScreenshot", format="png")
            with open(arg, "wb") as f:
                f.write(base64.b64decode(r["data"]))
        elif kind == "run":
            subprocess.run(arg, shell=True, check=True)
        elif kind == "wait":
            secs, _, expr = arg.partition(":")
            t = time.time()
            while not cdp.js(expr):
                if time.time() - t > float(secs):
                    raise SystemExit("browser.py: not within %ss: %s"
                                     % (secs, expr))
                time.sleep(0.1)
            print("waited %.1f" % (time.time() - t))
        else:
            raise SystemExit("browser.py: unknown step %r" % step)
    if nojs:
        cdp.call("Emulation.setScriptExecutionDisabled", value=False)


main()
