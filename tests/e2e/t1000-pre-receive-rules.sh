#!/bin/sh
# The trunk-only rules of try-pre-receive, pushed over file:// with the git
# CLI into a bare repository set up by `git trunk install --server`.
. "$(dirname "$0")/lib.sh"

SERVER="$TRASH/server.git"

# push <args>...: git push from ./work; the pusher's output in ./push.out and
# the hook's lines in ./actual.  Returns git push's exit code.
push() {
	git -C work push "$@" >push.out 2>&1
	local rc=$?
	try_lines push.out actual
	return $rc
}

# expect_head <commit-in-work>: the server's trunk is that commit.
expect_head() {
	local want got
	want=$(git -C work rev-parse "$1") &&
	got=$(git -C "$SERVER" rev-parse --verify -q refs/heads/main) &&
	if [ "$want" != "$got" ]; then
		echo "server main is $got, wanted $want ($1)" >&2
		return 1
	fi
}

# lines <commit>...: per-commit lines for ./expect, "try:   " prefixed,
# for the lane given before each commit: lines DARK HEAD CODE HEAD~1.
lines() {
	while [ $# -gt 0 ]; do
		printf 'try:   %s\n' "$(cd work && commit_line "$1" "$2")"
		shift 2
	done
}

test_expect_success 'setup: server with lanes.config, an empty clone' '
	server_repo "$SERVER" &&
	git -C "$SERVER" config --add lanes.config "config/**" &&
	git -C "$SERVER" config --add lanes.config "flags/*.json" &&
	git clone -q "file://$SERVER" work 2>/dev/null &&
	test -z "$(git -C "$SERVER" for-each-ref)"
'

test_expect_success 'creating the trunk with a root commit is accepted' '
	(cd work && test_commit "initial import" src/app.c "int main;" &&
	 mkdir -p config flags &&
	 test_commit "add config" config/app.yml "a: 1") &&
	push origin HEAD:main &&
	expect_head HEAD &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (code changes), 2 commits" &&
		lines CONFIG HEAD CODE HEAD~1
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a branch other than the trunk is rejected with a hint' '
	(cd work && git checkout -q -b feature &&
	 test_commit "feature work" src/feature.c) &&
	test_must_fail push origin feature &&
	test_must_fail git -C "$SERVER" rev-parse --verify -q refs/heads/feature &&
	grep "^try: refs/heads/feature: rejected: " actual >reject &&
	test_grep "trunk-only" reject &&
	grep "^try:   " actual >hint &&
	test_grep "DARK" hint &&
	test_grep "flag" hint &&
	test_grep "! \[remote rejected\] feature -> feature (pre-receive hook declined)" push.out &&
	git -C work checkout -q main
'

test_expect_success 'a DARK commit is accepted in the DARK lane' '
	(cd work && test_commit "DARK new parser behind flag parser_v2" src/parser.c) &&
	push origin main &&
	expect_head HEAD &&
	{
		echo "try: refs/heads/main: accepted, lane DARK (only dark commits), 1 commit" &&
		lines DARK HEAD
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a CONFIG commit is accepted in the CONFIG lane' '
	(cd work && test_commit "turn parser_v2 on" flags/parser.json "{\"on\":true}" &&
	 test_commit "tune timeouts" config/deep/er/timeouts.yml "t: 3") &&
	push origin main &&
	expect_head HEAD &&
	{
		echo "try: refs/heads/main: accepted, lane CONFIG (only config changes), 2 commits" &&
		lines CONFIG HEAD CONFIG HEAD~1
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a CODE commit is accepted in the CODE lane' '
	(cd work && test_commit "fix the parser" src/parser.c "fixed") &&
	push origin main &&
	expect_head HEAD &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (code changes), 1 commit" &&
		lines CODE HEAD
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'several code commits among others: CODE, "code changes"' '
	(cd work && test_commit "refactor lexer" src/lexer.c &&
	 test_commit "DARK lexer v2" src/lexer2.c &&
	 test_commit "refactor lexer more" src/lexer.c "more") &&
	push origin main &&
	expect_head HEAD &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (code changes), 3 commits" &&
		lines CODE HEAD DARK HEAD~1 CODE HEAD~2
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'config and dark commits mixed: CODE, "mixed config and dark"' '
	(cd work && test_commit "DARK cache layer" src/cache.c &&
	 test_commit "enable cache" flags/cache.json "{}") &&
	push origin main &&
	expect_head HEAD &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (mixed config and dark), 2 commits" &&
		lines CONFIG HEAD DARK HEAD~1
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a config path outside the globs is code' '
	(cd work && test_commit "flags readme" flags/README.md "not json") &&
	push origin main &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (code changes), 1 commit" &&
		lines CODE HEAD
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'empty commits: DARK, "no changes"' '
	(cd work && git commit -q --allow-empty -m "nothing at all" &&
	 git commit -q --allow-empty -m "still nothing") &&
	push origin main &&
	expect_head HEAD &&
	{
		echo "try: refs/heads/main: accepted, lane DARK (no changes), 2 commits" &&
		lines DARK HEAD DARK HEAD~1
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'an empty commit does not turn CONFIG into CODE' '
	(cd work && git commit -q --allow-empty -m "a note" &&
	 test_commit "flag off" flags/cache.json "{\"off\":1}") &&
	push origin main &&
	head -n 1 actual >first &&
	echo "try: refs/heads/main: accepted, lane CONFIG (only config changes), 2 commits" >expect &&
	test_cmp expect first
'

test_expect_success 'a force push (non-fast-forward) is rejected' '
	before=$(git -C "$SERVER" rev-parse main) &&
	(cd work && git reset -q --hard HEAD~1 &&
	 test_commit "rewritten history" src/rewrite.c) &&
	test_must_fail push --force origin main &&
	test "$(git -C "$SERVER" rev-parse main)" = "$before" &&
	grep "^try: refs/heads/main: rejected: " actual >reject &&
	test_grep "non-fast-forward" reject &&
	git -C work reset -q --hard "$before"
'

test_expect_success 'deleting the trunk is rejected' '
	before=$(git -C "$SERVER" rev-parse main) &&
	test_must_fail push origin :main &&
	test "$(git -C "$SERVER" rev-parse main)" = "$before" &&
	grep "^try: refs/heads/main: rejected: " actual >reject &&
	test_grep "deleting the trunk" reject
'

test_expect_success 'a merge commit on the trunk is rejected' '
	(cd work && git checkout -q -b side &&
	 test_commit "side work" src/side.c &&
	 git checkout -q main &&
	 test_commit "main work" src/mainwork.c &&
	 git merge -q --no-ff -m "merge side" side) &&
	before=$(git -C "$SERVER" rev-parse main) &&
	test_must_fail push origin main &&
	test "$(git -C "$SERVER" rev-parse main)" = "$before" &&
	grep "^try: refs/heads/main: rejected: " actual >reject &&
	test_grep "merge commit" reject &&
	merge=$(git -C work rev-parse HEAD | cut -c1-7) &&
	test_grep "$merge" actual
'

test_expect_success 'trunk.allowMerges accepts the merge' '
	git -C "$SERVER" config trunk.allowMerges true &&
	push origin main &&
	expect_head HEAD &&
	grep "^try: refs/heads/main: accepted, lane CODE (code changes), 3 commits$" actual &&
	git -C "$SERVER" config --unset trunk.allowMerges
'

test_expect_success 'a DARK commit changing a config path is rejected' '
	(cd work && git checkout -q -b tmp-dark &&
	 test_commit "DARK sneak a flag flip" flags/cache.json "{\"on\":2}") &&
	before=$(git -C "$SERVER" rev-parse main) &&
	test_must_fail push origin HEAD:main &&
	test "$(git -C "$SERVER" rev-parse main)" = "$before" &&
	grep "^try: refs/heads/main: rejected: " actual >reject &&
	test_grep "marked dark but changes config path" reject &&
	test_grep "flags/cache.json" reject &&
	git -C work checkout -q main
'

test_expect_success 'a DARK commit deleting a config path is rejected' '
	(cd work && git checkout -q -b tmp-dark2 main &&
	 git rm -q config/app.yml && git commit -q -m "DARK drop app config") &&
	test_must_fail push origin HEAD:main &&
	grep "^try: refs/heads/main: rejected: " actual >reject &&
	test_grep "marked dark but changes config path" reject &&
	git -C work checkout -q main
'

test_expect_success 'a DARK commit on config buried under 25 CODE commits is rejected' '
	(cd work && git checkout -q -b tmp-buried main &&
	 test_commit "DARK buried flip" flags/cache.json "{\"on\":3}" &&
	 i=1 && while [ $i -le 25 ]; do
		test_commit "code $i" src/buried.c "$i" || exit 1; i=$((i + 1))
	 done) &&
	before=$(git -C "$SERVER" rev-parse main) &&
	test_must_fail push origin HEAD:main &&
	test "$(git -C "$SERVER" rev-parse main)" = "$before" &&
	test_grep "^try: refs/heads/main: rejected: .*marked dark but changes config path" actual &&
	git -C work checkout -q main
'

test_expect_success 'a merge buried under 25 CODE commits is rejected' '
	(cd work && git checkout -q -b tmp-merge main &&
	 git checkout -q -b tmp-side main && test_commit "side b" src/sideb.c &&
	 git checkout -q tmp-merge && test_commit "main b" src/mainb.c &&
	 git merge -q --no-ff -m "buried merge" tmp-side &&
	 i=1 && while [ $i -le 25 ]; do
		test_commit "code $i" src/buried.c "$i" || exit 1; i=$((i + 1))
	 done) &&
	before=$(git -C "$SERVER" rev-parse main) &&
	test_must_fail push origin HEAD:main &&
	test "$(git -C "$SERVER" rev-parse main)" = "$before" &&
	test_grep "^try: refs/heads/main: rejected: .*merge commit" actual &&
	git -C work checkout -q main
'

test_expect_success 'the trunk pointing at an annotated tag is rejected' '
	(cd work && git commit -q --allow-empty -m "DARK tagged" &&
	 git tag -a -m "tag object" tagobj && git reset -q --hard HEAD~1) &&
	before=$(git -C "$SERVER" rev-parse main) &&
	test_must_fail push origin tagobj:refs/heads/main &&
	test "$(git -C "$SERVER" rev-parse main)" = "$before" &&
	test_grep "^try: refs/heads/main: rejected: " actual
'

test_expect_success 'annotated and lightweight tags are accepted' '
	(cd work && git tag -a -m "release 1" v1 && git tag v1-light HEAD~1) &&
	push origin v1 v1-light &&
	test "$(git -C "$SERVER" rev-parse v1)" = "$(git -C work rev-parse v1)" &&
	test "$(git -C "$SERVER" rev-parse v1-light)" = "$(git -C work rev-parse v1-light)" &&
	cat >expect <<-\EOF &&
	try: refs/tags/v1-light: accepted (trunk.allow)
	try: refs/tags/v1: accepted (trunk.allow)
	EOF
	sort actual >sorted &&
	test_cmp expect sorted
'

test_expect_success 'deleting a tag is accepted (trunk.allow)' '
	(cd work && git tag doomed HEAD) &&
	push origin doomed &&
	git -C "$SERVER" rev-parse --verify -q refs/tags/doomed &&
	push origin :refs/tags/doomed &&
	echo "try: refs/tags/doomed: accepted (trunk.allow)" >expect &&
	test_cmp expect actual &&
	test_must_fail git -C "$SERVER" rev-parse --verify -q refs/tags/doomed
'

test_expect_success 'deleting an old branch is accepted, recreating it is not' '
	git -C "$SERVER" update-ref refs/heads/old-topic "$(git -C "$SERVER" rev-parse main)" &&
	push origin :refs/heads/old-topic &&
	echo "try: refs/heads/old-topic: accepted (deleting a branch other than the trunk)" >expect &&
	test_cmp expect actual &&
	test_must_fail git -C "$SERVER" rev-parse --verify -q refs/heads/old-topic &&
	test_must_fail push origin main:refs/heads/old-topic &&
	test_grep "refs/heads/old-topic: rejected: trunk-only" actual
'

test_expect_success 'a tag and a trunk update in one push' '
	(cd work && test_commit "DARK more" src/more.c && git tag v2) &&
	push origin main v2 &&
	expect_head HEAD &&
	test_grep "^try: refs/tags/v2: accepted (trunk.allow)$" actual &&
	test_grep "^try: refs/heads/main: accepted, lane DARK (only dark commits), 1 commit$" actual
'

test_expect_success 'one rejected ref rejects the whole push' '
	(cd work && test_commit "DARK even more" src/more.c "x" &&
	 git branch -f other HEAD) &&
	before=$(git -C "$SERVER" rev-parse main) &&
	test_must_fail push origin main other &&
	test "$(git -C "$SERVER" rev-parse main)" = "$before" &&
	test_must_fail git -C "$SERVER" rev-parse --verify -q refs/heads/other &&
	test_grep "^try: refs/heads/other: rejected: " actual &&
	push origin main &&
	expect_head HEAD
'

test_expect_success 'trunk.allow with a custom glob' '
	git -C "$SERVER" config --add trunk.allow "refs/heads/release/*" &&
	git -C "$SERVER" config --add trunk.allow "refs/tags/*" &&
	(cd work && git branch release/1.0 HEAD~1 && git branch hotfix HEAD~1) &&
	push origin release/1.0 &&
	echo "try: refs/heads/release/1.0: accepted (trunk.allow)" >expect &&
	test_cmp expect actual &&
	test_must_fail push origin hotfix &&
	test_grep "^try: refs/heads/hotfix: rejected: .*trunk-only" actual &&
	git -C "$SERVER" config --unset-all trunk.allow
'

test_expect_success 'without trunk.allow a release branch is rejected' '
	(cd work && git branch release/2.0 HEAD) &&
	test_must_fail push origin release/2.0 &&
	test_grep "^try: refs/heads/release/2.0: rejected: " actual
'

test_expect_success 'more than 20 commits: the list is cut' '
	(cd work && i=1 && while [ $i -le 23 ]; do
		test_commit "step $i" src/step.c "$i" || exit 1; i=$((i + 1))
	 done) &&
	push origin main &&
	expect_head HEAD &&
	echo "try: refs/heads/main: accepted, lane CODE (code changes), 23 commits" >expect &&
	i=0 && while [ $i -lt 20 ]; do
		lines CODE HEAD~$i >>expect; i=$((i + 1))
	done &&
	echo "try:   ... and 3 more commits" >>expect &&
	test_cmp expect actual
'

test_expect_success 'GL_ID: rejection lines carry GL-HOOK-ERR:' '
	(cd work && git branch -f gl-feature HEAD) &&
	GL_ID=user-42 && export GL_ID &&
	test_must_fail push origin gl-feature &&
	test_grep "^GL-HOOK-ERR: try: refs/heads/gl-feature: rejected: .*trunk-only" actual &&
	test_grep "^GL-HOOK-ERR: try:   .*DARK" actual &&
	test_grep ! "^try:" actual
'

test_expect_success 'GL_ID: accepted lines carry no prefix' '
	(cd work && test_commit "DARK gl" src/gl.c) &&
	GL_ID=user-42 && export GL_ID &&
	push origin main &&
	test_grep "^try: refs/heads/main: accepted, lane DARK" actual &&
	test_grep ! "GL-HOOK-ERR" actual
'

test_expect_success 'a non-UTF-8 commit message is accepted' '
	(cd work && printf "caf\351 cr\350me DARK\n\n\377\376 body\n" >msg &&
	 echo x >src/latin1.c && git add src/latin1.c &&
	 git -c i18n.commitEncoding=ISO-8859-1 commit -q -F msg &&
	 printf "DARK na\357ve \377\n" >msg2 &&
	 echo y >src/raw.c && git add src/raw.c &&
	 git commit -q -F msg2 2>/dev/null) &&
	push origin main &&
	expect_head HEAD &&
	test_grep "^try: refs/heads/main: accepted, lane CODE (code changes), 2 commits$" actual &&
	test_grep "^try:   $(git -C work rev-parse HEAD | cut -c1-7) DARK   DARK na" actual &&
	test_grep "^try:   $(git -C work rev-parse HEAD~1 | cut -c1-7) CODE   caf" actual
'

test_expect_success 'a 1 MB commit message is accepted' '
	(cd work && { printf "DARK huge subject "; head -c 1048576 /dev/zero | tr "\0" a;
	  printf "\n\n"; head -c 1048576 /dev/zero | tr "\0" b; echo; } >msg &&
	 echo z >src/huge.c && git add src/huge.c && git commit -q -F msg) &&
	push origin main &&
	expect_head HEAD &&
	test_grep "^try: refs/heads/main: accepted, lane DARK (only dark commits), 1 commit$" actual &&
	test_grep "^try:   $(git -C work rev-parse HEAD | cut -c1-7) DARK   DARK huge subject aaaa" actual
'

test_expect_success 'odd config paths: space, newline, non-UTF-8, symlink' '
	(cd work &&
	 echo a >"config/with space.yml" &&
	 echo b >"config/new
line.yml" &&
	 echo c >"$(printf "config/caf\351.yml")" &&
	 ln -s app.yml config/link.yml &&
	 git add config && git commit -q -m "odd config files") &&
	push origin main &&
	expect_head HEAD &&
	{
		echo "try: refs/heads/main: accepted, lane CONFIG (only config changes), 1 commit" &&
		lines CONFIG HEAD
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'odd code paths: space, newline, non-UTF-8 are CODE' '
	(cd work && echo a >"src/with space.c" && git add src &&
	 git commit -q -m "space") &&
	(cd work && echo b >"src/new
line.c" && git add src && git commit -q -m "newline") &&
	(cd work && echo c >"$(printf "src/caf\351.c")" && git add src &&
	 git commit -q -m "latin1") &&
	push origin main &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (code changes), 3 commits" &&
		lines CODE HEAD CODE HEAD~1 CODE HEAD~2
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a symlink change outside config is CODE' '
	(cd work && ln -s app.c src/link.c && git add src/link.c &&
	 git commit -q -m "add a link") &&
	push origin main &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (code changes), 1 commit" &&
		lines CODE HEAD
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a gitlink (submodule entry) is a change: CODE' '
	(cd work && git update-index --add --cacheinfo \
		"160000,$(git rev-parse HEAD~1),sub" &&
	 git commit -q -m "add submodule entry") &&
	push origin main &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (code changes), 1 commit" &&
		lines CODE HEAD
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a gitlink under config is CONFIG' '
	(cd work && git update-index --add --cacheinfo \
		"160000,$(git rev-parse HEAD~1),config/vendored" &&
	 git commit -q -m "vendored config") &&
	push origin main &&
	{
		echo "try: refs/heads/main: accepted, lane CONFIG (only config changes), 1 commit" &&
		lines CONFIG HEAD
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a mode-only change under src/ is CODE' '
	(cd work && git update-index --chmod=+x src/app.c &&
	 git commit -q -m "make app executable" &&
	 test -z "$(git diff-tree --no-commit-id -p HEAD | grep "^[-+][^-+]")") &&
	push origin main &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (code changes), 1 commit" &&
		lines CODE HEAD
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a mode-only change under config/ is CONFIG' '
	(cd work && git update-index --chmod=+x config/app.yml &&
	 git commit -q -m "config mode") &&
	push origin main &&
	{
		echo "try: refs/heads/main: accepted, lane CONFIG (only config changes), 1 commit" &&
		lines CONFIG HEAD
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a deletion under config/ is CONFIG' '
	(cd work && git rm -q "config/with space.yml" &&
	 git commit -q -m "drop a config file") &&
	push origin main &&
	{
		echo "try: refs/heads/main: accepted, lane CONFIG (only config changes), 1 commit" &&
		lines CONFIG HEAD
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a deletion under src/ is CODE' '
	(cd work && git rm -q src/lexer2.c && git commit -q -m "drop lexer2") &&
	push origin main &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (code changes), 1 commit" &&
		lines CODE HEAD
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a DARK commit replacing a file by a directory under src/' '
	(cd work && git rm -q src/more.c && mkdir src/more.c &&
	 echo x >src/more.c/inner.c && git add src &&
	 git commit -q -m "DARK more becomes a dir") &&
	push origin main &&
	{
		echo "try: refs/heads/main: accepted, lane DARK (only dark commits), 1 commit" &&
		lines DARK HEAD
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'lanes.darkPattern is configurable' '
	git -C "$SERVER" config lanes.darkPattern "^\\[dark\\]" &&
	(cd work && test_commit "[dark] new thing" src/thing.c &&
	 test_commit "DARK is no longer the marker" src/thing2.c) &&
	push origin main &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (code changes), 2 commits" &&
		lines CODE HEAD DARK HEAD~1
	} >expect &&
	test_cmp expect actual &&
	git -C "$SERVER" config --unset lanes.darkPattern
'

test_expect_success 'DARK needs a word boundary' '
	(cd work && test_commit "DARKNESS falls" src/dark.c) &&
	push origin main &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (code changes), 1 commit" &&
		lines CODE HEAD
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'trunk.branch names another trunk' '
	git -C "$SERVER" config trunk.branch trunk &&
	test_must_fail push origin main~1:refs/heads/main-copy &&
	test_grep "^try: refs/heads/main-copy: rejected: .*trunk-only" actual &&
	push origin main:trunk &&
	test_grep "^try: refs/heads/trunk: accepted" actual &&
	(cd work && test_commit "more on main" src/m.c) &&
	test_must_fail push origin main &&
	test_grep "^try: refs/heads/main: rejected: .*trunk-only" actual &&
	git -C "$SERVER" config --unset trunk.branch
'

test_expect_success 'without trunk.branch, the trunk is the branch HEAD names' '
	git init -q --bare other.git &&
	git -C other.git symbolic-ref HEAD refs/heads/develop &&
	git trunk install --server other.git >/dev/null &&
	git -C other.git config trunk.allowMerges true &&
	test_must_fail push "file://$TRASH/other.git" main &&
	test_grep "^try: refs/heads/main: rejected: .*trunk-only" actual &&
	push "file://$TRASH/other.git" main:develop &&
	test_grep "^try: refs/heads/develop: accepted, lane CODE" actual
'

test_expect_success 'a revert (a tree seen two commits earlier) keeps every lane right' '
	# regression: the walk freed a cached tree it was still using when a
	# commit had the tree of the commit two steps newer; with a root tree
	# over 4 KB (libgit2 does not cache it) the hook rejected this push
	(cd work && git pull -q --rebase origin main 2>/dev/null;
	 for i in $(seq 1 200); do echo $i >top-$i.txt; done &&
	 git add . && git commit -q -m "many top-level files" &&
	 git push -q origin HEAD:main 2>/dev/null &&
	 test_commit "DARK new parser" src/parser.c &&
	 test_commit "code" src/code.c &&
	 git revert --no-edit HEAD >/dev/null) &&
	push origin HEAD:main &&
	expect_head HEAD &&
	{
		echo "try: refs/heads/main: accepted, lane CODE (code changes), 3 commits" &&
		(cd work && printf "try:   " && commit_line CODE HEAD &&
		 printf "try:   " && commit_line CODE HEAD~1 &&
		 printf "try:   " && commit_line DARK HEAD~2)
	} >expect &&
	test_cmp expect actual
'

test_done
