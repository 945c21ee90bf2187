#!/bin/sh
# try-pre-receive fails closed and copes with odd repositories and big
# pushes: bad settings, malformed input, the deadline, a path with ':', a
# dangling symbolic ref, thousands of refs, a 50,000-commit first push.
. "$(dirname "$0")/lib.sh"

SERVER="$TRASH/server.git"
Z=0000000000000000000000000000000000000000

# push_from <dir> <args>...: git push from <dir>; output in ./push.out, the
# hook's lines in ./actual.  Returns git push's exit code.
push_from() {
	local dir=$1
	shift
	git -C "$dir" push "$@" >push.out 2>&1
	local rc=$?
	try_lines push.out actual
	return $rc
}

push() { push_from work "$@"; }

# lines <dir> <lane> <commit> [<lane> <commit>]...: expected per-commit
# lines of the hook.
lines() {
	local dir=$1
	shift
	while [ $# -gt 0 ]; do
		printf 'try:   %s\n' "$(cd "$dir" && commit_line "$1" "$2")"
		shift 2
	done
}

# hook <repo> <stdin-text>: runs try-pre-receive by hand in <repo>; stdout
# in ./hook.out, stderr in ./hook.err, returns its exit code.
hook() {
	(cd "$1" && printf '%s' "$2" | try-pre-receive) >hook.out 2>hook.err
}

# one_error_line <file> <pattern>: <file> is exactly one "try: error: " line
# matching <pattern>.
one_error_line() {
	if [ "$(wc -l <"$1")" != 1 ]; then
		echo "want one line in $1, got:" >&2
		cat "$1" >&2
		return 1
	fi
	test_grep "^try: error: $2" "$1"
}

# no_change <repo> <ref> <commit>: the ref still points at the commit.
no_change() {
	local got
	got=$(git -C "$1" rev-parse "$2")
	[ "$got" = "$3" ] && return 0
	echo "$1: $2 moved to $got from $3" >&2
	return 1
}

test_expect_success 'setup' '
	server_repo "$SERVER" &&
	git -C "$SERVER" config lanes.config "config/**" &&
	git clone -q "file://$SERVER" work 2>/dev/null &&
	(cd work && test_commit "first" src/a.c && test_commit "second" src/b.c &&
	 test_commit "DARK third" src/c.c) &&
	push origin main &&
	test_grep "^try: refs/heads/main: accepted" actual
'

test_expect_success 'an invalid lanes.darkPattern rejects the push with one line' '
	before=$(git -C "$SERVER" rev-parse main) &&
	git -C "$SERVER" config lanes.darkPattern "(unclosed" &&
	(cd work && test_commit "DARK fourth" src/d.c) &&
	test_must_fail push origin main &&
	no_change "$SERVER" main "$before" &&
	one_error_line actual "lanes.darkPattern" &&
	test_grep "! \[remote rejected\] main -> main (pre-receive hook declined)" push.out
'

test_expect_success 'an invalid lanes.darkPattern: the hook exits 128' '
	old=$(git -C "$SERVER" rev-parse main~1) &&
	new=$(git -C "$SERVER" rev-parse main) &&
	test_exit_code 128 hook "$SERVER" "$old $new refs/heads/main
" &&
	one_error_line hook.err "lanes.darkPattern" &&
	test ! -s hook.out &&
	git -C "$SERVER" config --unset lanes.darkPattern
'

test_expect_success 'a catastrophic lanes.darkPattern hits the match limit' '
	git -C "$SERVER" config lanes.darkPattern "^(a+)+\$" &&
	(cd work && echo x >src/x.c && git add src/x.c &&
	 git commit -q -m "$(printf "%030d!" 0 | tr 0 a)") &&
	before=$(git -C "$SERVER" rev-parse main) &&
	{ push origin main; rc=$?; } &&
	git -C "$SERVER" config --unset lanes.darkPattern &&
	test $rc != 0 &&
	no_change "$SERVER" main "$before" &&
	one_error_line actual ".*\(darkPattern\|limit\)"
'

test_expect_success 'a bad trunk.allowMerges value rejects the push' '
	before=$(git -C "$SERVER" rev-parse main) &&
	git -C "$SERVER" config trunk.allowMerges maybe &&
	(cd work && test_commit "DARK fifth" src/e.c) &&
	test_must_fail push origin main &&
	no_change "$SERVER" main "$before" &&
	one_error_line actual "trunk.allowMerges" &&
	test_exit_code 128 hook "$SERVER" "$before $before refs/tags/t
" &&
	one_error_line hook.err "trunk.allowMerges" &&
	git -C "$SERVER" config --unset trunk.allowMerges
'

test_expect_success 'a bad trunk.timeout value rejects the push' '
	before=$(git -C "$SERVER" rev-parse main) &&
	git -C "$SERVER" config trunk.timeout soon &&
	test_must_fail push origin main &&
	no_change "$SERVER" main "$before" &&
	one_error_line actual "trunk.timeout" &&
	git -C "$SERVER" config --unset trunk.timeout &&
	push origin main &&
	no_change "$SERVER" main "$(git -C work rev-parse main)"
'

test_expect_success 'GL_ID: an internal error carries GL-HOOK-ERR: too' '
	(cd work && test_commit "DARK gl" src/gl.c) &&
	git -C "$SERVER" config lanes.darkPattern "(" &&
	GL_ID=user-1 && export GL_ID &&
	{ push origin main; rc=$?; } &&
	git -C "$SERVER" config --unset lanes.darkPattern &&
	test $rc != 0 &&
	test "$(wc -l <actual)" = 1 &&
	test_grep "^GL-HOOK-ERR: try: error: .*lanes.darkPattern" actual
'

test_expect_success 'malformed input to the hook: exit 128, one line' '
	m=$(git -C "$SERVER" rev-parse main) &&
	for input in "garbage" "$Z $m" "${m%????} $m refs/heads/main" \
		"$Z $m refs/heads/bad..name" "$Z ${m%?}g refs/tags/x" \
		"$m $m refs/heads/main extra"
	do
		test_exit_code 128 hook "$SERVER" "$input
" || { echo "input: $input" >&2; exit 1; }
		one_error_line hook.err "" || { echo "input: $input" >&2; exit 1; }
	done
'

test_expect_success 'a malformed line after a good one still fails' '
	m=$(git -C "$SERVER" rev-parse main) &&
	test_exit_code 128 hook "$SERVER" "$m $m refs/tags/ok
garbage
" &&
	test_grep "^try: error: " hook.err
'

test_expect_success 'a missing object: exit 128' '
	test_exit_code 128 hook "$SERVER" \
		"$Z 1234567890123456789012345678901234567890 refs/heads/main
" &&
	one_error_line hook.err ".*1234567890123456789012345678901234567890"
'

test_expect_success 'no input: nothing to check, exit 0' '
	test_exit_code 0 hook "$SERVER" "" &&
	test ! -s hook.err
'

test_expect_success 'outside a repository: exit 128' '
	mkdir -p nowhere &&
	GIT_CEILING_DIRECTORIES="$TRASH" && export GIT_CEILING_DIRECTORIES &&
	test_exit_code 128 hook nowhere "$Z $Z refs/heads/main
" &&
	test_grep "^try: error: " hook.err
'

test_expect_success 'the deadline: stdin left open, exit 128 on trunk.timeout' '
	git -C "$SERVER" config trunk.timeout 1 &&
	mkfifo fifo &&
	{ sleep 20 >fifo & } &&
	sleeper=$! &&
	start=$(date +%s) &&
	{ (cd "$SERVER" && try-pre-receive <"$TRASH/fifo") 2>hook.err; rc=$?; } &&
	end=$(date +%s) &&
	{ kill $sleeper; wait $sleeper; :; } 2>/dev/null &&
	git -C "$SERVER" config --unset trunk.timeout &&
	echo "hook exited $rc after $((end - start)) s" &&
	test $rc = 128 &&
	test $((end - start)) -lt 15 &&
	one_error_line hook.err ".*\(deadline\|timeout\|timed out\)"
'

test_expect_success 'setup: a small history' '
	git init -q small &&
	(cd small && test_commit "one" src/1.c && test_commit "two" src/2.c &&
	 test_commit "DARK three" src/3.c && test_commit "four" src/4.c)
'

test_expect_success 'a repository path with a colon: quarantine works' '
	server_repo "$TRASH/with:colon.git" &&
	push_from small "file://$TRASH/with:colon.git" main~1:refs/heads/main &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (code changes), 3 commits" &&
		lines small DARK HEAD~1 CODE HEAD~2 CODE HEAD~3
	} >expect &&
	test_cmp expect actual &&
	push_from small "file://$TRASH/with:colon.git" main &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (code changes), 1 commit" &&
		lines small CODE HEAD
	} >expect &&
	test_cmp expect actual &&
	no_change "$TRASH/with:colon.git" main "$(git -C small rev-parse main)"
