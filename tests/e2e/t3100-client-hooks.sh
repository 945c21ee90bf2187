#!/bin/sh
# Client hooks through real `git commit` and `git push`: pre-commit on other
# branches, commit-msg's DARK marker and lane, pre-push's trunk rules before
# the network, TRY_HOOKS=0 and --no-verify; the installer's chaining,
# restore, idempotence, core.hooksPath and a linked worktree.
. "$(dirname "$0")/lib.sh"

# hook_lines <file>: lines of our client hooks from a git command's output
hook_lines() {
	grep -E '^(pre-commit|commit-msg|pre-push):' "$1" >actual || :
}

test_expect_success 'setup: a server with the hook and a developer clone' '
	server_repo server.git &&
	git -C server.git config --add lanes.config "config/**" &&
	git clone -q server.git dev 2>/dev/null &&
	git -C dev config --add lanes.config "config/**" &&
	(cd dev && test_commit init src/a.c && git push -q origin main 2>/dev/null)
'

test_expect_success 'git trunk install puts four shims in the hooks folder' '
	(cd dev && git trunk install >../out) &&
	for h in pre-commit commit-msg pre-push post-commit; do
		test -x dev/.git/hooks/$h &&
		grep -q "try-hook-shim" dev/.git/hooks/$h || return 1
	done &&
	test_grep "installed pre-commit" out
'

