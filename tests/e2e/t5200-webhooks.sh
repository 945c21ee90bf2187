#!/bin/sh
# Webhooks: every lane event POSTed, signed with HMAC-SHA256; a receiver
# that is down, failing or hanging never fails the push; the spool keeps
# what was not delivered and delivers it in order, on the next push or with
# git lanes flush.  The receiver is python3's http.server on 127.0.0.1.
. "$(dirname "$0")/lib.sh"

SERVER="$TRASH/server.git"
JOURNAL="$SERVER/lanes/events.jsonl"
RECV="$TRASH/recv"
mkdir -p "$RECV"

cat >"$RECV/receiver.py" <<-\EOF
import hashlib, hmac, http.server, json, os, sys, time
secret = open(sys.argv[1], "rb").read().rstrip(b"\r\n")
d = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        mode = open(os.path.join(d, "mode")).read().strip()
        if mode == "hang":
            time.sleep(4)
        want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        good = hmac.compare_digest(want, self.headers.get("X-Lanes-Signature", ""))
        e = json.loads(body)
        with open(os.path.join(d, "log"), "a") as f:
            f.write("%s %s %s %s %s %s\n" % (self.path, "good" if good else "BAD",
                    e["id"], self.headers.get("X-Lanes-Event"),
                    self.headers.get("Content-Type"), e["new"]))
        with open(os.path.join(d, "bodies"), "ab") as f:
            f.write(body + b"\n")
        code = 200 if good and mode != "fail" else (401 if not good else 500)
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"receiver says %d\n" % code)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer.allow_reuse_address = True
s = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[3])), H)
open(os.path.join(d, "port"), "w").write(str(s.server_address[1]))
s.serve_forever()
EOF

