#!/bin/sh
# lanes.config values mean what git's pathspecs mean (issue 14, item 7):
# every spelling of "the config folder" that `git diff-tree -- <value>`
# takes makes a "DARK flip" commit changing config/x a rejected push, and a
# value a glob cannot honour is refused with one line naming the key.  No
# value may silently match nothing (that would let the commit in as DARK).
. "$(dirname "$0")/lib.sh"

SERVER="$TRASH/server.git"

test_expect_success 'setup: a server and a clone with a config folder' '
	server_repo "$SERVER" &&
	git -C "$SERVER" config lanes.config "config/**" &&
	git clone -q "file://$SERVER" work 2>/dev/null &&
	(cd work && test_commit "initial import" src/app.c &&
	 test_commit "add config" config/x "a: 1") &&
	git -C work push -q origin HEAD:main 2>/dev/null &&
	(cd work && test_commit "DARK flip" config/x "a: 2")
'

# try_value <value>: push "DARK flip" with lanes.config=<value>; the push
# must be rejected and the trunk must not move.
try_value() {
	git -C "$SERVER" config lanes.config "$1" &&
	before=$(git -C "$SERVER" rev-parse main) &&
	test_must_fail git -C work push origin HEAD:main >push.out 2>&1 &&
	test "$(git -C "$SERVER" rev-parse main)" = "$before" &&
	try_lines push.out actual
}

for value in "./config/**" "./config" "config//**" "config/./x" "." \
	":(top)config" ":/config" "config" "config/"
do
	test_expect_success "git takes config/x for '$value'; the push is rejected" '
		git -C work diff-tree -r --name-only HEAD^ HEAD -- "$value" >paths &&
		echo config/x >expect &&
		test_cmp expect paths &&
		try_value "$value" &&
		test_grep "rejected: .*marked dark but changes config path ${SQ}config/x${SQ}" actual
	'
done

test_expect_success 'icase magic is refused with a line naming the key' '
	git -C work diff-tree -r --name-only HEAD^ HEAD -- ":(glob,icase)config/**" >paths &&
	echo config/x >expect &&
	test_cmp expect paths &&
	try_value ":(glob,icase)config/**" &&
	test_grep "lanes.config: ${SQ}:(glob,icase)config/\*\*${SQ}: icase magic is not supported" push.out
'

test_expect_success '/ names no path: git refuses it, so does the hook' '
	test_must_fail git -C work diff-tree -r --name-only HEAD^ HEAD -- / 2>err &&
	test_grep "outside repository" err &&
	try_value / &&
	test_grep "lanes.config: ${SQ}/${SQ} names no path inside the repository" push.out
'

test_expect_success 'git lanes refuses the same value with exit 128' '
	(cd work && test_exit_code 128 git -c lanes.config=":!config" lanes HEAD^..HEAD) >out 2>err &&
	test_grep "^git-lanes: lanes.config: ${SQ}:!config${SQ}: exclude magic is not supported" err &&
	test ! -s out
'

test_expect_success 'a normalised value still lets a plain config change in' '
	git -C "$SERVER" config lanes.config "./config//" &&
	(cd work && git reset -q --hard HEAD^ && test_commit "tune x" config/x "a: 3") &&
	git -C work push origin HEAD:main >push.out 2>&1 &&
	try_lines push.out actual &&
	test_grep "accepted, lane CONFIG" actual
'

test_done
