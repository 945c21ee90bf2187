#!/bin/sh
# Holds over smart HTTP with basic auth: git lanes hold/release/status, the
# pre-receive hook stopping held lanes, lanes.fix, lanes.holders, and the
# rest of refs/lanes/ closed.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/e2e/httpd.sh"

SERVER="$TRASH/srv/server.git"
JOURNAL="$SERVER/lanes/events.jsonl"

mkdir -p "$TRASH/srv" &&
server_repo "$SERVER" &&
git -C "$SERVER" config --add lanes.config "config/**" &&
git -C "$SERVER" config lanes.holders "alice, carol" &&
httpd_serve "$SERVER" &&
httpd_start "$TRASH/srv" || {
	echo "not ok - could not start the HTTP server"
	exit 1
}

# push <clone> <args>...: output in ./push.out, the hook's lines in ./actual.
push() {
	local dir=$1
	shift
	git -C "$dir" push "$@" >push.out 2>&1
	local rc=$?
	try_lines push.out actual
	return $rc
}
# commit <clone> <subject> <file>
commit() {
	(cd "$1" && git pull -q --rebase 2>/dev/null; test_commit "$2" "$3")
}
last() {
	python3 -c 'import json,sys; e=json.loads(open(sys.argv[1]).read().splitlines()[-1]); print(eval(sys.argv[2]))' \
		"$JOURNAL" "$1"
}
held_line() {
	# the part of a hold description that does not depend on the clock
	sed -e "s/ since [0-9-]* [0-9:]* UTC:/ since <when>:/"
}

test_expect_success 'set up: alice and bob clone, alice creates the trunk' '
	git clone -q "$(httpd_url alice server.git)" alice 2>/dev/null &&
	git clone -q "$(httpd_url bob server.git)" bob 2>/dev/null &&
	(cd alice && test_commit "initial import" src/app.c) &&
	push alice origin main &&
	git -C bob pull -q 2>/dev/null
'

test_expect_success 'alice holds code: the ref is on the server' '
	git -C alice lanes hold code -m "checkout is down" >out 2>err &&
	held_line <out >actual &&
	echo "code on origin: held by alice since <when>: checkout is down" >expect &&
	test_cmp expect actual &&
	git -C "$SERVER" cat-file -t refs/lanes/holds/code >type &&
	echo commit >expect && test_cmp expect type &&
	git -C "$SERVER" log -1 --format=%B refs/lanes/holds/code >msg &&
	test_grep "^hold code: checkout is down$" msg &&
	test_grep "^Lanes-Hold: code$" msg &&
	test_grep "^Held-By: alice$" msg &&
	test_grep "^Claimed-By: C O Mitter <committer@example.com>$" msg &&
	test_grep "^Held-Since: [0-9-]*T[0-9:]*Z$" msg
'

test_expect_success 'git lanes status shows the hold; --remote fetches it for bob' '
	git -C alice lanes status >status &&
	held_line <status >actual &&
	cat >expect <<-EOF &&
	holds on origin (as last fetched; --remote fetches):
	  dark    open
	  config  open
	  code    held by alice since <when>: checkout is down
	  all     open
	EOF
	test_cmp expect actual &&
	git -C bob lanes status >status &&
	test_grep "^  code    open$" status &&
	git -C bob lanes status --remote >status &&
	test_grep "^holds on origin:$" status &&
	test_grep "^  code    held by alice since" status
'

test_expect_success 'a CODE push is rejected: who, since when, why' '
	commit bob "new checkout" src/checkout.c &&
	test_must_fail push bob origin main &&
	held_line <actual >rejected &&
	cat >expect <<-EOF &&
	try: refs/heads/main: rejected: lane CODE is held by alice since <when>: checkout is down [held]
	try:   a fix passes with ${SQ}git push -o lanes.fix${SQ}; the hold ends with ${SQ}git lanes release code${SQ}
	EOF
	test_cmp expect rejected
'

test_expect_success 'the config lane stays open under a code hold' '
	(cd bob && git reset -q --hard origin/main) &&
	commit bob "turn the old checkout back on" config/checkout.yml &&
	push bob origin main &&
	test_grep "^try: refs/heads/main: accepted, lane CONFIG (only config changes), 1 commit$" actual &&
	test "$(last "e[\"lane\"]")" = config
'

test_expect_success 'so is the dark lane' '
	commit bob "DARK checkout v3" src/checkout3.c &&
	push bob origin main &&
	test_grep "accepted, lane DARK" actual
'

test_expect_success 'a fix passes the hold and is marked in its event' '
	git -C "$SERVER" config lanes.fixers bob &&
	commit bob "fix the checkout" src/checkout.c &&
	push bob -o lanes.fix origin main &&
	test_grep "^try: refs/heads/main: accepted, lane CODE (code changes), 1 commit$" actual &&
	held_line <actual >passed &&
	test_grep "^try: refs/heads/main: passing the hold on code (lanes.fix): held by alice since <when>: checkout is down$" passed &&
	test "$(last "e[\"fix\"]")" = True &&
	test "$(last "e[\"pusher\"]")" = bob &&
	git -C "$SERVER" config --unset lanes.fixers
'

test_expect_success 'bob is not in lanes.holders: his hold is rejected' '
	test_exit_code 1 git -C bob lanes hold all -m "I panic" >out 2>err &&
	test_grep "^remote: try: refs/lanes/holds/all: rejected: bob may not hold or release lanes (lanes.holders)" err &&
	test_grep "git-lanes: cannot hold all on ${SQ}origin${SQ}: git push was refused" err &&
	test_must_fail git -C "$SERVER" rev-parse -q --verify refs/lanes/holds/all