'

test_expect_success 'a repository path with spaces and a colon' '
	server_repo "$TRASH/a b:c.git" &&
	push_from small "file://$TRASH/a b:c.git" main &&
	test_grep "^try: refs/heads/main: accepted, lane CODE (code changes), 4 commits$" actual &&
	no_change "$TRASH/a b:c.git" main "$(git -C small rev-parse main)"
'

# seed_server <path>: a server that holds the history up to main~2 under a
# tag only, so that creating the trunk has exactly two new commits: every
# existing ref must be hidden from the walk.
seed_server() {
	server_repo "$1" &&
	git -C small push -q "file://$1" main~2:refs/tags/base 2>/dev/null
}

test_expect_success 'a dangling symbolic ref does not break new refs' '
	seed_server "$TRASH/dangling.git" &&
	git -C dangling.git symbolic-ref refs/heads/dangling refs/heads/nowhere &&
	push_from small "file://$TRASH/dangling.git" main &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (code changes), 2 commits" &&
		lines small CODE HEAD DARK HEAD~1
	} >expect &&
	test_cmp expect actual &&
	git clone -q small small2 &&
	(cd small2 && test_commit "DARK after dangling" src/f.c &&
	 git tag dangling-tag) &&
	push_from small2 "file://$TRASH/dangling.git" main dangling-tag &&
	cat >expect <<-EOF &&
	try: refs/heads/main: accepted, lane DARK (only dark commits), 1 commit
	$(lines small2 DARK HEAD)
	try: refs/tags/dangling-tag: accepted (trunk.allow)
	EOF
	test_cmp expect actual
