#!/bin/bash
# A git try killed with SIGKILL leaves its temporary worktree behind (issue
# 14 item 11): the next git try removes it, after checking by its marker and
# pid that no running try owns it, and says so; otherwise it says nothing.
. "$(dirname "$0")/lib.sh"

export TMPDIR="$TRASH/tmp"
O="$TRASH/o"
mkdir -p "$TMPDIR" "$O"

git init -q --bare server.git
git clone -q server.git work 2>/dev/null
cd work || exit 1
echo one >a
git add . && git commit -q -m base && git push -q origin main
git config try.command "cat a"

# start_try <name>: a try whose command writes its pid to $O/<name>.pid and
# sleeps; waits until the command runs, prints git-try's pid
start_try() {
	git-try --command "echo \$\$ >$O/$1.pid; exec sleep 60" \
		>"$O/$1.out" 2>"$O/$1.err" &
	echo $! >"$O/$1.try"
	for i in $(seq 200); do
		test -s "$O/$1.pid" && return 0
		sleep 0.05
	done
	return 1
}

test_expect_success 'a SIGKILLed try leaves its worktree; the next try removes it' '
	echo two >a &&
	start_try killed &&
	kill -9 $(cat "$O/killed.try") &&
	kill $(cat "$O/killed.pid") &&
	left=$(ls -d "$TMPDIR"/git-try-*) &&
	test -d "$left" &&
	test "$(git worktree list | wc -l)" = 2 &&
	git try >"$O/out" 2>"$O/err" &&
	test_grep "^git-try: removed the worktree of a try that was killed: .*/git-try-" "$O/err" &&
	test ! -e "$left" &&
	test "$(git worktree list | wc -l)" = 1 &&
	test -z "$(ls "$TMPDIR")" &&
	git try >"$O/out" 2>"$O/err" &&
	! grep -q "removed" "$O/err"
'

test_expect_success 'the worktree of a try still running is left alone' '
	start_try running &&
	git try >"$O/out" 2>"$O/err" &&
	! grep -q "removed" "$O/err" &&
	test "$(git worktree list | wc -l)" = 2 &&
	kill -INT $(cat "$O/running.try") &&
	{ wait $(cat "$O/running.try") || :; } &&
	test "$(git worktree list | wc -l)" = 1 &&
	test -z "$(ls "$TMPDIR")"
'

test_expect_success 'a marker naming another folder removes nothing' '
	mkdir -p "$TRASH/precious" &&
	echo 999999 "$TRASH/precious" >.git/try/local/git-try-AAAAAA &&
	git try >"$O/out" 2>"$O/err" &&
	test -d "$TRASH/precious" &&
	! grep -q "removed" "$O/err" &&
	test ! -e .git/try/local/git-try-AAAAAA
'

test_done
