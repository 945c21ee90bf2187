#!/bin/sh
# The client side of trust: pre-push reads the server's holds before the
# network push; commit-msg catches typos of the DARK marker, with
# lanes.strictDark from the team's .lanes file.
. "$(dirname "$0")/lib.sh"

# hook_lines <file>: lines of our client hooks from a git command's output
hook_lines() {
	grep -E '^(pre-commit|commit-msg|pre-push):' "$1" >actual || :
}

test_expect_success 'setup: a server, a clone with the client hooks' '
	server_repo server.git &&
	git clone -q server.git dev 2>/dev/null &&
	(cd dev && git trunk install >/dev/null && test_commit init src/a.c &&
	 git push -q origin main 2>/dev/null)
'

test_expect_success 'pre-push says the lane is held before the push' '
	git -C server.git lanes hold code -m "checkout is down" >/dev/null &&
	(cd dev && test_commit "more" src/a.c &&
	 test_must_fail git push origin main >../out 2>&1) &&
	hook_lines out &&
	test_grep "^pre-push: lane CODE is held by $(id -un) since .*: checkout is down$" actual &&
	test_grep "^pre-push:   the server will refuse this \[held\]" actual &&
	test_grep "remote: try: refs/heads/main: rejected: lane CODE is held" out
'

test_expect_success 'an open lane: pre-push says nothing of holds' '
	(cd dev && git reset -q --hard origin/main &&
	 test_commit "DARK parser v3" src/p.c && git push origin main >../out 2>&1) &&
	hook_lines out &&
	test_grep "accepted, lane DARK" actual &&
	test_grep ! "held" actual
'

test_expect_success 'server unreachable for holds: it says so and lets git try' '
	port=$(free_port) &&
	git -C dev config remote.origin.pushurl "$TRASH/server.git" &&
	git -C dev config remote.origin.url "http://127.0.0.1:$port/server.git" &&
	(cd dev && git reset -q --hard HEAD && test_commit "code again" src/a.c &&
	 test_must_fail git push origin main >../out 2>&1) &&
	hook_lines out &&
	test_grep "^pre-push: cannot read the holds of ${SQ}origin${SQ}" actual &&
	test_grep "remote: try: refs/heads/main: rejected: lane CODE is held" out &&
	git -C dev config remote.origin.url "$TRASH/server.git" &&
	git -C dev config --unset remote.origin.pushurl &&
	git -C server.git lanes release code >/dev/null
'

test_expect_success 'commit-msg: typos of the marker get the exact form' '
	(cd dev && git reset -q --hard origin/main &&
	 echo x >src/b.c && git add src &&
	 git commit -m "DRAK parser v3" >../out 2>&1) &&
	hook_lines out &&
	test_grep "^commit-msg: ${SQ}DRAK parser v3${SQ} looks like a DARK marker" actual &&
	test_grep "write the subject as: DARK parser v3$" actual &&
	(cd dev && echo y >src/b.c && git add src &&
	 git commit -m "DAKR parser v4" >../out 2>&1) &&
	hook_lines out &&
	test_grep "write the subject as: DARK parser v4$" actual
'

test_expect_success 'commit-msg: words that merely start alike stay quiet' '
	(cd dev && echo z >src/b.c && git add src &&
	 git commit -m "Darken the header" >../out 2>&1 &&
	 echo w >src/b.c && git add src &&
	 git commit -m "Darkroom import" >>../out 2>&1 &&
	 echo v >src/b.c && git add src &&
	 git commit -m "Mark flaky tests" >>../out 2>&1) &&
	hook_lines out &&
	test_grep ! "looks like a DARK marker" actual &&
	test "$(git -C dev log -1 --format=%s)" = "Mark flaky tests"
'

test_expect_success 'lanes.strictDark from .lanes turns the warning into a refusal' '
	(cd dev && printf "[lanes]\n\tstrictDark = true\n" >.lanes &&
	 git add .lanes && git commit -q -m "team policy: strict markers" &&
	 git push -q origin main 2>/dev/null &&
	 echo u >src/b.c && git add src &&
	 test_must_fail git commit -m "DAK parser v5" >../out 2>&1) &&
	test_grep "rejected (lanes.strictDark is true)" out &&
	test "$(git -C dev log -1 --format=%s)" = "team policy: strict markers"
'

test_done
