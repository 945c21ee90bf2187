#!/bin/bash
# A preset's .command is the local backend's: with a CI backend that runs
# its own test command (from the preset or from try.backend) it is refused
# before anything is sent, in words that name the preset key.
. "$(dirname "$0")/lib.sh"

O="$TRASH/o"
mkdir -p "$O"

git init -q --bare server.git
git clone -q server.git work 2>/dev/null
cd work || exit 1
echo one >a
git add . && git commit -q -m base && git push -q origin main
# nobody listens there: a request would fail with "cannot connect"
URL="http://127.0.0.1:$(free_port)/"
git config try.url "$URL"
git config try.job try

test_expect_success 'a preset with a command and its own CI backend is refused' '
	git config try.preset.ci.backend jenkins &&
	git config try.preset.ci.command "make quick" &&
	echo two >a &&
	test_exit_code 128 git try --preset ci >"$O/out" 2>"$O/err" &&
	echo "git-try: try.preset.ci.command is the local backend'"'"'s: jenkins runs its own test command (the builders'"'"' steps)" >"$O/expect" &&
	test_cmp "$O/expect" "$O/err" &&
	test ! -s "$O/out" &&
	test_must_fail ls .git/try/*.json 2>/dev/null
'

test_expect_success 'the backend may come from try.backend' '
	git config try.backend webhook &&
	git config try.preset.quick.command "make quick" &&
	test_exit_code 128 git try --preset quick >"$O/out" 2>"$O/err" &&
	test_grep "^git-try: try.preset.quick.command is the local backend.s: webhook runs its own" "$O/err" &&
	test_grep ! "cannot connect" "$O/err" &&
	git config --unset try.backend
'

test_expect_success '--json gets the same refusal' '
	test_exit_code 128 git try --preset ci --json >"$O/out" 2>"$O/err" &&
	test_grep "try.preset.ci.command is the local backend" "$O/out"
'

test_expect_success 'with the local backend the preset command runs' '
	git config try.preset.quick.command "echo PRESET-RAN; cat a" &&
	git try --preset quick >"$O/out" 2>"$O/err" &&
	test_grep "PRESET-RAN" "$O/out" "$O/err"
'

test_done
