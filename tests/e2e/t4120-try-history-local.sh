#!/bin/bash
# Past tries with the local backend: every try recorded in <gitdir>/try/,
# list and show, again resends the recorded patch without touching the
# working copy, the subcommand names are reserved, the folder is bounded.
. "$(dirname "$0")/lib.sh"

export TMPDIR="$TRASH/tmp"
O="$TRASH/o"
mkdir -p "$TMPDIR" "$O"

git init -q --bare server.git
git clone -q server.git work 2>/dev/null
cd work || exit 1
echo one >a
git add . && git commit -q -m base && git push -q origin main
BASE=$(git rev-parse HEAD)
git config try.command 'cat a; test "$(cat a)" != bad'

test_expect_success 'every try is recorded; list shows them newest first' '
	echo bad >a &&
	test_exit_code 1 git try -m "the bad one" >"$O/out" 2>"$O/err" &&
	echo good >a &&
	git try -m "the good one" >"$O/out" 2>"$O/err" &&
	git try list >"$O/list" &&
	test "$(wc -l <"$O/list")" = 2 &&
	test_grep "^ 1  try-[0-9]*-[0-9a-f]*  .*  ${BASE:0:7}  local  passed  the good one$" "$O/list" &&
	test_grep "^ 2  try-.*  local  failed  the bad one$" "$O/list" &&
	test "$(ls .git/try/*.json | wc -l)" = 2 &&
	test "$(ls .git/try/*.patch | wc -l)" = 2
'

test_expect_success 'show prints one try and exits with its verdict' '
	test_exit_code 1 git try show 2 >"$O/show" &&
	test_grep "^result:   failed$" "$O/show" &&
	test_grep "^base:     $BASE$" "$O/show" &&
	test_grep "^local: failed" "$O/show" &&
	git try show --json >"$O/show.json" &&
	grep -q "\"result\":\"passed\"" "$O/show.json" &&
	test_exit_code 128 git try show 7 >"$O/out" 2>"$O/err" &&
	test_grep "git-try: no try 7: 2 recorded" "$O/err"
'

test_expect_success 'again resends the recorded patch; the working copy stays' '
	echo other >a &&
	test_exit_code 1 git try again 2 >"$O/out" 2>"$O/err" &&
	test_grep "against ${BASE:0:12} (try-" "$O/err" &&
	test "$(cat a)" = other &&
	git try list -n 1 >"$O/list" &&
	test_grep "local  failed  (again)  the bad one$" "$O/list" &&
	git checkout -q a
'

test_expect_success 'list, show and again are reserved: a pathspec goes after --' '
	echo list >list &&
	git add list &&
	git try -- list >"$O/out" 2>"$O/err" &&
	test_grep "1 file against" "$O/err" &&
	git reset -q && rm list
'

test_expect_success 'the records are bounded by try.history, oldest dropped' '
	echo x >>a &&
	git -c try.history=2 try >"$O/out" 2>"$O/err" &&
	test "$(ls .git/try/*.json | wc -l)" = 2 &&
	test "$(ls .git/try/*.patch | wc -l)" = 2 &&
	git checkout -q a
'

test_done