'

test_expect_success 'nor can bob release a hold, even by hand' '
	test_exit_code 1 git -C bob lanes release code 2>err &&
	test_grep "bob may not hold or release lanes" err &&
	test_must_fail git -C bob push origin :refs/lanes/holds/code 2>err &&
	git -C "$SERVER" rev-parse -q --verify refs/lanes/holds/code
'

test_expect_success 'holding a held lane again needs --force' '
	test_exit_code 1 git -C alice lanes hold code -m "still down" 2>err &&
	held_line <err >actual &&
	cat >expect <<-EOF &&
	git-lanes: code is held already: held by alice since <when>: checkout is down
	git-lanes: --force replaces the hold
	EOF
	test_cmp expect actual &&
	git -C alice lanes hold --force code -m "still down, payments too" >out &&
	test_grep ": still down, payments too$" out &&
	git -C "$SERVER" log -1 --format=%s refs/lanes/holds/code >s &&
	echo "hold code: still down, payments too" >expect && test_cmp expect s
'

test_expect_success 'alice releases code: CODE flows again' '
	git -C alice lanes release code >out &&
	echo "code on origin: released" >expect && test_cmp expect out &&
	test_must_fail git -C "$SERVER" rev-parse -q --verify refs/lanes/holds/code &&
	commit bob "more checkout" src/checkout.c &&
	push bob origin main &&
	test_grep "accepted, lane CODE" actual &&
	git -C alice lanes status >status &&
	test_grep "^  code    open$" status
'

test_expect_success 'a hold on all stops every lane, config too' '
	git -C alice lanes hold all -m "freeze for the audit" >/dev/null &&
	commit bob "flip a flag" config/flag.yml &&
	test_must_fail push bob origin main &&
	held_line <actual >rejected &&
	test_grep "^try: refs/heads/main: rejected: all lanes are held by alice since <when>: freeze for the audit \[held\]$" rejected &&
	test_grep "${SQ}git lanes release all${SQ}" rejected &&
	git -C alice lanes release all >/dev/null &&
	push bob origin main
'

test_expect_success 'a hold on dark stops DARK only' '
	git -C alice lanes hold dark -m "flags service is down" >/dev/null &&
	commit bob "DARK half a feature" src/half.c &&
	test_must_fail push bob origin main &&
	test_grep "rejected: lane DARK is held by" actual &&
	(cd bob && git reset -q --hard origin/main) &&
	commit bob "real code" src/real.c &&
	push bob origin main &&
	git -C alice lanes release dark >/dev/null
'

test_expect_success 'lanes.holders: several values, names split by spaces and commas' '
	git -C "$SERVER" config lanes.holders "carol,  alice" &&
	git -C "$SERVER" config --add lanes.holders "dave" &&
	git -C alice config user.name Alice &&
	git -C alice lanes hold config -m "config service down" >/dev/null &&
	git -C alice lanes release config >/dev/null
'

test_expect_success 'with lanes.holders empty, everyone may hold' '
	git -C "$SERVER" config --unset-all lanes.holders &&
	git -C bob lanes hold dark -m "bob stops dark" >out &&
	test_grep "^dark on origin: held by" out &&
	git -C bob lanes release dark >/dev/null &&
	git -C "$SERVER" config lanes.holders alice
'

test_expect_success 'the rest of refs/lanes/ is closed' '
	test_must_fail push alice origin main:refs/lanes/other &&
	test_grep "^try: refs/lanes/other: rejected: refs/lanes/ is reserved for holds \[lanes-reserved\]$" actual &&
	test_must_fail push alice --no-verify origin main:refs/lanes/holds/bogus &&
	test_grep "^try: refs/lanes/holds/bogus: rejected: no lane ${SQ}bogus${SQ} to hold \[hold-no-lane\]$" actual &&
	test_must_fail push alice --no-verify origin main:refs/lanes/holds/Code &&
	blob=$(echo hi | git -C alice hash-object -w --stdin) &&
	test_must_fail push alice --no-verify origin "$blob:refs/lanes/holds/code" &&
	test_grep "rejected: a hold must be a commit, not a blob" actual
'

test_expect_success 'holds set in the server repository itself, no push' '
	git -C "$SERVER" lanes hold code -m "on the box" >out &&
	held_line <out >actual &&
	echo "code: held by $(id -un) since <when>: on the box" >expect &&
	test_cmp expect actual &&
	git -C "$SERVER" lanes status >status &&
	test_grep "^holds:$" status &&
	test_grep "^  code    held by .*: on the box$" status &&
	test_exit_code 1 git -C "$SERVER" lanes hold code -m again 2>err &&
	test_grep "code is held already" err &&
	commit bob "code again" src/again.c &&
	test_must_fail push bob origin main &&
	git -C "$SERVER" lanes release code >out &&
	echo "code: released" >expect && test_cmp expect out &&
	test_exit_code 1 git -C "$SERVER" lanes release code 2>err &&
	test_grep "code is not held" err &&
	push bob origin main
'

test_expect_success 'usage errors' '
	test_exit_code 129 git -C alice lanes hold code 2>err &&
	test_grep "a hold needs a reason" err &&
	test_exit_code 129 git -C alice lanes hold -m why 2>err &&
	test_exit_code 129 git -C alice lanes hold prod -m why 2>err &&
	test_grep "no lane ${SQ}prod${SQ}" err &&
	test_exit_code 129 git -C alice lanes release 2>err &&
	test_exit_code 129 git -C alice lanes status --bogus 2>err &&
	git -C alice lanes hold --help >out && test_grep "git lanes hold" out
'

test_done