test_expect_success 'a second install changes nothing' '
	sha1sum dev/.git/hooks/* >before &&
	(cd dev && git trunk install >../out) &&
	sha1sum dev/.git/hooks/* >after &&
	test_cmp before after &&
	test_grep "pre-push: already installed, nothing changed" out
'

test_expect_success 'commit-msg names the lane of a CONFIG commit' '
	(cd dev && mkdir -p config && echo on >config/flag &&
	 git add config && git commit -m "turn flag on" >../out 2>&1) &&
	hook_lines out &&
	echo "commit-msg: this commit takes the CONFIG lane (only config paths (under ${SQ}config/${SQ}))" >expect &&
	test_cmp expect actual
'

test_expect_success 'commit-msg: a DARK commit' '
	(cd dev && echo x >src/b.c && git add src &&
	 git commit -m "DARK parser" >../out 2>&1) &&
	hook_lines out &&
	echo "commit-msg: this commit takes the DARK lane (marked dark, no config path)" >expect &&
	test_cmp expect actual
'

test_expect_success 'commit-msg: near misses get the exact form' '
	(cd dev && echo y >src/c.c && git add src &&
	 git commit -m "[Dark] lexer" >../out 2>&1) &&
	hook_lines out &&
	test_grep "looks like a DARK marker" actual &&
	test_grep "write the subject as: DARK lexer" actual &&
	test "$(git -C dev log -1 --format=%s)" = "[Dark] lexer"
'

test_expect_success 'commit-msg: near misses rejected with lanes.strictDark' '
	git -C dev config lanes.strictDark true &&
	(cd dev && echo z >src/d.c && git add src &&
	 test_must_fail git commit -m "dark: lexer 2" >../out 2>&1) &&
	test_grep "rejected (lanes.strictDark is true)" out &&
	test "$(git -C dev log -1 --format=%s)" = "[Dark] lexer" &&
	git -C dev config --unset lanes.strictDark &&
	git -C dev reset -q
'

test_expect_success 'commit-msg: DARK and a flag flip in one commit is refused' '
	(cd dev && echo w >src/d.c && echo off >config/flag && git add src config &&
	 test_must_fail git commit -m "DARK lexer with flag" >../out 2>&1) &&
	test_grep "marked dark but changes config path ${SQ}config/flag${SQ}" out &&
	test "$(git -C dev log -1 --format=%s)" = "[Dark] lexer" &&
	test_must_fail git -C dev diff --cached --quiet -- src/d.c config/flag
'

test_expect_success 'commit-msg sees the index of git commit -a' '
	(cd dev && git reset -q && git checkout -q -- config src &&
	 echo on2 >config/flag &&
	 git commit -a -m "flag again" >../out 2>&1) &&
	hook_lines out &&
	test_grep "takes the CONFIG lane" actual
'

test_expect_success '--no-verify skips the hooks, TRY_HOOKS=0 turns them off' '
	(cd dev && echo v >src/e.c && git add src &&
	 git commit --no-verify -m "quiet one" >../out 2>&1) &&
	hook_lines out && test ! -s actual &&
	(cd dev && echo v2 >src/e.c && git add src &&
	 TRY_HOOKS=0 git commit -m "quiet two" >../out 2>&1) &&
	hook_lines out && test ! -s actual
'

test_expect_success 'pre-commit warns on another branch by default' '
	(cd dev && git switch -q -c topic && echo t >src/t.c && git add src &&
	 git commit -m "on a topic" >../out 2>&1) &&
	test_grep "pre-commit: committing on branch ${SQ}topic${SQ}, not on the trunk ${SQ}main${SQ}" out &&
	test "$(git -C dev log -1 --format=%s)" = "on a topic"
'

test_expect_success 'pre-commit refuses with trunk.localBranches=deny' '
	git -C dev config trunk.localBranches deny &&
	(cd dev && echo t2 >src/t.c && git add src &&
	 test_must_fail git commit -m "refused" >../out 2>&1) &&
	test_grep "pre-commit: refused: committing on branch" out &&
	test "$(git -C dev log -1 --format=%s)" = "on a topic" &&
	git -C dev config trunk.localBranches allow &&
	(cd dev && git commit -m "allowed" >../out 2>&1) &&
	test_grep ! "pre-commit:" out &&
	git -C dev config --unset trunk.localBranches
'

test_expect_success 'pre-commit honours git -c' '
	(cd dev && echo t4 >src/t.c && git add src &&
	 test_must_fail git -c trunk.localBranches=deny commit -m "refused by -c" >../out 2>&1) &&
	test_grep "pre-commit: refused: committing on branch" out &&
	git -C dev reset -q --hard
'

test_expect_success 'pre-commit: a bad setting is an error that names the key' '
	git -C dev config trunk.localBranches sometimes &&
	(cd dev && echo t3 >src/t.c && git add src &&
	 test_must_fail git commit -m "bad" >../out 2>&1) &&
	test_grep "trunk.localBranches" out &&
	git -C dev config --unset trunk.localBranches && git -C dev reset -q --hard
'

test_expect_success 'pre-commit tells how long work has waited, post-commit restarts the clock' '
	(cd dev && git switch -q main && echo old >src/old.c &&
	 touch -d "100 minutes ago" src/old.c && git add src/old.c &&
	 git commit -m "old work" >../out 2>&1) &&
	test_grep "pre-commit: uncommitted work has waited 1h4[0-9]m (alarmed)" out &&
	test "$(git -C dev log -1 --format=%s)" = "old work" &&
	test ! -e "$(git -C dev rev-parse --git-path try/dirty-since)" &&
	(cd dev && echo new >src/new.c && git add src/new.c &&
	 git commit -m "fresh work" >../out 2>&1) &&
	test_grep ! "pre-commit: uncommitted work" out
'

test_expect_success 'post-commit forgets the dirty-since time' '
	(cd dev && echo x >src/dirty.c && git commit-age --check; :) &&
	state="$(git -C dev rev-parse --git-path try/dirty-since)" &&
	test -f "dev/$state" -o -f "$state" &&
	(cd dev && git add src/dirty.c && git commit -q -m "dirty one" 2>/dev/null) &&
	test ! -e "dev/$state" && test ! -e "$state"
'

test_expect_success 'pre-push rejects a feature branch before the network' '
	(cd dev && git switch -q topic && test_must_fail git push origin topic >../out 2>&1) &&
	test_grep "pre-push: refs/heads/topic: rejected: trunk-only" out &&
	test_grep "error: failed to push" out &&
	test_grep ! "remote:" out &&
	test_must_fail git -C server.git rev-parse --verify -q refs/heads/topic
'

test_expect_success 'pre-push shows the lanes of an accepted push, as the server does' '
	(cd dev && git switch -q main && git push origin main >../out 2>&1) &&
	grep "^pre-push:" out | sed "s/^pre-push: //" >client &&
	strip_remote out | grep "^try:" | sed "s/^try: //" >server &&
	test_cmp server client &&
	test_grep "accepted, lane CODE" client
'

test_expect_success 'pre-push rejects a force push' '
	(cd dev && git commit -q --amend -m "rewritten" --no-verify &&
	 test_must_fail git push -f origin main >../out 2>&1) &&
	test_grep "pre-push: refs/heads/main: rejected: non-fast-forward" out &&
	git -C dev reset -q --hard origin/main
'

test_expect_success 'pre-push: remote ahead with commits we lack' '
	git clone -q server.git other 2>/dev/null &&
	(cd other && test_commit "other work" src/o.c &&
	 TRY_HOOKS=0 git push -q origin main 2>/dev/null) &&
	(cd dev && test_commit "mine" src/m.c --no-verify 2>/dev/null;
	 test_must_fail git push -f origin main >../out 2>&1) &&
	test_grep "rejected: the remote has commits you do not have" out
'

test_expect_success 'pre-push passes stdin to a chained legacy hook' '
	{ git -C dev reset -q --hard origin/main 2>/dev/null || :; } &&
	git -C dev fetch -q &&
	git -C dev reset -q --hard origin/main &&
	(cd dev && git trunk uninstall >/dev/null) &&
	cat >dev/.git/hooks/pre-push <<-EOF &&
	#!/bin/sh
	cat >"$TRASH/legacy.in"
	echo "legacy: \$1" >&2
	EOF
	chmod +x dev/.git/hooks/pre-push &&
	cp dev/.git/hooks/pre-push legacy.orig &&
	(cd dev && git trunk install >../out) &&
	test_grep "kept as pre-push.try-orig" out &&
	(cd dev && test_commit "chained" src/ch.c &&
	 git push origin main >../out 2>&1) &&
	test_grep "legacy: origin" out &&
	test_grep "pre-push: refs/heads/main: accepted" out &&
	test_grep "refs/heads/main $(git -C dev rev-parse main) refs/heads/main" legacy.in
'

test_expect_success 'a rejecting legacy hook rejects the push' '
	cat >dev/.git/hooks/pre-push.try-orig <<-EOF &&
	#!/bin/sh
	echo "legacy: no" >&2
	exit 1
	EOF
	(cd dev && test_commit "blocked" src/bl.c &&
	 test_must_fail git push origin main >../out 2>&1) &&
	test_grep "legacy: no" out &&
	test_grep ! "pre-push: refs/heads/main: accepted" out &&
	cp legacy.orig dev/.git/hooks/pre-push.try-orig
'

test_expect_success 'uninstall restores the legacy hook exactly' '
	(cd dev && git trunk uninstall >../out) &&
	test_cmp legacy.orig dev/.git/hooks/pre-push &&
	test ! -e dev/.git/hooks/pre-push.try-orig &&
	test ! -e dev/.git/hooks/pre-commit &&
	test_grep "restored the previous hook" out
'

test_expect_success 'core.hooksPath is honoured' '
	git -C dev config core.hooksPath "$TRASH/shared-hooks" &&
	(cd dev && git trunk install >/dev/null) &&
	test -x shared-hooks/pre-commit &&
	test ! -e dev/.git/hooks/pre-commit &&
	(cd dev && git switch -q -c topic2 && echo h >src/h.c && git add src &&
	 git commit -m "via hooksPath" >../out 2>&1) &&
	test_grep "pre-commit: committing on branch ${SQ}topic2${SQ}" out &&
	(cd dev && git trunk uninstall >/dev/null && git switch -q main) &&
	git -C dev config --unset core.hooksPath
'

test_expect_success 'a linked worktree runs the hooks of its repository' '
	(cd dev && git trunk install >/dev/null &&
	 git worktree add -q ../wt -b wt-topic 2>/dev/null) &&
	(cd wt && echo w >src/w.c && git add src &&
	 git commit -m "in a worktree" >../out 2>&1) &&
	test_grep "pre-commit: committing on branch ${SQ}wt-topic${SQ}" out &&
	test_grep "commit-msg: this commit takes the CODE lane" out &&
	(cd wt && git trunk status >../out) &&
	test_grep "pre-commit *installed" out
'

test_expect_success 'git trunk status shows hooks and settings' '
	(cd dev && git trunk status >../out) &&
	test_grep "pre-push *installed" out &&
	test_grep "lanes.config *config/\*\*" out &&
	test_grep "trunk.branch *main" out &&
	test_grep "trunk.localBranches *warn" out &&
	(cd dev && echo w >waiting.c && touch -d "70 minutes ago" waiting.c &&
	 git trunk status >../out && rm waiting.c) &&
	test_grep "^commit-age:" out &&
	test_grep "^  1h1[0-9]m (uncomfortable): " out
'

test_done
