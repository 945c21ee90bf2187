#!/bin/sh
# pre-commit and post-commit answer without libgit2 in the common setups
# (libtry/gitfast.c) and fall back to it otherwise, with the same messages
# either way: a linked worktree, git commit -a and git commit <paths>,
# trunk.branch in the global configuration, an [include].
. "$(dirname "$0")/lib.sh"

# hook_lines <file>: our pre-commit's lines of a git command's output
hook_lines() {
	grep -E '^pre-commit:' "$1" >actual || :
}

# age_read_index <trace> <expected-status>: every age measure in the
# TRY_TRACE file read the index itself (libtry/age.c) and none handed over
# to git status; a commit that passes the hook measured at least once.
age_read_index() {
	if [ "$2" != 0 ] && ! [ -f "$1" ]; then return 0; fi
	grep -q "^trace: age: scan=index " "$1" &&
	! grep "^trace: age: scan=git-status" "$1" && return 0
	echo "not the index reader:" >&2
	cat "$1" >&2
	return 1
}

# commit_both <dir> <expected-status> <git commit args>...: commits twice,
# the second time with the libgit2 path forced (GIT_CEILING_DIRECTORIES
# makes the fast path give up; libgit2 opens the repository as before), and
# leaves the hook lines of the first in `actual` and of the second in
# `actual.lib`.  Both must agree and exit as expected, and the age measure
# of both must read the index itself.
commit_both() {
	local dir=$1 want=$2 rc
	shift 2
	rm -f "$TRASH/age.trace"
	(cd "$dir" && TRY_TRACE="$TRASH/age.trace" git commit "$@" >../out 2>&1); rc=$?
	test "$rc" = "$want" || { echo "exit $rc, wanted $want" >&2; cat out >&2; return 1; }
	age_read_index "$TRASH/age.trace" "$want" || return 1
	hook_lines out && mv actual actual.fast &&
	if [ "$want" = 0 ]; then git -C "$dir" reset -q --soft HEAD^; fi &&
	rm -f "$TRASH/age.trace" &&
	(cd "$dir" && GIT_CEILING_DIRECTORIES=/nonexistent \
		TRY_TRACE="$TRASH/age.trace" git commit "$@" >../out 2>&1); rc=$?
	test "$rc" = "$want" || { echo "libgit2 path: exit $rc" >&2; return 1; }
	age_read_index "$TRASH/age.trace" "$want" || return 1
	hook_lines out && mv actual actual.lib && mv actual.fast actual &&
	test_cmp actual actual.lib
}

# no_libgit2 <cmd>...: runs the command under strace (when there is one)
# and fails if it started libgit2, which reads the CA bundle in
# git_libgit2_init() (Debian's libgit2 1.5 with mbedTLS).  LeakSanitizer
# cannot run under ptrace: leaks are checked by every other run.
no_libgit2() {
	command -v strace >/dev/null || { "$@"; return; }
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -qq -e trace=openat -o "$TRASH/trace" "$@" || return 1
	if grep "ssl/certs" "$TRASH/trace"; then
		echo "libgit2 was started: $*" >&2
		return 1
	fi
}

test_expect_success 'setup: a clone with the client hooks and a worktree' '
	server_repo server.git &&
	git clone -q server.git dev 2>/dev/null &&
	(cd dev && test_commit init src/a.c && git push -q origin main 2>/dev/null &&
	 git trunk install >/dev/null &&
	 git worktree add -q ../wt -b wt-topic 2>/dev/null)
'

# The first measure after HEAD moved reads HEAD's tree through libgit2 and
# caches its id (age.c); the runs after it are the common no-op.
test_expect_success 'no-op pre-commit and post-commit run without libgit2' '
	(cd dev && .git/hooks/pre-commit &&
	 TRY_TRACE="$TRASH/age.trace" no_libgit2 .git/hooks/pre-commit 2>../out &&
	 no_libgit2 .git/hooks/post-commit 2>>../out) &&
	test ! -s out &&
	test_grep "^trace: age: scan=index libgit2=no " age.trace &&
	(cd wt && GIT_DIR="$(git rev-parse --absolute-git-dir)" &&
	 export GIT_DIR && "$GIT_DIR/../../hooks/pre-commit" 2>/dev/null &&
	 no_libgit2 "$GIT_DIR/../../hooks/pre-commit" 2>../out &&
	 no_libgit2 "$GIT_DIR/../../hooks/post-commit" 2>>../out) &&
	test_grep "pre-commit: committing on branch ${SQ}wt-topic${SQ}" out
'

