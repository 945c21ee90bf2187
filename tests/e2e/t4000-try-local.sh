#!/bin/bash
# git try with the local backend: a temporary worktree at the base, the patch
# applied there, the command run, the worktree removed, also on Ctrl-C; the
# user's working copy, index, stash and refs untouched; options and exit
# codes.
. "$(dirname "$0")/lib.sh"

export TMPDIR="$TRASH/tmp"
O="$TRASH/o"
mkdir -p "$TMPDIR" "$O"

# A project with a server and a clone whose origin/main is the base.
git init -q --bare server.git
git clone -q server.git work 2>/dev/null
cd work || exit 1
cat >Makefile <<'EOF'
check:
	@sh ./check.sh
EOF
printf 'set -e\ntest "$(cat a)" = one\necho checked\n' >check.sh
echo one >a
echo keep >kept
git add . && git commit -q -m base && git push -q origin main
BASE=$(git rev-parse HEAD)
test_commit local-only local.t
# the user's state: a stash entry, staged and unstaged changes, an
# untracked and an ignored file
echo stashed >>kept && git stash -q
echo '*.log' >.git/info/exclude
echo noise >debug.log
echo untracked >new.t

# snapshot <file>: everything git try must not change
snapshot() {
	{
		sha1sum .git/index
		git for-each-ref --format='%(refname) %(objectname)'
		git stash list --format='%H %gs'
		git worktree list --porcelain
		ls -a "$TMPDIR"
		find . -path ./.git -prune -o -type f -print0 | sort -z |
			xargs -0 sha1sum
		git --no-optional-locks status --porcelain=v1 \
			--untracked-files=all --ignored
	} >"$1"
}

no_worktrees_left() {
	git worktree list >"$O/wt" &&
	test "$(wc -l <"$O/wt")" = 1 &&
	test ! -d .git/worktrees &&
	test -z "$(ls "$TMPDIR")"
}

test_expect_success 'a passing change exits 0 and streams the output' '
	echo two >a && git add a && echo one >a &&
	snapshot "$O/before" &&
	git try --command "sh ./check.sh" >"$O/out" 2>"$O/err" &&
	snapshot "$O/after" && test_cmp "$O/before" "$O/after" &&
	test_grep "^checked$" "$O/out" &&
	test_grep "^local: passed$" "$O/out" &&
	test_grep "git-try: 1 file against ${BASE:0:12}" "$O/err" &&
	test_grep "running .sh ./check.sh. in $TMPDIR/git-try-" "$O/err" &&
	no_worktrees_left &&
	git reset -q && git checkout -q a
'

test_expect_success 'the default command is make check, run at the base' '
	git try >"$O/out" 2>"$O/err" &&
	test_grep "^checked$" "$O/out" &&
	test_grep "running .make check." "$O/err" &&
	no_worktrees_left
'

test_expect_success 'a failing change exits 1 and says how the command ended' '
	echo wrong >a &&
	snapshot "$O/before" &&
	test_exit_code 1 git try >"$O/out" 2>"$O/err" &&
	snapshot "$O/after" && test_cmp "$O/before" "$O/after" &&
	test_grep "^local: failed (.make check. exited with 2)$" "$O/out" &&
	no_worktrees_left &&
	git checkout -q a
'

test_expect_success 'try.command and the environment of the command' '
	git config try.command "echo base=\$TRY_BASE id=\$TRY_ID; git rev-parse HEAD; git status --porcelain; exit 3" &&
	echo change >>kept &&
	test_exit_code 1 git try >"$O/out" 2>"$O/err" &&
	test_grep "^base=$BASE id=try-[0-9]*-[0-9a-f]*$" "$O/out" &&
	test_grep "^$BASE$" "$O/out" &&
	test_grep "^M  kept$" "$O/out" &&
	test_grep "exited with 3" "$O/out" &&
	git config --unset try.command &&
	git checkout -q kept
'

test_expect_success 'the worktree holds the base, unpushed commits and the changes' '
	echo change >>kept &&
	git try --command "test -e local.t && test ! -e new.t && test ! -e debug.log && test \"\$(cat kept)\" = \"keep
change\"" >"$O/out" 2>&1 &&
	git try --untracked --command "test \"\$(cat new.t)\" = untracked && test ! -e debug.log" >"$O/out" 2>&1 &&
	git checkout -q kept
'

test_expect_success 'nothing to try is refused, --allow-empty runs anyway' '
	head=$(git rev-parse --short=12 HEAD) &&
	test_exit_code 128 git try --base HEAD >"$O/out" 2>"$O/err" &&
	test_grep "nothing to try: no changes against $head; new files need --untracked or .git add. (--allow-empty tries the base as it is)" "$O/err" &&
	test_exit_code 128 git try --json --base HEAD >"$O/out" 2>"$O/err" &&
	/usr/bin/python3 - "$O/out" <<-\EOF &&
	import json, sys
	r = json.load(open(sys.argv[1]))
	assert r["result"] == "error" and r["exit_code"] == 128, r
	assert r["error"].startswith("nothing to try"), r
	assert r["backend"] == "local" and r["jobs"] == [], r
	EOF
	(cd "$TRASH" && test_exit_code 128 git try --json >"$O/out" 2>"$O/err") &&
	grep -q "\"error\":\"not a git repository" "$O/out" &&
	git try --base HEAD --allow-empty --command true >"$O/out" 2>"$O/err" &&
	test_grep "^local: passed$" "$O/out" &&
	test_grep "0 files against $head (HEAD)" "$O/err"
