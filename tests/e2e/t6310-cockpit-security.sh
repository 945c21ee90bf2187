#!/bin/sh
# git lanes serve refuses what it must: paths outside its routes, "..",
# other methods, huge headers and bodies, slow clients, and actions without
# an authenticated user, a CSRF token or from another site; nothing changes.
# Authenticated actions go through hold.c's checks.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/e2e/cockpit.sh"

SERVER="$TRASH/server.git"
OTHER="$TRASH/other.git"

server_repo "$SERVER" &&
git -C "$SERVER" config lanes.serveUserHeader X-Remote-User &&
git -C "$SERVER" config lanes.serveTrustProxy true &&
git -C "$SERVER" config lanes.holders "alice, carol" &&
server_repo "$OTHER" &&
git -C "$OTHER" config lanes.serveUserHeader X-Remote-User &&
git clone -q "$SERVER" work 2>/dev/null &&
(cd work && test_commit "initial import" src/app.c &&
	git push -q origin main 2>/dev/null) &&
cockpit_start --timeout 2 "$SERVER" "$OTHER" || {
	echo "not ok - could not start git lanes serve"
	exit 1
}
PAGE="$COCKPIT_URL/r/server/"

# token <user>: the CSRF token in the page <user> sees
token() {
	curl -sf -H "X-Remote-User: $1" "$PAGE" |
		sed -n "s/.*name=\"csrf\" value=\"\([0-9a-f]*\)\".*/\1/p" | head -n 1
}
# unchanged: no hold ref, and the journal as it was
unchanged() {
	test_must_fail git -C "$SERVER" rev-parse -q --verify refs/lanes/holds/code &&
	test $(wc -l <"$SERVER/lanes/events.jsonl") = 1
}

test_expect_success 'paths outside the routes are 404, ".." is 400' '
	echo 404 >expect &&
	http_status "$COCKPIT_URL/etc/passwd" >actual && test_cmp expect actual &&
	http_status "$COCKPIT_URL/r/nosuch/" >actual && test_cmp expect actual &&
	http_status "$COCKPIT_URL/api/server/nosuch" >actual && test_cmp expect actual &&
	echo 400 >expect &&
	http_status --path-as-is "$COCKPIT_URL/r/server/../../etc/passwd" >actual &&
	test_cmp expect actual &&
	http_status --path-as-is "$COCKPIT_URL/static/%2e%2e/%2e%2e/config" >actual &&
	test_cmp expect actual
'

test_expect_success 'other methods are 405' '
	echo 405 >expect &&
	http_status -X PUT "$PAGE" >actual && test_cmp expect actual &&
	http_status -X DELETE "$COCKPIT_URL/api/" >actual && test_cmp expect actual &&
	http_status "$COCKPIT_URL/r/server/nosuch" >actual &&
	echo 404 >expect && test_cmp expect actual &&
	http_status "${PAGE}hold" >actual &&
	echo 405 >expect && test_cmp expect actual
'

test_expect_success 'the page is read-only without a trusted user' '
	curl -sf "$PAGE" >page.html &&
	test_grep "read-only" page.html &&
	! grep "<form class=\"inline\" method=\"post\"" page.html &&
	curl -sf -H "X-Remote-User: alice" "$COCKPIT_URL/r/other/" >other.html &&
	test_grep "read-only" other.html &&
	curl -sf -H "X-Remote-User: alice" "$PAGE" >alice.html &&
	test_grep "signed in as <b id=\"user\">alice</b>" alice.html &&
	test_grep "<form class=\"inline\" method=\"post\" action=\"/r/server/hold\">" alice.html
'

