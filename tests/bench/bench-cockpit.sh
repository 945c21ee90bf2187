#!/bin/sh
# The cockpit (git lanes serve, issue 11) on a repository with 100,000
# journal events and 500+ pending commits:
#
#   cockpit-page     server time of the page (loopback, keep-alive; budget
#                    50 ms), and its ratio to /bin/true run in the same
#                    pairing (A B A B ...)
#   cockpit-metrics  /metrics (budget 10 ms), same pairing
#   cockpit-cold     the first page after start (reads the journal index
#                    and classifies the pending commits), for information
#   cockpit-rss      resident size with 200 clients connected (budget 32 MiB)
. "$(dirname "$0")/lib.sh"

LANES_BIN="$SRC_DIR/cmd/git-lanes"
need_bin "$LANES_BIN"
REPO="$WORK/cockpit.git"
EVENTS=${BENCH_EVENTS:-100000}

if [ ! -f "$REPO/lanes/events.jsonl" ] ||
   [ "$(wc -l <"$REPO/lanes/events.jsonl")" != "$EVENTS" ]; then
	rm -rf "$REPO" &&
	git init -q --bare "$REPO" &&
	git -C "$REPO" config --add lanes.config "config/**" &&
	"$PYTHON" - "$REPO" "$EVENTS" <<-\EOF || die "cannot generate $REPO"
	import json, os, random, subprocess, sys, uuid
	repo, n = sys.argv[1], int(sys.argv[2])
	random.seed(11)
	# 600 trunk commits: code, config and DARK ones
	out = []
	for i in range(600):
	    kind = i % 3
	    path = ["src/f%d.c" % (i % 50), "config/c%d.yml" % (i % 20),
	            "src/dark%d.c" % (i % 30)][kind]
	    subject = ("DARK " if kind == 2 else "") + "change %d <b>" % i
	    data = ("%d\n" % i).encode()
	    out.append(b"commit refs/heads/main\nmark :%d\n" % (i + 1))
	    out.append(b"author A <a@example.com> %d +0000\n" % (1700000000 + i))
	    out.append(b"committer A <a@example.com> %d +0000\n" % (1700000000 + i))
	    msg = subject.encode()
	    out.append(b"data %d\n%s\n" % (len(msg), msg))
	    if i:
	        out.append(b"from :%d\n" % i)
	    out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
	subprocess.run(["git", "-C", repo, "fast-import", "--quiet"],
	               input=b"".join(out), check=True)
	os.makedirs(os.path.join(repo, "lanes"), exist_ok=True)
	people = ["alice", "bob", "carol", "dave", "erin"]
	lanes = ["code", "config", "dark"]
	with open(os.path.join(repo, "lanes", "events.jsonl"), "w") as f:
	    for i in range(n):
	        t = "2026-01-01T00:00:%02d.000Z" % (i % 60)
	        if i % 50 == 49:
	            ev = {"id": str(uuid.UUID(int=i)), "time": t, "type": "hold",
	                  "repository": repo, "pusher": random.choice(people),
	                  "lane": random.choice(lanes), "reason": "hold %d" % i}
	        else:
	            c = [{"id": "%040x" % (i * 7 + k), "lane": random.choice(lanes),
	                  "subject": "subject %d/%d <i>" % (i, k),
	                  "author": "A <a@example.com>"} for k in range(3)]
	            ev = {"id": str(uuid.UUID(int=i)), "time": t,
	                  "repository": repo, "ref": "refs/heads/main",
	                  "old": "%040x" % i, "new": "%040x" % (i + 1),
	                  "pusher": random.choice(people), "lane": c[0]["lane"],
	                  "reason": "code path", "fix": False, "count": 3,
	                  "commits": c, "type": "push"}
	        f.write(json.dumps(ev, separators=(",", ":")) + "\n")
	EOF
fi
git -C "$REPO" update-ref refs/lanes/holds/code \
	"$(git -C "$REPO" commit-tree -m "hold code: bench" \
		"$(git -C "$REPO" hash-object -t tree -w /dev/null)")" ||
	die "cannot set a hold"

PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$LANES_BIN" serve --listen "127.0.0.1:$PORT" "$REPO" >"$WORK/logs/serve.txt" 2>&1 &
SERVE_PID=$!
trap 'kill $SERVE_PID 2>/dev/null' EXIT
i=0
until grep -q serving "$WORK/logs/serve.txt" || [ $i -gt 100 ]; do
	sleep 0.05; i=$((i + 1))
done

"$PYTHON" - "$PORT" "$SERVE_PID" >"$WORK/logs/cockpit.txt" <<-\EOF || die "measuring failed"
import http.client, statistics, subprocess, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
def get(conn, path):
    t = time.perf_counter()
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        raise SystemExit("GET %s: %d" % (path, r.status))
    return time.perf_counter() - t, body
def true():
    t = time.perf_counter()
    subprocess.run(["/bin/true"])
    return time.perf_counter() - t
conn = http.client.HTTPConnection("127.0.0.1", port)
cold, body = get(conn, "/r/cockpit/")
assert b"HELD (code)" in body and b"500)" in body, "page content"
page, metrics, t1, t2 = [], [], [], []
for i in range(31):
    page.append(get(conn, "/r/cockpit/")[0]); t1.append(true())
    metrics.append(get(conn, "/metrics")[0]); t2.append(true())
# 200 clients connected at once, each with one request answered
conns = []
for i in range(200):
    c = http.client.HTTPConnection("127.0.0.1", port)
    get(c, "/api/cockpit/stamp")
    conns.append(c)
for c in conns[::10]:
    get(c, "/r/cockpit/")
rss = [int(l.split()[1]) for l in open("/proc/%s/status" % pid)
       if l.startswith("VmRSS:")][0]
m = statistics.median
print(m(page), m(t1), m(metrics), m(t2), cold, rss)
EOF
read -r page true1 metrics true2 cold rss <"$WORK/logs/cockpit.txt"
# ratio <ours> <true>
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
report_info cockpit-page "page $(fmt_time "$page"), /bin/true $(fmt_time "$true1"): ratio $(ratio "$page" "$true1"); budget 50 ms: $(verdict "$page" 0.050)" \
	"ours=$page" "true=$true1" "ratio=$(ratio "$page" "$true1")"
report_info cockpit-metrics "/metrics $(fmt_time "$metrics"), /bin/true $(fmt_time "$true2"): ratio $(ratio "$metrics" "$true2"); budget 10 ms: $(verdict "$metrics" 0.010)" \
	"ours=$metrics" "true=$true2" "ratio=$(ratio "$metrics" "$true2")"
report_info cockpit-cold "first page after start $(fmt_time "$cold") ($EVENTS events indexed, 500 commits classified)" "cold=$cold"
report_info cockpit-rss "resident with 200 clients connected: $((rss / 1024)) MiB (budget 32 MiB): $(verdict "$rss" 32768)" "rss_kib=$rss"
