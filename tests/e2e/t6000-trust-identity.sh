#!/bin/sh
# Who pushes, as the server knows it (trunk.pusherEnv), holds recorded as
# the server's word, lanes.fixers, and hold/release/fix events.  Pushes go
# over file:// with the variables gitolite (GL_USER), Gitea and friends
# set for their hooks; smart HTTP with REMOTE_USER is t5300.
. "$(dirname "$0")/lib.sh"

SERVER="$TRASH/server.git"
JOURNAL="$SERVER/lanes/events.jsonl"
ME=$(id -un)

server_repo "$SERVER" &&
git -C "$SERVER" config --add lanes.config "config/**" &&
git -C "$SERVER" config receive.advertisePushOptions true &&
git -C "$SERVER" config lanes.holders alice || {
	echo "not ok - could not set up the server"
	exit 1
}

# as <user> <git args>...: git with the variable gitolite sets for its hooks
as() {
	local user=$1
	shift
	env GL_USER="$user" git "$@"
}
# push <user> <args>...: git push from ./work; the hook's lines in ./actual
push() {
	local user=$1
	shift
	as "$user" -C work push "$@" >push.out 2>&1
	local rc=$?
	try_lines push.out actual
	return $rc
}
# ev <n> <python expression over the event e>: the n-th journal line's
# value (1-based; -1 the last)
ev() {
	python3 - "$JOURNAL" "$1" "$2" <<-'PY'
	import json, sys
	lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
	n = int(sys.argv[2])
	e = json.loads(lines[n - 1 if n > 0 else n])
	v = eval(sys.argv[3])
	print(json.dumps(v) if not isinstance(v, str) else v)
	PY
}

test_expect_success 'set up: the trunk, pushed by alice under gitolite' '
	git clone -q "file://$SERVER" work 2>/dev/null &&
	(cd work && test_commit "initial import" src/app.c) &&
	push alice origin main &&
	test "$(ev -1 "e[\"pusher\"]")" = alice &&
	test "$(ev -1 "e[\"type\"]")" = push
'

test_expect_success 'the default order: REMOTE_USER before GL_USERNAME before GL_USER' '
	(cd work && test_commit "two" src/two.c) &&
	env REMOTE_USER=web GL_USERNAME=lab GL_USER=gito \
		git -C work push -q origin main 2>/dev/null &&
	test "$(ev -1 "e[\"pusher\"]")" = web &&
	(cd work && test_commit "three" src/three.c) &&
	env GL_USERNAME=lab GL_USER=gito GITEA_PUSHER_NAME=tea \
		git -C work push -q origin main 2>/dev/null &&
	test "$(ev -1 "e[\"pusher\"]")" = lab &&
	(cd work && test_commit "four" src/four.c) &&
	env GITEA_PUSHER_NAME=tea GITHUB_USER_LOGIN=octo \
		git -C work push -q origin main 2>/dev/null &&
	test "$(ev -1 "e[\"pusher\"]")" = tea
'

test_expect_success 'nothing set: the account the hook runs as' '
	(cd work && test_commit "five" src/five.c) &&
	git -C work push -q origin main 2>/dev/null &&
	test "$(ev -1 "e[\"pusher\"]")" = "$ME"
'

test_expect_success 'trunk.pusherEnv replaces the order, first non-empty wins' '
	git -C "$SERVER" config trunk.pusherEnv MY_SSO_USER &&
	git -C "$SERVER" config --add trunk.pusherEnv GL_USER &&
	(cd work && test_commit "six" src/six.c) &&
	env REMOTE_USER=mallory GL_USER=gito git -C work push -q origin main \
		2>/dev/null &&
	test "$(ev -1 "e[\"pusher\"]")" = gito &&
	(cd work && test_commit "seven" src/seven.c) &&
	env REMOTE_USER=mallory GL_USER=gito MY_SSO_USER=sso \
		git -C work push -q origin main 2>/dev/null &&
	test "$(ev -1 "e[\"pusher\"]")" = sso &&
	git -C "$SERVER" config --unset-all trunk.pusherEnv
'

test_expect_success 'under gitolite, lanes.holders = alice lets alice hold' '
	as alice -C work lanes hold code -m "checkout is down" >out &&
	test_grep "^code on origin: held by alice since" out
'

test_expect_success 'the hold is the server record: Held-By is the pusher' '
	git -C "$SERVER" log -1 --format=%B refs/lanes/holds/code >msg &&
	test_grep "^Held-By: alice$" msg &&
	test_grep "^Claimed-By: C O Mitter <committer@example.com>$" msg &&
	git -C work lanes status >status &&
	test_grep "^  code    held by alice since .*: checkout is down$" status
'

test_expect_success 'a hold commit claiming someone else shows the pusher' '
	GIT_COMMITTER_NAME=Mallory \
		as alice -C work lanes hold --force code -m "still down" >out &&
	test_grep "held by alice since" out &&
	git -C "$SERVER" log -1 --format=%B refs/lanes/holds/code >msg &&
	test_grep "^Held-By: alice$" msg &&
	test_grep "^Claimed-By: Mallory <committer@example.com>$" msg
'

test_expect_success 'the hold is an event: lane, reason, who, when' '
	test "$(ev -1 "e[\"type\"]")" = hold &&
	test "$(ev -1 "e[\"pusher\"]")" = alice &&
	test "$(ev -1 "e[\"lane\"]")" = code &&
	test "$(ev -1 "e[\"reason\"]")" = "still down" &&
	test "$(ev -1 "e[\"held_by\"]")" = alice &&
	test "$(ev -1 "e[\"hold\"]")" = "$(git -C "$SERVER" rev-parse refs/lanes/holds/code)" &&
	test "$(ev -2 "e[\"hold\"]")" = "$(ev -1 "e[\"replaces\"]")" &&
	ev -1 "e[\"since\"]" >since &&
	test_grep "^20[0-9-]*T[0-9:]*Z$" since
