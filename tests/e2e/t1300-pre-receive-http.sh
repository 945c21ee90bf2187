#!/bin/sh
# The trunk-only rules over smart HTTP: nginx + fcgiwrap + git-http-backend
# on 127.0.0.1 with basic auth, the hook installed by git trunk install.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/e2e/httpd.sh"

SERVER="$TRASH/srv/server.git"

mkdir -p "$TRASH/srv" &&
server_repo "$SERVER" &&
git -C "$SERVER" config --add lanes.config "config/**" &&
git -C "$SERVER" config --add lanes.config "flags/*.json" &&
httpd_serve "$SERVER" &&
httpd_start "$TRASH/srv" || {
	echo "not ok - could not start the HTTP server"
	exit 1
}

# push <args>...: git push from ./work; output in ./push.out, the hook's
# lines in ./actual.
push() {
	git -C work push "$@" >push.out 2>&1
	local rc=$?
	try_lines push.out actual
	return $rc
}

# lines <lane> <commit> [<lane> <commit>]...: expected per-commit lines.
lines() {
	while [ $# -gt 0 ]; do
		printf 'try:   %s\n' "$(cd work && commit_line "$1" "$2")"
		shift 2
	done
}

expect_head() {
	test "$(git -C "$SERVER" rev-parse main)" = "$(git -C work rev-parse "$1")"
}

test_expect_success 'clone the empty repository as alice' '
	git clone -q "$(httpd_url alice server.git)" work 2>err &&
	test "$(git -C work remote get-url origin)" = "$(httpd_url alice server.git)"
'

test_expect_success 'creating the trunk over HTTP' '
	(cd work && test_commit "initial import" src/app.c &&
	 test_commit "add config" config/app.yml) &&
	push origin main &&
	expect_head main &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (code changes), 2 commits" &&
		lines CONFIG HEAD CODE HEAD~1
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a feature branch is rejected with the trunk-only hint' '
	(cd work && git checkout -q -b feature &&
	 test_commit "feature work" src/feature.c) &&
	test_must_fail push origin feature &&
	test_must_fail git -C "$SERVER" rev-parse --verify -q refs/heads/feature &&
	test_grep "^try: refs/heads/feature: rejected: .*trunk-only" actual &&
	grep "^try:   " actual >hint &&
	test_grep "DARK" hint &&
	test_grep "flag" hint &&
	test_grep "! \[remote rejected\] feature -> feature (pre-receive hook declined)" push.out &&
	git -C work checkout -q main
'

test_expect_success 'the objects of a rejected push stay in quarantine' '
	rejected=$(git -C work rev-parse feature) &&
	test_must_fail git -C "$SERVER" cat-file -e "$rejected"
'

test_expect_success 'a DARK commit over HTTP' '
	(cd work && test_commit "DARK parser v2" src/parser.c) &&
	push origin main &&
	expect_head main &&
	{
		echo "try: refs/heads/main: accepted, lane DARK (only dark commits), 1 commit" &&
		lines DARK HEAD
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a CONFIG commit over HTTP' '
	(cd work && test_commit "parser v2 on" flags/parser.json "{}") &&
	push origin main &&
	expect_head main &&
	{
		echo "try: refs/heads/main: accepted, lane CONFIG (only config changes), 1 commit" &&
		lines CONFIG HEAD
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a CODE commit over HTTP' '
	(cd work && test_commit "fix parser" src/parser.c "fixed") &&
	push origin main &&
	expect_head main &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (code changes), 1 commit" &&
		lines CODE HEAD
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'config and dark mixed over HTTP: CODE' '
	(cd work && test_commit "DARK cache" src/cache.c &&
	 test_commit "cache on" flags/cache.json "{}") &&
	push origin main &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (mixed config and dark), 2 commits" &&
		lines CONFIG HEAD DARK HEAD~1
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a force push over HTTP is rejected' '
	before=$(git -C "$SERVER" rev-parse main) &&
	(cd work && git reset -q --hard HEAD~1 && test_commit "rewrite" src/rw.c) &&
	rewritten=$(git -C work rev-parse HEAD) &&
	test_must_fail push --force origin main &&
	test "$(git -C "$SERVER" rev-parse main)" = "$before" &&
	test_grep "^try: refs/heads/main: rejected: .*non-fast-forward" actual &&
	test_must_fail git -C "$SERVER" cat-file -e "$rewritten" &&
	git -C work reset -q --hard "$before"
'

test_expect_success 'deleting the trunk over HTTP is rejected' '
	test_must_fail push origin :main &&
	test_grep "^try: refs/heads/main: rejected: .*deleting the trunk" actual &&
	git -C "$SERVER" rev-parse --verify -q main
'

test_expect_success 'tags over HTTP' '
	(cd work && git tag -a -m one v1 && git tag v1-light) &&
	push origin v1 v1-light &&
	cat >expect <<-\EOF &&
	try: refs/tags/v1-light: accepted (trunk.allow)
	try: refs/tags/v1: accepted (trunk.allow)
	EOF
	sort actual >sorted &&
	test_cmp expect sorted
'

test_expect_success 'bob clones and pushes too' '
	git clone -q "$(httpd_url bob server.git)" bobwork &&
	(cd bobwork && test_commit "DARK from bob" src/bob.c &&
	 git push origin main) >push.out 2>&1 &&
	try_lines push.out actual &&
	test_grep "^try: refs/heads/main: accepted, lane DARK (only dark commits), 1 commit$" actual &&
	test "$(git -C "$SERVER" rev-parse main)" = "$(git -C bobwork rev-parse main)" &&
	git -C work pull -q --ff-only
'

test_expect_success 'a wrong password never reaches the hook' '
	(cd work && test_commit "DARK intruder" src/intr.c) &&
	test_must_fail env GIT_TERMINAL_PROMPT=0 git -C work push \
		"http://alice:wrong@127.0.0.1:$HTTPD_PORT/server.git" main >push.out 2>&1 &&
	test_grep "Authentication failed\|401" push.out &&
	try_lines push.out actual &&
	test ! -s actual &&
	test_must_fail git -C "$SERVER" cat-file -e "$(git -C work rev-parse HEAD)"
'

test_expect_success 'an internal error reaches the HTTP pusher as one line' '
	git -C "$SERVER" config lanes.darkPattern "([" &&
	before=$(git -C "$SERVER" rev-parse main) &&
	test_must_fail push origin main &&
	git -C "$SERVER" config --unset lanes.darkPattern &&
	test "$(git -C "$SERVER" rev-parse main)" = "$before" &&
	test "$(wc -l <actual)" = 1 &&
	test_grep "^try: error: .*lanes.darkPattern" actual
'

test_expect_success 'a chained legacy hook sees REMOTE_USER under fcgiwrap' '
	git trunk uninstall --server "$SERVER" >/dev/null &&
	printf "#!/bin/sh\necho \"legacy: pushed by \$REMOTE_USER\" >&2\ncat >/dev/null\n" \
		>"$SERVER/hooks/pre-receive" &&
	chmod +x "$SERVER/hooks/pre-receive" &&
	git trunk install --server "$SERVER" >/dev/null &&
	push origin main &&
	strip_remote push.out >view &&
	test_grep "^legacy: pushed by alice$" view &&
	{
		echo "try: refs/heads/main: accepted, lane DARK (only dark commits), 1 commit" &&
		lines DARK HEAD
	} >expect &&
	test_cmp expect actual &&
	expect_head main
'

test_done
