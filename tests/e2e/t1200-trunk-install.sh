#!/bin/sh
# git trunk install --server / uninstall --server: the pre-receive shim, its
# idempotence, chaining of an existing hook, core.hooksPath, usage errors.
. "$(dirname "$0")/lib.sh"

Z=0000000000000000000000000000000000000000

# push <repo> <args>...: git push from ./work into <repo>; output in
# ./push.out, the try hook's lines in ./actual.
push() {
	local repo=$1
	shift
	git -C work push "file://$TRASH/$repo" "$@" >push.out 2>&1
	local rc=$?
	try_lines push.out actual
	return $rc
}

# sums <dir>: a checksum line per file below <dir>, with its mode.
sums() {
	(cd "$1" && find . -type f | LC_ALL=C sort | while read -r f; do
		printf '%s %s\n' "$(stat -c %a "$f")" "$(sha1sum "$f")"
	done)
}

# A legacy hook that keeps its stdin in $TRASH/legacy.in, says so, and
# rejects when $TRASH/legacy.reject exists.
write_legacy() {
	cat >"$1" <<-EOF
	#!/bin/sh
	cat >"$TRASH/legacy.in"
	echo "legacy: saw \$(wc -l <"$TRASH/legacy.in") updates" >&2
	if test -f "$TRASH/legacy.reject"; then
		echo "legacy: no" >&2
		exit 1
	fi
	exit 0
	EOF
	chmod +x "$1"
}

test_expect_success 'setup' '
	git init -q work &&
	(cd work && test_commit "one" src/1.c && test_commit "DARK two" src/2.c &&
	 git branch feature)
'

test_expect_success 'install --server writes a pre-receive shim' '
	git init -q --bare plain.git &&
	git -C plain.git symbolic-ref HEAD refs/heads/main &&
	git trunk install --server plain.git >out 2>err &&
	test -x plain.git/hooks/pre-receive &&
	test ! -e plain.git/hooks/pre-receive.try-orig &&
	test_grep "$SRC_DIR/hooks/try-pre-receive" plain.git/hooks/pre-receive
'

test_expect_success 'the shim runs the hook by absolute path (minimal PATH)' '
	test_must_fail env PATH=/usr/bin:/bin \
		git -C work push "file://$TRASH/plain.git" feature >push.out 2>&1 &&
	try_lines push.out actual &&
	test_grep "^try: refs/heads/feature: rejected: .*trunk-only" actual &&
	env PATH=/usr/bin:/bin \
		git -C work push "file://$TRASH/plain.git" main >push.out 2>&1 &&
	try_lines push.out actual &&
	test_grep "^try: refs/heads/main: accepted, lane CODE (code changes), 2 commits$" actual
'

test_expect_success 'a second install changes nothing' '
	sums plain.git/hooks >before &&
	git -C plain.git config --list --local >config.before &&
	git trunk install --server plain.git >out 2>err &&
	sums plain.git/hooks >after &&
	git -C plain.git config --list --local >config.after &&
	test_cmp before after &&
	test_cmp config.before config.after &&
	test ! -e plain.git/hooks/pre-receive.try-orig
'

test_expect_success 'uninstall without a previous hook removes the shim' '
	git trunk uninstall --server plain.git >out 2>err &&
	test ! -e plain.git/hooks/pre-receive &&
	test ! -e plain.git/hooks/pre-receive.try-orig &&
	(cd work && git branch -f feature2 main) &&
	push plain.git feature2 &&
	test ! -s actual &&
	test "$(git -C plain.git rev-parse feature2)" = "$(git -C work rev-parse main)" &&
	git trunk install --server plain.git >out 2>err &&
	(cd work && git branch -f feature3 main) &&
	test_must_fail push plain.git feature3 &&
	test_grep "^try: refs/heads/feature3: rejected" actual
'

test_expect_success 'setup: a repository with a legacy pre-receive hook' '
	git init -q --bare legacy.git &&
	git -C legacy.git symbolic-ref HEAD refs/heads/main &&
	write_legacy legacy.git/hooks/pre-receive &&
	cp -p legacy.git/hooks/pre-receive legacy.saved &&
	git trunk install --server legacy.git >out 2>err &&
	test -x legacy.git/hooks/pre-receive.try-orig &&
	cmp legacy.saved legacy.git/hooks/pre-receive.try-orig &&
	test_grep "$SRC_DIR/hooks/try-pre-receive" legacy.git/hooks/pre-receive
'

test_expect_success 'chained: the legacy hook runs first with the same input' '
	(cd work && git tag -a -m "v1" v1) &&
	push legacy.git main v1 &&
	cat >expect <<-EOF &&
	$Z $(git -C work rev-parse main) refs/heads/main
	$Z $(git -C work rev-parse v1) refs/tags/v1
	EOF
	sort legacy.in >legacy.sorted &&
	test_cmp expect legacy.sorted &&
	strip_remote push.out >view &&
	l=$(grep -n "^legacy: saw 2 updates$" view | cut -d: -f1) &&
	t=$(grep -n "^try: refs/heads/main: accepted" view | cut -d: -f1) &&
	test -n "$l" && test -n "$t" && test "$l" -lt "$t" &&
	test_grep "^try: refs/tags/v1: accepted (trunk.allow)$" actual &&
	test "$(git -C legacy.git rev-parse main)" = "$(git -C work rev-parse main)"
'

