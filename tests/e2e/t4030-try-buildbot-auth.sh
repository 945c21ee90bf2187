#!/bin/bash
# git try against a Buildbot master behind a reverse proxy that asks for
# basic credentials (nginx) and passes the user to Buildbot's RemoteUserAuth,
# which lets only some users force builds: credentials from `git credential
# fill` (a credential helper) or TRY_TOKEN, Buildbot's session cookie, clear
# refusals, and no password in any output, verbose included.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/e2e/buildbot.sh"

O="$TRASH/o"
mkdir -p "$O"

git init -q --bare server.git
git clone -q server.git work 2>/dev/null
cd work || exit 1
echo 'echo checked' >check.sh
echo one >a
git add . && git commit -q -m base && git push -q origin main
git config try.backend buildbot

TRY_BB_USERS=alice TRY_BB_REMOTE_USER=X-Remote-User \
	bb_start "$TRASH/server.git" try &&
bb_proxy_start alice alice-secret-pw || {
	echo "not ok 1 - a Buildbot master behind a proxy for the tests"
	exit 1
}
URL=$BB_PROXY_URL
git config try.url "$URL"
echo two >>a

no_secret() { # <file>...
	! grep -l -e alice-secret-pw -e wrong-pw-123 \
		-e "$(printf alice:alice-secret-pw | base64)" "$@"
}

test_expect_success 'without credentials: 128 and what is missing' '
	test_exit_code 128 git try >"$O/out" 2>"$O/err" &&
	test_grep "git-try: cannot submit: buildbot: HTTP 401" "$O/err" &&
	test_grep "no credentials: .git credential fill. knows none for $URL, and TRY_TOKEN is not set" "$O/err"
'

test_expect_success 'credentials from a credential helper' '
	port=${URL#http://127.0.0.1:} && port=${port%/} &&
	printf "http://alice:alice-secret-pw@127.0.0.1:%s\n" "$port" \
		>"$TRASH/creds" &&
	git config credential.helper "store --file=$TRASH/creds" &&
	git try -v >"$O/out" 2>"$O/err" &&
	git config --unset credential.helper &&
	test_grep "^try: passed  $URL#/builders/" "$O/out" &&
	no_secret "$O/out" "$O/err"
'

test_expect_success 'TRY_TOKEN with the user in try.url' '
	git config try.url "http://alice@${URL#http://}" &&
	TRY_TOKEN=alice-secret-pw git try >"$O/out" 2>"$O/err" &&
	git config try.url "$URL" &&
	test_grep "^try: passed  $URL#/builders/" "$O/out" &&
	no_secret "$O/out" "$O/err"
'

test_expect_success 'a wrong password: 128, the user named, the password not' '
	git config try.url "http://alice@${URL#http://}" &&
	TRY_TOKEN=wrong-pw-123 test_exit_code 128 git try -v \
		>"$O/out" 2>"$O/err" &&
	git config try.url "$URL" &&
	test_grep "git-try: cannot submit: buildbot: HTTP 401" "$O/err" &&
	test_grep "logging in as .alice." "$O/err" &&
	no_secret "$O/out" "$O/err"
'

test_expect_success 'a password written in try.url is never printed' '
	git config try.url "http://alice:alice-secret-pw@${URL#http://}" &&
	git try --json >"$O/out" 2>"$O/err" &&
	git try --dry-run >"$O/patch" 2>"$O/dry" &&
	git config try.url "$URL" &&
	grep -q "\"result\":\"passed\"" "$O/out" &&
	no_secret "$O/out" "$O/err" "$O/dry"
'

test_expect_success 'the master itself refuses a force without the proxy' '
	git config try.url "$BB_URL" &&
	TRY_TOKEN=alice-secret-pw test_exit_code 128 git try >"$O/out" 2>"$O/err" &&
	git config try.url "$URL" &&
	test_grep "git-try: cannot submit: buildbot: HTTP " "$O/err"
'

test_done