# The receiver's pid lives in a file: tests run in subshells, so a
# receiver started in one is stopped in another.
recv_start() {
	echo "${1:-ok}" >"$RECV/mode"
	rm -f "$RECV/port"
	python3 "$RECV/receiver.py" "$TRASH/secret" "$RECV" "${PORT:-0}" \
		</dev/null >>"$RECV/out" 2>&1 &
	echo $! >"$RECV/pid"
	n=0
	while [ ! -s "$RECV/port" ] && [ $n -lt 100 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	PORT=$(cat "$RECV/port")
	test -n "$PORT"
}
recv_stop() {
	local pid n=0
	pid=$(cat "$RECV/pid" 2>/dev/null) || return 0
	rm -f "$RECV/pid"
	kill "$pid" 2>/dev/null
	# a zombie (the first receiver is this shell's child) counts as gone
	while grep -q "^[0-9]* (.*) [^ZX] " "/proc/$pid/stat" 2>/dev/null &&
	      [ $n -lt 100 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	return 0
}
at_exit recv_stop

printf 's3cret-for-hooks\n' >"$TRASH/secret"
server_repo "$SERVER" &&
recv_start &&
test -n "$PORT" &&
git -C "$SERVER" config lanes.webhook "http://127.0.0.1:$PORT/a" &&
git -C "$SERVER" config lanes.webhookSecretFile "$TRASH/secret" &&
git clone -q "file://$SERVER" work 2>/dev/null || {
	echo "not ok - could not set up"
	exit 1
}

push() {
	git -C work push "$@" >push.out 2>&1
}
new_commit() {
	(cd work && test_commit "DARK $1" "src/$1.c")
}
# ids <file>: the event ids of journal-format lines, one per line.
ids() {
	python3 -c 'import json,sys
for l in open(sys.argv[1]): print(json.loads(l)["id"])' "$1"
}
received() { awk '{ print $3 }' "$RECV/log"; }
waiting() {
	find "$SERVER/lanes/spool" -name '*.json' 2>/dev/null | wc -l | tr -d ' '
}

test_expect_success 'an event is POSTed as JSON, signed, with its id' '
	new_commit one && push origin main &&
	test "$(wc -l <"$RECV/log")" = 1 &&
	read path sig id hdr type new <"$RECV/log" &&
	test "$path" = /a && test "$sig" = good &&
	test "$id" = "$hdr" &&
	test "$type" = application/json &&
	test "$new" = "$(git -C work rev-parse main)" &&
	test_cmp "$JOURNAL" "$RECV/bodies" &&
	test "$(waiting)" = 0 &&
	strip_remote push.out >out && test_grep ! warning out
'

test_expect_success 'lanes.webhook is multi-valued: every URL gets every event' '
	git -C "$SERVER" config --add lanes.webhook "http://127.0.0.1:$PORT/b" &&
	new_commit two && push origin main &&
	tail -n 2 "$RECV/log" | awk "{ print \$1, \$2, \$3 }" | sort >actual &&
	id=$(tail -n 1 "$JOURNAL" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"id\"])") &&
	printf "/a good %s\n/b good %s\n" "$id" "$id" >expect &&
	test_cmp expect actual &&
	git -C "$SERVER" config --unset lanes.webhook "/b\$"
'

test_expect_success 'receiver down: pushes go through at once, events are spooled' '
	recv_stop &&
	: >"$RECV/log" && : >"$RECV/bodies" &&
	start=$(date +%s) &&
	for n in three four five; do
		new_commit $n && push origin main &&
		test "$(git -C "$SERVER" rev-parse main)" = "$(git -C work rev-parse main)" || return 1
	done &&
	test $(( $(date +%s) - start )) -lt 10 &&
	strip_remote push.out >out &&
	test_grep "^try: warning: webhook: cannot connect to http://127.0.0.1:$PORT/a: .*; 3 events for http://127.0.0.1:$PORT/a kept in the spool (next push, or ${SQ}git lanes flush${SQ})$" out &&
	test "$(waiting)" = 3 &&
	git -C "$SERVER" lanes status >status &&
	test_grep "^  http://127.0.0.1:$PORT/a: 3 events waiting$" status
'

test_expect_success 'git lanes flush while it is still down: kept, exit 128' '
	test_exit_code 128 git -C "$SERVER" lanes flush >out 2>err &&
	test_grep "^http://127.0.0.1:$PORT/a: 0 delivered, 3 waiting$" out &&
	test_grep "cannot connect" err &&
	test "$(waiting)" = 3
'

test_expect_success 'receiver back: git lanes flush delivers all, once, in order' '
	recv_start &&
	git -C "$SERVER" lanes flush >out &&
	test_grep "^http://127.0.0.1:$PORT/a: 3 delivered, 0 waiting$" out &&
	tail -n 3 "$JOURNAL" >expect-bodies &&
	test_cmp expect-bodies "$RECV/bodies" &&
	ids expect-bodies >expect && received >actual &&
	test_cmp expect actual &&
	test_grep ! BAD "$RECV/log" &&
	test "$(waiting)" = 0 &&
	git -C "$SERVER" lanes flush >out &&
	test "$(wc -l <"$RECV/log")" = 3
'

test_expect_success 'the next push delivers what waits first, then its own' '
	recv_stop && : >"$RECV/log" && : >"$RECV/bodies" &&
	new_commit six && push origin main &&
	new_commit seven && push origin main &&
	test "$(waiting)" = 2 &&
	recv_start &&
	new_commit eight && push origin main &&
	test "$(waiting)" = 0 &&
	tail -n 3 "$JOURNAL" >expect-bodies &&
	test_cmp expect-bodies "$RECV/bodies" &&
	strip_remote push.out >out && test_grep ! warning out
'

test_expect_success 'a receiver answering 500 keeps the event; its words are shown' '
	echo fail >"$RECV/mode" && : >"$RECV/log" &&
	new_commit nine && push origin main &&
	strip_remote push.out >out &&
	test_grep "^try: warning: webhook: HTTP 500: receiver says 500; 1 event for" out &&
	test "$(waiting)" = 1 &&
	echo ok >"$RECV/mode" &&
	git -C "$SERVER" lanes flush >out &&
	test_grep ": 1 delivered, 0 waiting$" out &&
	test "$(wc -l <"$RECV/log")" = 2
'

test_expect_success 'a bad signature is refused by the receiver and kept' '
	: >"$RECV/log" &&
	printf "another secret\n" >"$TRASH/wrong" &&
	git -C "$SERVER" config lanes.webhookSecretFile "$TRASH/wrong" &&
	new_commit ten && push origin main &&
	test_grep "^/a BAD" "$RECV/log" &&
	test "$(waiting)" = 1 &&
	git -C "$SERVER" config lanes.webhookSecretFile "$TRASH/secret" &&
	git -C "$SERVER" lanes flush >out &&
	test "$(waiting)" = 0 &&
	tail -n 1 "$RECV/log" | grep "^/a good"
'

test_expect_success 'a missing secret file: the push is in, the event waits' '
	git -C "$SERVER" config lanes.webhookSecretFile "$TRASH/nowhere" &&
	new_commit eleven && push origin main &&
	strip_remote push.out >out &&
	test_grep "^try: warning: lanes.webhookSecretFile: cannot open" out &&
	test "$(waiting)" = 1 &&
	git -C "$SERVER" config lanes.webhookSecretFile "$TRASH/secret" &&
	git -C "$SERVER" lanes flush >/dev/null &&
	test "$(waiting)" = 0
'

test_expect_success 'a hanging receiver delays the push by lanes.webhookTimeout only' '
	git -C "$SERVER" config lanes.webhookTimeout 1 &&
	echo hang >"$RECV/mode" && : >"$RECV/log" &&
	new_commit twelve &&
	start=$(date +%s) &&
	push origin main &&
	took=$(( $(date +%s) - start )) &&
	echo "push took $took s" &&
	test $took -le 3 &&
	strip_remote push.out >out &&
	test_grep "^try: warning: webhook: .*; 1 event for" out &&
	test "$(waiting)" = 1 &&
	echo ok >"$RECV/mode" &&
	git -C "$SERVER" config --unset lanes.webhookTimeout &&
	sleep 4 &&
	git -C "$SERVER" lanes flush >out &&
	test "$(waiting)" = 0 &&
	received | sort | uniq -c | awk "{ print \$1 }" >counts &&
	echo 2 >expect && test_cmp expect counts
'

test_expect_success 'events of a URL no longer configured are kept and reported' '
	recv_stop &&
	new_commit thirteen && push origin main &&
	test "$(waiting)" = 1 &&
	git -C "$SERVER" config lanes.webhook "http://127.0.0.1:$PORT/new" &&
	git -C "$SERVER" lanes status >status &&
	test_grep "^  http://127.0.0.1:$PORT/a: 1 event kept, no longer in lanes.webhook$" status &&
	git -C "$SERVER" lanes flush >out &&
	test_grep "^http://127.0.0.1:$PORT/a: 1 event kept, no longer in lanes.webhook$" out &&
	test "$(waiting)" = 1
'

test_expect_success 'URL credentials and queries are not shown' '
	git -C "$SERVER" config lanes.webhook "http://user:pw@127.0.0.1:$PORT/q?token=secret" &&
	new_commit fourteen && push origin main &&
	strip_remote push.out >out &&
	test_grep "warning" out &&
	test_grep ! "pw@" out && test_grep ! "token=secret" out &&
	git -C "$SERVER" lanes status >status &&
	test_grep ! "pw@" status && test_grep ! "token=secret" status
'

test_done
