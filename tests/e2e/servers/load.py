#!/usr/bin/python3
"""Loopback load for the cockpit: N clients on keep-alive connections, each
refreshing the page and polling the stamp, for a bounded time.

usage: load.py <port> <repository name> <clients> <seconds> [<pid>]

Prints "requests <n> errors <n> peak_rss_kib <n>" (the peak resident size
of <pid> sampled while the clients are connected).  Any answer that is not
200, and any connection failure, is an error.
"""
import http.client, sys, threading, time

port, name, n, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
pid = sys.argv[5] if len(sys.argv) > 5 else None
end = time.time() + secs
lock = threading.Lock()
counts = {"requests": 0, "errors": 0}
peak = [0]
ready = threading.Barrier(n + 1)


def rss():
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def client(i):
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
    conn.connect()
    ready.wait()
    k = 0
    while time.time() < end:
        path = "/r/%s/" % name if k % 4 == 0 else "/api/%s/stamp" % name
        k += 1
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            ok = r.status == 200
        except Exception:
            ok = False
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", int(port),
                                              timeout=30)
        with lock:
            counts["requests"] += 1
            counts["errors"] += 0 if ok else 1
        time.sleep(0.05)
    conn.close()


threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
ready.wait()
while any(t.is_alive() for t in threads):
    if pid:
        peak[0] = max(peak[0], rss())
    time.sleep(0.2)
print("requests %d errors %d peak_rss_kib %d"
      % (counts["requests"], counts["errors"], peak[0]))