'

test_expect_success 'git try -- <paths> sends only those paths' '
	echo change >>kept && echo two >a &&
	git try --dry-run -- kept >"$O/patch" 2>"$O/err" &&
	test_grep "^diff --git a/kept b/kept$" "$O/patch" &&
	test_grep ! "^diff --git a/a" "$O/patch" &&
	git try --command "test \"\$(cat a)\" = one" -- kept >"$O/out" 2>&1 &&
	git checkout -q kept a
'

test_expect_success '--staged sends the index only' '
	echo staged >>kept && git add kept && echo unstaged >>kept &&
	git try --staged --dry-run >"$O/patch" 2>"$O/err" &&
	test_grep "^+staged$" "$O/patch" &&
	test_grep ! "unstaged" "$O/patch" &&
	git try --staged --command "test \"\$(tail -n 1 kept)\" = staged" \
		>"$O/out" 2>&1 &&
	git reset -q && git checkout -q kept
'

test_expect_success '--json prints one object; the command output goes to stderr' '
	echo two >a &&
	git try --json --command "echo to-stdout" >"$O/out" 2>"$O/err" &&
	test_grep "to-stdout" "$O/err" &&
	test "$(wc -l <"$O/out")" = 1 &&
	/usr/bin/python3 - "$O/out" "$BASE" <<-\EOF &&
	import json, sys
	r = json.load(open(sys.argv[1]))
	assert r["result"] == "passed", r
	assert r["exit_code"] == 0, r
	assert r["backend"] == "local", r
	assert r["base"] == sys.argv[2], r
	assert r["branch"] == "main", r
	# a (changed) and local.t (the unpushed commit)
	assert r["files"] == 2, r
	assert r["jobs"] == [{"name": "local", "state": "passed",
	                      "url": None, "detail": None}], r
	EOF
	test_exit_code 1 git try --json --command false >"$O/out" 2>"$O/err" &&
	grep -q "\"result\":\"failed\"" "$O/out" &&
	git checkout -q a
'

test_expect_success '--dry-run prints the patch and runs nothing' '
	echo two >a &&
	snapshot "$O/before" &&
	git try --dry-run --command "touch $TRASH/ran" >"$O/patch" 2>"$O/err" &&
	snapshot "$O/after" && test_cmp "$O/before" "$O/after" &&
	test ! -e "$TRASH/ran" &&
	test_grep "^diff --git a/a b/a$" "$O/patch" &&
	test_grep "^index [0-9a-f]\{40\}\.\.[0-9a-f]\{40\} 100644$" "$O/patch" &&
	test_grep "dry run, nothing is sent" "$O/err" &&
	test_grep "^base:     $BASE (merge-base of HEAD and origin/main)$" "$O/err" &&
	test_grep "^command:  touch" "$O/err" &&
	git checkout -q a
'

test_expect_success 'a patch that does not apply exits 2' '
	# git makes patches that apply to their base; what can still break
	# it is a hook that changes the fresh worktree
	mkdir -p .git/hooks &&
	printf "#!/bin/sh\necho hook >>a\n" >.git/hooks/post-checkout &&
	chmod +x .git/hooks/post-checkout &&
	echo two >a &&
	test_exit_code 2 git try --command "touch $TRASH/ran" >"$O/out" 2>"$O/err" &&
	rm .git/hooks/post-checkout &&
	test ! -e "$TRASH/ran" &&
	test_grep "^local: patch did not apply (error: a: does not match index)$" "$O/out" &&
	no_worktrees_left &&
	git checkout -q a
'

test_expect_success 'Ctrl-C stops the command and removes the worktree' '
	echo two >a &&
	snapshot "$O/before" &&
	rm -f "$TRASH/started" &&
	{
		git-try --command "echo \$\$ >\"$TRASH/started\"; exec sleep 30" \
			>"$O/out" 2>"$O/err" &
	} &&
	pid=$! &&
	for i in $(seq 100); do
		test -s "$TRASH/started" && break
		sleep 0.1
	done &&
	test -s "$TRASH/started" &&
	kill -INT $pid &&
	test_exit_code 130 wait $pid &&
	test_grep "interrupted; the temporary worktree is removed" "$O/err" &&
	! kill -0 "$(cat "$TRASH/started")" 2>/dev/null &&
	no_worktrees_left &&
	snapshot "$O/after" && test_cmp "$O/before" "$O/after" &&
	git checkout -q a
'

test_expect_success 'Ctrl-C during the checkout cleans up too' '
	echo two >a &&
	{ git-try --command true >"$O/out" 2>"$O/err" & } &&
	pid=$! &&
	kill -INT $pid &&
	{ wait $pid; rc=$?; } &&
	test $rc = 130 -o $rc = 0 &&
	no_worktrees_left &&
	git checkout -q a