'

test_expect_success 'bob, not a holder, cannot hold under gitolite' '
	test_exit_code 1 as bob -C work lanes hold all -m "panic" 2>err &&
	test_grep "rejected: bob may not hold or release lanes (lanes.holders) \[not-a-holder\]" err
'

test_expect_success 'lanes.fixers: bob may not pass the hold with lanes.fix' '
	git -C "$SERVER" config lanes.fixers carol &&
	(cd work && test_commit "fix checkout" src/checkout.c) &&
	test_must_fail push bob -o lanes.fix origin main &&
	test_grep "^try: refs/heads/main: rejected: bob may not pass a hold with lanes.fix (lanes.fixers) \[fix-not-allowed\]$" actual &&
	test_grep "ask one of the lanes.fixers" actual
'

test_expect_success 'nor may alice, a holder but not a fixer' '
	test_must_fail push alice -o lanes.fix origin main &&
	test_grep "\[fix-not-allowed\]$" actual
'

test_expect_success 'carol may, and her push event names the hold it passed' '
	push carol -o lanes.fix origin main &&
	test_grep "passing the hold on code (lanes.fix): held by alice" actual &&
	test "$(ev -1 "e[\"type\"]")" = push &&
	test "$(ev -1 "e[\"fix\"]")" = true &&
	test "$(ev -1 "e[\"hold\"][\"lane\"]")" = code &&
	test "$(ev -1 "e[\"hold\"][\"held_by\"]")" = alice &&
	test "$(ev -1 "e[\"hold\"][\"id\"]")" = "$(git -C "$SERVER" rev-parse refs/lanes/holds/code)"
'

test_expect_success 'without lanes.fixers, lanes.holders may fix' '
	git -C "$SERVER" config --unset lanes.fixers &&
	(cd work && test_commit "fix again" src/checkout.c) &&
	test_must_fail push bob -o lanes.fix origin main &&
	test_grep "\[fix-not-allowed\]$" actual &&
	push alice -o lanes.fix origin main
'

test_expect_success 'the release is an event: who released whose hold' '
	held=$(git -C "$SERVER" rev-parse refs/lanes/holds/code) &&
	as alice -C work lanes release code >out &&
	test "$(ev -1 "e[\"type\"]")" = release &&
	test "$(ev -1 "e[\"pusher\"]")" = alice &&
	test "$(ev -1 "e[\"lane\"]")" = code &&
	test "$(ev -1 "e[\"hold\"]")" = "$held" &&
	test "$(ev -1 "e[\"held_by\"]")" = alice
'

test_expect_success 'in the bare repository the local user holds and releases' '
	git -C "$SERVER" config --unset lanes.holders &&
	git -C "$SERVER" lanes hold config -m "on the box" >out &&
	test_grep "^config: held by $ME since" out &&
	test "$(ev -1 "e[\"type\"]")" = hold &&
	test "$(ev -1 "e[\"pusher\"]")" = "$ME" &&
	test "$(ev -1 "e[\"held_by\"]")" = "$ME" &&
	git -C "$SERVER" lanes release config >out &&
	test "$(ev -1 "e[\"type\"]")" = release &&
	test "$(ev -1 "e[\"reason\"]")" = "on the box"
'

test_expect_success 'git lanes log shows holds, fixes and releases' '
	git -C "$SERVER" lanes log -n 6 >log &&
	test_grep " $ME released config: on the box (held by $ME since " log &&
	test_grep " $ME held config: on the box$" log &&
	test_grep " alice released code: still down (held by alice since" log &&
	test_grep "passing the hold on code (held by alice)$" log
'

test_expect_success 'hold events are spooled for webhooks in journal order' '
	port=$(free_port) &&
	git -C "$SERVER" config lanes.webhook "http://127.0.0.1:$port/hook" &&
	git -C "$SERVER" config lanes.webhookTimeout 1 &&
	as alice -C work lanes hold dark -m "flags down" >/dev/null 2>&1 &&
	as alice -C work lanes release dark >/dev/null 2>&1 &&
	dir=$(ls -d "$SERVER"/lanes/spool/*/) &&
	ls "$dir" | grep -v -e "^url$" -e lock | sort -n >files &&
	test "$(wc -l <files)" = 2 &&
	grep -c "\"type\":\"hold\"" "$dir/$(sed -n 1p files)" &&
	grep -c "\"type\":\"release\"" "$dir/$(sed -n 2p files)" &&
	git -C "$SERVER" config --unset lanes.webhook
'

test_expect_success 'an empty range is lane none, not dark' '
	server_repo empty.git &&
	git -C work push -q "$TRASH/empty.git" main~1:refs/tags/v1 2>/dev/null &&
	git -C work push "$TRASH/empty.git" main~1:refs/heads/main >out 2>&1 &&
	strip_remote out >actual &&
	test_grep "^try: refs/heads/main: accepted, nothing new$" actual &&
	python3 -c "import json; e = json.loads(open(\"$TRASH/empty.git/lanes/events.jsonl\").read().splitlines()[-1]); assert e[\"lane\"] == \"none\" and e[\"reason\"] == \"nothing new\" and e[\"count\"] == 0, e" &&
	(cd work && git lanes HEAD..HEAD --json >../none.json) &&
	grep "\"lane\": \"none\"" none.json
'

test_done