'

test_expect_success 'a new trunk in a repository with 3000 refs' '
	seed_server "$TRASH/many.git" &&
	base=$(git -C small rev-parse main~2) &&
	root=$(git -C small rev-parse main~3) &&
	i=0 && while [ $i -lt 3000 ]; do
		if [ $((i % 2)) = 0 ]; then c=$base; else c=$root; fi
		echo "create refs/tags/many/t$i $c"
		i=$((i + 1))
	done | git -C many.git update-ref --stdin &&
	test "$(git -C many.git for-each-ref | wc -l)" = 3001 &&
	push_from small "file://$TRASH/many.git" main &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (code changes), 2 commits" &&
		lines small CODE HEAD DARK HEAD~1
	} >expect &&
	test_cmp expect actual
'

test_expect_success '3000 refs: a new tag and a trunk update' '
	(cd small2 && test_commit "many update" src/many.c && git tag many-tag) &&
	push_from small2 "file://$TRASH/many.git" main many-tag &&
	cat >expect <<-EOF &&
	try: refs/heads/main: accepted, lane CODE (code changes), 2 commits
	$(lines small2 CODE HEAD DARK HEAD~1)
	try: refs/tags/many-tag: accepted (trunk.allow)
	EOF
	test_cmp expect actual
'

test_expect_success '200 tags in one push' '
	(cd small2 && i=0 && while [ $i -lt 200 ]; do
		git tag "bulk/$i" HEAD~$((i % 5)) || exit 1; i=$((i + 1))
	 done) &&
	push_from small2 "file://$TRASH/many.git" "refs/tags/bulk/*:refs/tags/bulk/*" &&
	test "$(grep -c "^try: refs/tags/bulk/[0-9]*: accepted (trunk.allow)$" actual)" = 200 &&
	test "$(wc -l <actual)" = 200 &&
	test "$(git -C many.git for-each-ref refs/tags/bulk | wc -l)" = 200
'

# gen_history <n>: a fast-import stream of <n> commits on refs/heads/main
# over a ten-file tree, every tenth subject marked DARK.
gen_history() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++) {
			print "commit refs/heads/main"
			print "mark :" i
			print "committer C O Mitter <committer@example.com> " (1700000000 + i) " +0000"
			s = (i % 10 == 0 ? "DARK " : "") "commit " i
			print "data " length(s)
			print s
			if (i > 1) print "from :" (i - 1)
			d = "" i
			print "M 100644 inline src/f" (i % 10) ".c"
			print "data " length(d)
			print d
			print ""
		}
	}'
}

test_expect_success 'the first push of a 50,000-commit history' '
	server_repo "$TRASH/big.git" &&
	git init -q big &&
	gen_history 50000 | git -C big fast-import --quiet &&
	test "$(git -C big rev-list --count main)" = 50000 &&
	push_from big "file://$TRASH/big.git" main &&
	echo "try: refs/heads/main: accepted, lane CODE (code changes), 50000 commits" >expect &&
	git -C big log -20 --format="%H %s" main | while read -r id s; do
		case $s in DARK*) l=DARK;; *) l=CODE;; esac
		printf "try:   %s %-6s %s\n" "$(echo $id | cut -c1-7)" $l "$s"
	done >>expect &&
	echo "try:   ... and 49980 more commits" >>expect &&
	test_cmp expect actual &&
	no_change big.git main "$(git -C big rev-parse main)"
'

test_done
