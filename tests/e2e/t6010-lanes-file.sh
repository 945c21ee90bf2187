#!/bin/sh
# The .lanes file: one lane policy committed with the code, read by the
# server from the trunk before the push and by clones from the trunk's
# remote-tracking branch; git config keeps the last word.
. "$(dirname "$0")/lib.sh"

SERVER="$TRASH/server.git"

server_repo "$SERVER" || {
	echo "not ok - could not set up the server"
	exit 1
}

# push <args>...: git push from ./work; the hook's lines in ./actual
push() {
	git -C work push "$@" >push.out 2>&1
	local rc=$?
	try_lines push.out actual
	return $rc
}

test_expect_success 'without .lanes a clone and the server may disagree' '
	git -C "$SERVER" config lanes.config "config/**" &&
	git clone -q "file://$SERVER" work 2>/dev/null &&
	(cd work && test_commit "initial import" src/app.c) &&
	push origin main &&
	(cd work && test_commit "turn on the flag" config/flag.yml) &&
	git -C work lanes >lanes &&
	test_grep "^CODE: " lanes &&
	push origin main &&
	test_grep "accepted, lane CONFIG" actual &&
	git -C "$SERVER" config --unset lanes.config
'

test_expect_success 'a commit that adds .lanes is CODE, even marked DARK' '
	printf "[lanes]\n\tconfig = config/**\n" >work/.lanes &&
	git -C work add .lanes &&
	git -C work commit -q -m "DARK share the lane policy" &&
	git -C work lanes >lanes &&
	test_grep "^CODE: " lanes &&
	push origin main &&
	test_grep "accepted, lane CODE (code changes), 1 commit$" actual
'

test_expect_success 'with .lanes on the trunk, clone and server agree' '
	(cd work && test_commit "flag off" config/flag.yml) &&
	git -C work lanes >lanes &&
	test_grep "^CONFIG: " lanes &&
	push origin main &&
	test_grep "accepted, lane CONFIG (only config changes)" actual
'

test_expect_success 'git lanes policy: every value and where it came from' '
	git -C work lanes policy >policy &&
	cat >expect <<-EOF &&
	refs/remotes/origin/main:.lanes	lanes.config=config/**
	default	lanes.darkPattern=^DARK\b
	default	lanes.strictDark=false
	default	trunk.allowMerges=false
	EOF
	test_cmp expect policy &&
	git -C "$SERVER" lanes policy >policy &&
	test_grep "^refs/heads/main:.lanes	lanes.config=config/\*\*$" policy
'

test_expect_success 'a push cannot change the rules it is judged by' '
	printf "[lanes]\n\tconfig = config/**\n\tconfig = src/**\n" >work/.lanes &&
	git -C work commit -q -a -m "src is config now" &&
	(cd work && test_commit "code" src/app.c) &&
	push origin main &&
	test_grep "accepted, lane CODE (code changes), 2 commits$" actual &&
	(cd work && test_commit "more code" src/app.c) &&
	push origin main &&
	test_grep "accepted, lane CONFIG" actual
'

test_expect_success 'git config has the last word for what it sets' '
	printf "[lanes]\n\tconfig = config/**\n[trunk]\n\tallowMerges = true\n" >work/.lanes &&
	git -C work commit -q -a -m "merges welcome" &&
	push origin main &&
	git -C "$SERVER" config trunk.allowMerges false &&
	git -C "$SERVER" lanes policy >policy &&
	test_grep "^git-config	trunk.allowMerges=false$" policy &&
	(cd work && git checkout -q -b side HEAD~1 && test_commit "side" src/side.c &&
	 git checkout -q main && git merge -q --no-ff -m "merge side" side) &&
	test_must_fail push origin main &&
	test_grep "trunk.allowMerges is false) \[merge\]$" actual &&
	git -C "$SERVER" config --unset trunk.allowMerges &&
	push origin main
'

test_expect_success 'an unparsable .lanes: the old policy holds, and it says why' '
	printf "[lanes]\n\tconfig = config/**\n\twebhook = http://evil/\n" >work/.lanes &&
	git -C work commit -q -a -m "break the policy" &&
	push origin main &&
	(cd work && test_commit "flag again" config/flag.yml) &&
	push origin main &&
	test_grep "^try: warning: refs/heads/main:.lanes ignored: .lanes line 3: unknown key ${SQ}lanes.webhook${SQ}; the policy of git config holds$" actual &&
	test_grep "accepted, lane CODE" actual &&
	test_exit_code 1 git -C work lanes policy >policy 2>err &&
	test "$(wc -l <err)" = 1 &&
	test_grep "^git-lanes: warning: refs/remotes/origin/main:.lanes ignored: .lanes line 3: unknown key" err
'

test_expect_success 'a binary or a huge .lanes is refused in one line' '
	printf "[lanes]\0\n" >work/.lanes &&
	git -C work commit -q -a -m "binary policy" &&
	push origin main &&
	test_exit_code 1 git -C "$SERVER" lanes policy >policy 2>err &&
	test_grep "is binary (a NUL byte)" err &&
	head -c 10485760 /dev/zero | tr "\0" "#" >work/.lanes &&
	git -C work commit -q -a -m "huge policy" &&
	push origin main &&
	test_exit_code 1 git -C "$SERVER" lanes policy >policy 2>err &&
	test "$(wc -l <err)" = 1 &&
	test_grep ".lanes is 10485760 bytes, more than the 65536" err
'

test_done