test_expect_success 'chained: a rejection by the legacy hook rejects the push' '
	(cd work && test_commit "DARK three" src/3.c) &&
	before=$(git -C legacy.git rev-parse main) &&
	touch legacy.reject &&
	test_must_fail push legacy.git main &&
	rm -f legacy.reject &&
	test "$(git -C legacy.git rev-parse main)" = "$before" &&
	strip_remote push.out >view &&
	test_grep "^legacy: no$" view &&
	test_grep "pre-receive hook declined" view &&
	test_grep ! "^try: refs/heads/main: accepted" view &&
	echo "$before $(git -C work rev-parse main) refs/heads/main" >expect &&
	test_cmp expect legacy.in
'

test_expect_success 'chained: our rejection still counts when the legacy hook accepts' '
	test_must_fail push legacy.git feature &&
	strip_remote push.out >view &&
	test_grep "^legacy: saw 1 updates$" view &&
	test_grep "^try: refs/heads/feature: rejected: .*trunk-only" actual &&
	test_must_fail git -C legacy.git rev-parse --verify -q refs/heads/feature
'

test_expect_success 'chained: a legacy hook that does not read its input' '
	printf "#!/bin/sh\nexit 0\n" >legacy.git/hooks/pre-receive.try-orig &&
	(cd work && i=0 && while [ $i -lt 300 ]; do
		echo "create refs/tags/lots/$i HEAD"; i=$((i + 1)); done |
	 git update-ref --stdin) &&
	push legacy.git main "refs/tags/lots/*:refs/tags/lots/*" &&
	test "$(grep -c "^try: refs/tags/lots/[0-9]*: accepted (trunk.allow)$" actual)" = 300 &&
	test_grep "^try: refs/heads/main: accepted, lane DARK" actual &&
	cp -p legacy.saved legacy.git/hooks/pre-receive.try-orig
'

test_expect_success 'a second install keeps the chained hook' '
	sums legacy.git/hooks >before &&
	git trunk install --server legacy.git >out 2>err &&
	sums legacy.git/hooks >after &&
	test_cmp before after &&
	cmp legacy.saved legacy.git/hooks/pre-receive.try-orig
'

test_expect_success 'uninstall restores the legacy hook byte for byte' '
	git trunk uninstall --server legacy.git >out 2>err &&
	cmp legacy.saved legacy.git/hooks/pre-receive &&
	test -x legacy.git/hooks/pre-receive &&
	test ! -e legacy.git/hooks/pre-receive.try-orig &&
	push legacy.git feature &&
	test ! -s actual &&
	strip_remote push.out >view &&
	test_grep "^legacy: saw 1 updates$" view
'

test_expect_success 'uninstall leaves a hook it did not install alone' '
	git trunk uninstall --server legacy.git >out 2>err &&
	cmp legacy.saved legacy.git/hooks/pre-receive
'

test_expect_success 'core.hooksPath (absolute) is honoured' '
	git init -q --bare hp.git &&
	git -C hp.git symbolic-ref HEAD refs/heads/main &&
	mkdir shared-hooks &&
	git -C hp.git config core.hooksPath "$TRASH/shared-hooks" &&
	git trunk install --server hp.git >out 2>err &&
	test -x shared-hooks/pre-receive &&
	test ! -e hp.git/hooks/pre-receive &&
	test_must_fail push hp.git feature &&
	test_grep "^try: refs/heads/feature: rejected: .*trunk-only" actual &&
	git trunk uninstall --server hp.git >out 2>err &&
	test ! -e shared-hooks/pre-receive
'

test_expect_success 'core.hooksPath (relative to a bare repository) is honoured' '
	git init -q --bare hp2.git &&
	git -C hp2.git symbolic-ref HEAD refs/heads/main &&
	git -C hp2.git config core.hooksPath custom-hooks &&
	git trunk install --server hp2.git >out 2>err &&
	test -x hp2.git/custom-hooks/pre-receive &&
	test ! -e hp2.git/hooks/pre-receive &&
	test_must_fail push hp2.git feature &&
	test_grep "^try: refs/heads/feature: rejected: .*trunk-only" actual
'

test_expect_success 'install --server on a non-bare repository: usage error 129' '
	git init -q nonbare &&
	test_exit_code 129 git trunk install --server nonbare 2>err &&
	test_grep "bare" err &&
	test ! -e nonbare/.git/hooks/pre-receive &&
	test_exit_code 129 git trunk uninstall --server nonbare 2>err &&
	test_grep "bare" err
'

test_expect_success 'install --server on a path that is no repository fails' '
	test_exit_code 128 git trunk install --server "$TRASH/no-such.git" 2>err &&
	test_grep "^git-trunk: " err &&
	test ! -e no-such.git
'

test_expect_success 'install --server without its argument: usage error 129' '
	test_exit_code 129 git trunk install --server 2>err &&
	test_exit_code 129 git trunk install --bogus 2>err
'

test_expect_success 'a failing kept post-receive does not stop the journal' '
	git init -q --bare post.git &&
	git -C post.git symbolic-ref HEAD refs/heads/main &&
	printf "#!/bin/sh\ncat >/dev/null\necho legacy-post >&2\nexit 1\n" \
		>post.git/hooks/post-receive &&
	chmod +x post.git/hooks/post-receive &&
	git trunk install --server post.git >out &&
	test_grep "kept as post-receive.try-orig" out &&
	git -C work push "$TRASH/post.git" main >push.out 2>&1 &&
	test_grep "legacy-post" push.out &&
	test_line_count_is() { test "$(wc -l <"$2")" = "$1"; } &&
	test_line_count_is 1 post.git/lanes/events.jsonl
'

test_done