'

test_expect_success 'a command that ignores SIGINT is killed after the grace period' '
	echo two >a &&
	rm -f "$TRASH/started" &&
	{
		git-try --command "trap \"\" INT; echo \$\$ >\"$TRASH/started\"; for i in \$(seq 300); do sleep 0.1; done" \
			>"$O/out" 2>"$O/err" &
	} &&
	pid=$! &&
	for i in $(seq 100); do
		test -s "$TRASH/started" && break
		sleep 0.1
	done &&
	kill -INT $pid &&
	test_exit_code 130 wait $pid &&
	! kill -0 "$(cat "$TRASH/started")" 2>/dev/null &&
	no_worktrees_left &&
	git checkout -q a
'

test_expect_success 'usage errors exit 129, --help 0' '
	test_exit_code 129 git try --frobnicate 2>"$O/err" &&
	test_grep "unknown option .--frobnicate." "$O/err" &&
	test_exit_code 129 git try --base 2>"$O/err" &&
	test_exit_code 129 git try --staged --untracked 2>"$O/err" &&
	test_grep "do not mix" "$O/err" &&
	test_exit_code 129 git try --no-wait 2>"$O/err" &&
	test_grep "needs a CI backend" "$O/err" &&
	test_exit_code 129 git try --backend nonsense 2>"$O/err" &&
	test_grep "unknown backend .nonsense." "$O/err" &&
	git try -h >"$O/out" &&
	test_grep "^usage: git try" "$O/out" &&
	test_grep "exit codes: 0 passed, 1 tests failed, 2 the patch did not apply" "$O/out"
'

test_expect_success 'errors exit 128 with a message' '
	(cd "$TRASH" && test_exit_code 128 git try 2>"$TRASH/err") &&
	test_grep "not a git repository" "$TRASH/err" &&
	test_exit_code 128 git try --base no-such-rev 2>"$O/err" &&
	test_grep "bad revision .no-such-rev." "$O/err" &&
	git config try.remote upstream &&
	test_exit_code 128 git try 2>"$O/err" &&
	test_grep "no remote-tracking branch .upstream/main." "$O/err" &&
	git config --unset try.remote &&
	git config try.pollInterval soon &&
	test_exit_code 128 git try 2>"$O/err" &&
	test_grep "try.pollInterval" "$O/err" &&
	git config --unset try.pollInterval
'

test_expect_success 'a CI backend refuses a base the remote does not have' '
	echo two >a &&
	test_exit_code 128 git try --backend buildbot --base HEAD 2>"$O/err" &&
	test_grep "base $(git rev-parse --short=12 HEAD) is not on remote .origin." "$O/err" &&
	test_grep "push it first, or run .git fetch origin." "$O/err" &&
	git checkout -q a
'

test_expect_success 'the local backend takes a base of its own' '
	echo two >a &&
	git try --base HEAD --command "test -e local.t" >"$O/out" 2>&1 &&
	git checkout -q a
'

test_expect_success 'git try from a pre-commit hook leaves the index git is committing alone' '
	# git sets GIT_INDEX_FILE for hooks; git worktree add must not check
	# the base out into it (found in review: the commit lost its change)
	git clone -q "$TRASH/server.git" hooked 2>/dev/null &&
	(cd hooked &&
	 printf "#!/bin/sh\ngit try --backend local --command true >\"\$HOOKLOG\" 2>&1\necho rc=\$? >>\"\$HOOKLOG\"\n" \
		>.git/hooks/pre-commit &&
	 chmod +x .git/hooks/pre-commit &&
	 echo two >a &&
	 HOOKLOG="$O/hook.log" git commit -q -a -m "change a" &&
	 test "$(git show HEAD:a)" = two &&
	 test "$(git diff --name-only HEAD~1 HEAD)" = a &&
	 echo three >a && git add a &&
	 HOOKLOG="$O/hook2.log" git commit -q -m "change a again" &&
	 test "$(git show HEAD:a)" = three) &&
	test_grep "rc=0" "$O/hook.log" &&
	test_grep "local: passed" "$O/hook.log" &&
	test_grep "rc=0" "$O/hook2.log" &&
	test -z "$(ls "$TMPDIR")"
'

test_expect_success 'Ctrl-C while the patch is made: 130, no temporary index left' '
	mkdir -p "$TRASH/slowgit" &&
	printf "#!/bin/sh\ncase \"\$1\" in ls-files) sleep 3;; esac\nexec /usr/bin/git \"\$@\"\n" \
		>"$TRASH/slowgit/git" &&
	chmod +x "$TRASH/slowgit/git" &&
	(
		set -m
		PATH="$TRASH/slowgit:$PATH" git-try --untracked --backend local \
			--command true >"$O/int.out" 2>"$O/int.err" &
		pid=$!
		sleep 1
		kill -INT -$pid
		wait $pid
		echo $? >"$O/int.rc"
	) &&
	test "$(cat "$O/int.rc")" = 130 &&
	test_grep "interrupted" "$O/int.err" &&
	test -z "$(ls "$TMPDIR")"
'

test_done