test_expect_success 'unauthenticated or cross-site actions are 403, nothing changes' '
	T=$(token alice) && test ${#T} = 64 &&
	echo 403 >expect &&
	http_status -d "lane=code&reason=x&csrf=$T" "${PAGE}hold" >actual &&
	test_cmp expect actual &&
	http_status -H "X-Remote-User: alice" -d "lane=code&reason=x&csrf=$T" \
		"$COCKPIT_URL/r/other/hold" >actual &&
	test_cmp expect actual &&
	http_status -H "X-Remote-User: alice" -d "lane=code&reason=x" \
		"${PAGE}hold" >actual &&
	test_cmp expect actual &&
	http_status -H "X-Remote-User: alice" -d "lane=code&reason=x&csrf=$(token carol)" \
		"${PAGE}hold" >actual &&
	test_cmp expect actual &&
	http_status -H "X-Remote-User: alice" -H "Origin: http://evil.example" \
		-d "lane=code&reason=x&csrf=$T" "${PAGE}hold" >actual &&
	test_cmp expect actual &&
	http_status -H "X-Remote-User: alice" -H "Sec-Fetch-Site: cross-site" \
		-d "lane=code&reason=x&csrf=$T" "${PAGE}hold" >actual &&
	test_cmp expect actual &&
	http_status -H "X-Remote-User: bob" -d "lane=code&reason=x&csrf=$(token bob)" \
		"${PAGE}hold" >actual &&
	test_cmp expect actual &&
	unchanged
'

test_expect_success 'huge headers are 431, huge bodies 413, nothing changes' '
	big=$(head -c 20000 /dev/zero | tr "\\0" a) &&
	echo 431 >expect &&
	http_status -H "X-Big: $big" "$PAGE" >actual && test_cmp expect actual &&
	T=$(token alice) &&
	echo 413 >expect &&
	http_status -H "X-Remote-User: alice" \
		-d "lane=code&csrf=$T&reason=$big" "${PAGE}hold" >actual &&
	test_cmp expect actual &&
	unchanged
'

test_expect_success 'a slow client is cut off after the timeout' '
	python3 - "$COCKPIT_PORT" >out <<-\EOF &&
	import socket, sys, time
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
	s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
	s.settimeout(8)
	t = time.time()
	data = s.recv(100)
	print("closed" if data == b"" else "data", int(time.time() - t) < 6)
	EOF
	echo "closed True" >expect && test_cmp expect out &&
	http_status "$PAGE" >actual && echo 200 >expect && test_cmp expect actual
'

test_expect_success 'alice holds and releases from the page: same checks, same ref' '
	T=$(token alice) &&
	curl -s -o held.html -w "%{http_code}\n" -H "X-Remote-User: alice" \
		-H "Origin: $COCKPIT_URL" --data-urlencode "reason=deploy <b>bad</b>" \
		-d "lane=code&csrf=$T" "${PAGE}hold" >status &&
	echo 200 >expect && test_cmp expect status &&
	test_grep "<p class=\"notice\" id=\"notice\">code: held</p>" held.html &&
	test_grep "HELD (code) by alice since" held.html &&
	git -C "$SERVER" log -1 --format=%B refs/lanes/holds/code >msg &&
	test_grep "^Held-By: alice$" msg &&
	test_grep "^deploy <b>bad</b>$" msg &&
	http_status -H "X-Remote-User: carol" --data-urlencode "reason=again" \
		-d "lane=code&csrf=$(token carol)" "${PAGE}hold" >status &&
	echo 409 >expect && test_cmp expect status &&
	git -C "$SERVER" log -1 --format=%B refs/lanes/holds/code >msg2 &&
	test_cmp msg msg2 &&
	http_status -H "X-Remote-User: alice" -d "lane=code&csrf=$T" \
		"${PAGE}release" >status &&
	echo 200 >expect && test_cmp expect status &&
	test_must_fail git -C "$SERVER" rev-parse -q --verify refs/lanes/holds/code &&
	http_status -H "X-Remote-User: alice" -d "lane=code&csrf=$T" \
		"${PAGE}release" >status &&
	echo 409 >expect && test_cmp expect status
'

test_done