test_expect_success 'pre-commit on the trunk with staged work: silent' '
	(cd dev && echo b >src/b.c && git add src) &&
	commit_both dev 0 -m "on main" &&
	test ! -s actual
'

test_expect_success 'pre-commit in a linked worktree ($GIT_DIR set by git)' '
	(cd wt && echo w >src/w.c && git add src) &&
	commit_both wt 0 -m "in a worktree" &&
	test_grep "pre-commit: committing on branch ${SQ}wt-topic${SQ}, not on the trunk ${SQ}main${SQ}" actual
'

test_expect_success 'pre-commit with git commit -a and git commit <paths> ($GIT_INDEX_FILE)' '
	(cd dev && echo old >src/a.c && touch -d "100 minutes ago" src/a.c) &&
	commit_both dev 0 -a -m "commit -a" &&
	test_grep "pre-commit: uncommitted work has waited 1h4[0-9]m (alarmed)" actual &&
	(cd dev && echo older >src/a.c && touch -d "100 minutes ago" src/a.c) &&
	commit_both dev 0 -m "commit paths" -- src/a.c &&
	test_grep "pre-commit: uncommitted work has waited 1h4[0-9]m (alarmed)" actual
'

test_expect_success 'trunk.branch and trunk.localBranches in the global config' '
	git config --global trunk.branch refs/heads/develop &&
	git config --global trunk.localBranches deny &&
	(cd dev && echo c >src/c.c && git add src) &&
	commit_both dev 1 -m "refused" &&
	test_grep "pre-commit: refused: committing on branch ${SQ}main${SQ}, not on the trunk ${SQ}develop${SQ}" actual &&
	git -C dev config trunk.localBranches allow &&
	commit_both dev 0 -m "allowed" &&
	test ! -s actual &&
	git -C dev config --unset trunk.localBranches
'

test_expect_success 'an [include]: the libgit2 path, the same messages' '
	git config --global --unset trunk.localBranches &&
	git config --global --unset trunk.branch &&
	printf "[trunk]\n\tbranch = develop\n" >"$HOME/trunk.inc" &&
	git config --global include.path "$HOME/trunk.inc" &&
	(cd dev && echo i >src/i.c && git add src && git commit -q -m "with include" 2>../out.inc) &&
	hook_lines out.inc &&
	test_grep "pre-commit: committing on branch ${SQ}main${SQ}, not on the trunk ${SQ}develop${SQ}" actual &&
	git config --global --unset include.path &&
	git config --global trunk.branch develop &&
	(cd dev && echo d >src/d.c && git add src && git commit -q -m "direct" 2>../out) &&
	hook_lines out && mv actual actual.direct &&
	hook_lines out.inc && test_cmp actual.direct actual &&
	git config --global --unset trunk.branch
'

test_expect_success 'invalid settings: the libgit2 path gives the error' '
	git -C dev config trunk.localBranches sometimes &&
	(cd dev && echo e >src/e.c && git add src) &&
	commit_both dev 1 -m "bad" &&
	echo "pre-commit: trunk.localBranches: ${SQ}sometimes${SQ} is not warn, deny or allow" >expect &&
	test_cmp expect actual &&
	git -C dev config --unset trunk.localBranches &&
	git -C dev config trunk.branch "bad..name" &&
	commit_both dev 1 -m "bad" &&
	echo "pre-commit: trunk.branch: invalid branch name ${SQ}bad..name${SQ}" >expect &&
	test_cmp expect actual &&
	git -C dev config trunk.timeout 0 &&
	git -C dev config --unset trunk.branch &&
	commit_both dev 1 -m "bad" &&
	test_grep "trunk.timeout" actual &&
	git -C dev config --unset trunk.timeout
'

test_expect_success 'post-commit clears the state in a linked worktree' '
	(cd wt && echo x >src/dirty.c && git commit-age --check; :) &&
	state="$(git -C wt rev-parse --path-format=absolute --git-path try/dirty-since)" &&
	test -f "$state" &&
	case "$state" in */worktrees/wt/*) ;; *) false ;; esac &&
	(cd wt && git add src/dirty.c && git commit -q -m "dirty one" 2>/dev/null) &&
	test ! -e "$state"
'

test_expect_success 'post-commit through the libgit2 path clears it too' '
	(cd dev && echo y >src/dirty2.c && git commit-age --check; :) &&
	state="$(git -C dev rev-parse --path-format=absolute --git-path try/dirty-since)" &&
	test -f "$state" &&
	(cd dev && git add src/dirty2.c &&
	 GIT_CEILING_DIRECTORIES=/nonexistent git commit -q -m "dirty two" 2>/dev/null) &&
	test ! -e "$state"
'

test_done
