#!/bin/sh
# git lanes: the lanes of a revision range, human and --json, default range
# origin/<trunk>..HEAD, exit codes.
. "$(dirname "$0")/lib.sh"

# json_check <file> <python statements>: runs the statements with `d` the
# parsed JSON of <file>; an assert that fails fails the test.
json_check() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
exec(sys.argv[2])' "$1" "$2"
}

test_expect_success 'setup: a server, a clone with lanes.config' '
	git init -q --bare server.git &&
	git -C server.git symbolic-ref HEAD refs/heads/main &&
	git init -q seed &&
	(cd seed && test_commit "initial import" src/app.c &&
	 test_commit "base config" config/app.yml &&
	 git push -q ../server.git main) &&
	git clone -q server.git dev &&
	git -C dev config --add lanes.config "config/**" &&
	git -C dev config --add lanes.config "flags/*.json"
'

test_expect_success 'default range: what is about to be pushed' '
	(cd dev && test_commit "DARK api skeleton" src/api.c &&
	 test_commit "enable api" flags/api.json "{}" &&
	 git lanes >../actual) &&
	{
		echo "CODE: mixed config and dark (2 commits)" &&
		(cd dev && commit_line CONFIG HEAD && commit_line DARK HEAD~1)
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'default range equals origin/main..HEAD' '
	(cd dev && git lanes origin/main..HEAD >../explicit) &&
	test_cmp actual explicit
'

test_expect_success 'default range after the push: no new commits' '
	(cd dev && git push -q origin main && git lanes >../actual) &&
	echo "NONE: nothing new (0 commits)" >expect &&
	test_cmp expect actual
'

test_expect_success 'explicit ranges A..B' '
	(cd dev && test_commit "tune config" config/app.yml "t: 2" &&
	 test_commit "fix api" src/api.c "fixed" &&
	 test_commit "refactor api" src/api2.c &&
	 test_commit "DARK api v3" src/api3.c &&
	 git commit -q --allow-empty -m "empty note") &&
	(cd dev && git lanes HEAD~5..HEAD~4 >../actual) &&
	{
		echo "CONFIG: only config changes (1 commit)" &&
		(cd dev && commit_line CONFIG HEAD~4)
	} >expect &&
	test_cmp expect actual &&
	(cd dev && git lanes HEAD~4..HEAD~2 >../actual) &&
	{
		echo "CODE: code changes (2 commits)" &&
		(cd dev && commit_line CODE HEAD~2 && commit_line CODE HEAD~3)
	} >expect &&
	test_cmp expect actual &&
	(cd dev && git lanes HEAD~2..HEAD >../actual) &&
	{
		echo "DARK: only dark commits (2 commits)" &&
		(cd dev && commit_line DARK HEAD && commit_line DARK HEAD~1)
	} >expect &&
	test_cmp expect actual &&
	(cd dev && git lanes HEAD~1..HEAD >../actual) &&
	{
		echo "DARK: no changes (1 commit)" &&
		(cd dev && commit_line DARK HEAD)
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a range given by tags and full ids' '
	(cd dev && git tag deployed HEAD~5 &&
	 git lanes deployed..$(git rev-parse HEAD~4) >../actual) &&
	{
		echo "CONFIG: only config changes (1 commit)" &&
		(cd dev && commit_line CONFIG HEAD~4)
	} >expect &&
	test_cmp expect actual
'

test_expect_success '--json: the documented object' '
	(cd dev && git lanes --json HEAD~5..HEAD >../out.json) &&
	ids=$(cd dev && git rev-list HEAD~5..HEAD | tr "\n" " ") &&
	json_check out.json "
ids = \"$ids\".split()
assert sorted(d.keys()) == [\"commits\", \"lane\", \"reason\"], d.keys()
assert d[\"lane\"] == \"code\", d[\"lane\"]
assert d[\"reason\"] == \"code changes\", d[\"reason\"]
cs = d[\"commits\"]
assert [c[\"id\"] for c in cs] == ids, [c[\"id\"] for c in cs]
assert [c[\"lane\"] for c in cs] == [\"dark\", \"dark\", \"code\", \"code\", \"config\"], cs
assert [c[\"subject\"] for c in cs] == [\"empty note\", \"DARK api v3\",
	\"refactor api\", \"fix api\", \"tune config\"], cs
for c in cs:
	assert sorted(c.keys()) == [\"author\", \"id\", \"lane\", \"reason\", \"subject\"], c
	assert c[\"author\"] == \"A U Thor <author@example.com>\", c
	assert isinstance(c[\"reason\"], str) and c[\"reason\"], c
	assert len(c[\"id\"]) == 40 and all(x in \"0123456789abcdef\" for x in c[\"id\"]), c
"
'

test_expect_success '--json with the range after it, and an empty range' '
	(cd dev && git lanes HEAD..HEAD --json >../out.json) &&
	json_check out.json "
assert d[\"lane\"] == \"none\", d
assert d[\"reason\"] == \"nothing new\", d
assert d[\"commits\"] == [], d
"
'

test_expect_success '--json: mixed config and dark' '
	(cd dev && git lanes --json origin/main~2..origin/main >../out.json) &&
	json_check out.json "
assert d[\"lane\"] == \"code\", d
assert d[\"reason\"] == \"mixed config and dark\", d
assert [c[\"lane\"] for c in d[\"commits\"]] == [\"config\", \"dark\"], d
"
'

test_expect_success '--json: a non-UTF-8 subject still gives valid JSON' '
	(cd dev && printf "DARK caf\351 \377\n" >../msg &&
	 echo x >src/raw.c && git add src/raw.c &&
	 git commit -q -F ../msg 2>/dev/null &&
	 git lanes --json HEAD~1..HEAD >../out.json) &&
	json_check out.json "
assert d[\"lane\"] == \"dark\", d
assert len(d[\"commits\"]) == 1, d
assert d[\"commits\"][0][\"subject\"].startswith(\"DARK caf\"), d
"
'

test_expect_success 'a DARK commit that changes config is flagged' '
	(cd dev && test_commit "DARK sneaky flip" flags/api.json "{\"on\":1}" &&
	 git lanes --json HEAD~1..HEAD >../out.json) &&
	json_check out.json "
c = d[\"commits\"][0]
assert c[\"lane\"] != \"dark\", c
assert \"config\" in c[\"reason\"], c
"
'

test_expect_success 'trunk.branch picks the remote-tracking branch' '
	(cd seed && git push -q ../server.git main:develop) &&
	(cd dev && git fetch -q origin && git config trunk.branch develop &&
	 git lanes >../actual && git lanes origin/develop..HEAD >../expect &&
	 git config --unset trunk.branch) &&
	test_cmp expect actual &&
	test_grep "(9 commits)$" actual
'

test_expect_success 'lanes.darkPattern from the repository config' '
	(cd dev && git config lanes.darkPattern "^\\[wip\\]" &&
	 test_commit "[wip] hidden" src/wip.c &&
	 git lanes HEAD~1..HEAD >../actual &&
	 git config --unset lanes.darkPattern) &&
	{
		echo "DARK: only dark commits (1 commit)" &&
		(cd dev && commit_line DARK HEAD)
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'lanes.config globs mean what git pathspec globs mean' '
	git init -q globs &&
	(cd globs &&
	 set -- "flags/*.json" "config/**" "settings" "**/*.toml" "a?c/[xy].txt" &&
	 for pat; do git config --add lanes.config "$pat" || exit 1; done &&
	 for path in flags/sub/x.json flags/y.json flags/.json Flags/z.json \
		config config.d/a config/a/b/c.yml docs/config/x settings \
		settings/a.yml settingsx x/settings/b deep/er/a.toml a.toml \
		a.toml.bak abc/x.txt abc/z.txt a/c/x.txt "sp ace/a.toml"
	 do
		# a root commit holding only <path>
		git checkout -q --orphan "o$((n = ${n:-0} + 1))" &&
		git rm -rq --cached . 2>/dev/null; rm -rf ./* &&
		mkdir -p "$(dirname "$path")" && echo x >"$path" &&
		git add -- "$path" && git commit -q -m "$path" &&
		if [ -n "$(git diff-tree --root -r --no-commit-id --name-only HEAD -- \
			":(glob)$1" ":(glob)$2" ":(glob)$3" ":(glob)$4" ":(glob)$5")" ]
		then want=CONFIG; else want=CODE; fi &&
		got=$(git lanes HEAD | sed -n 2p | cut -c9-14 | tr -d " ") &&
		echo "$path: git says $want, git lanes says $got" &&
		if [ "$want" != "$got" ]; then echo "MISMATCH: $path" >&2; exit 1; fi ||
		exit 1
	 done)
'

test_expect_success 'an unknown option: exit 129' '
	(cd dev && test_exit_code 129 git lanes --bogus) >out 2>err &&
	test_grep "bogus" err &&
	test ! -s out
'

test_expect_success 'a bad revision: exit 128' '
	(cd dev && test_exit_code 128 git lanes nosuch..HEAD) >out 2>err &&
	test_grep "nosuch" err &&
	test ! -s out
'

test_expect_success 'no remote-tracking trunk and no range: exit 128' '
	git init -q lonely &&
	(cd lonely && test_commit one &&
	 test_exit_code 128 git lanes) >out 2>err &&
	test_grep "origin/main" err
'

test_expect_success 'outside a repository: exit 128' '
	mkdir -p outside &&
	(cd outside && GIT_CEILING_DIRECTORIES="$TRASH" &&
	 export GIT_CEILING_DIRECTORIES &&
	 test_exit_code 128 git lanes HEAD~1..HEAD) >out 2>err &&
	test -s err &&
	test ! -s out
'

test_expect_success 'git -c settings apply, as for any git command' '
	(cd dev && test_commit "flags only" flags/x.json &&
	 git lanes HEAD~1..HEAD >../plain &&
	 git -c lanes.darkPattern="^flags" lanes HEAD~1..HEAD >../dashc &&
	 test_must_fail git -c trunk.timeout=0 lanes HEAD~1..HEAD 2>../err) &&
	test_grep "^CONFIG: only config changes" plain &&
	test_grep "^CODE: code changes" dashc &&
	test_grep "trunk.timeout: 0 is not a number of seconds" err
'

test_expect_success 'a revert does not change the lanes of the commits before it' '
	git init -q revert && (cd revert &&
	 git config lanes.config "config/**" &&
	 test_commit base src/a.c && test_commit "turn on" config/f &&
	 test_commit code src/b.c && git revert --no-edit HEAD >/dev/null &&
	 git lanes HEAD~3..HEAD >../out) &&
	(cd revert && echo "CODE: code changes (3 commits)" &&
	 commit_line CODE HEAD && commit_line CODE HEAD~1 &&
	 commit_line CONFIG HEAD~2) >expect &&
	test_cmp expect out
'

test_done
