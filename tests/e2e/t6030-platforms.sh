#!/bin/sh
# Hosting platforms, through the variables they set for their hooks (the
# platforms themselves cannot run here): Gitea/Forgejo's own refs/pull/*
# updates (GITEA_IS_INTERNAL) and pusher, GitLab's GL-HOOK-ERR prefix with
# a rule id, GitHub Enterprise's GITHUB_USER_LOGIN.
. "$(dirname "$0")/lib.sh"

SERVER="$TRASH/server.git"
JOURNAL="$SERVER/lanes/events.jsonl"

server_repo "$SERVER" || {
	echo "not ok - could not set up the server"
	exit 1
}

last() {
	python3 -c 'import json,sys; e=json.loads(open(sys.argv[1]).read().splitlines()[-1]); print(eval(sys.argv[2]))' \
		"$JOURNAL" "$1"
}

test_expect_success 'setup' '
	git clone -q "file://$SERVER" work 2>/dev/null &&
	(cd work && test_commit init src/a.c) &&
	git -C work push -q origin main 2>/dev/null
'

test_expect_success 'Gitea updating its refs/pull/* itself is not refused' '
	(cd work && git checkout -q -b feature && test_commit feat src/f.c) &&
	env GITEA_IS_INTERNAL=true GITEA_PUSHER_NAME=gitea \
		git -C work push origin feature:refs/pull/1/head >out 2>&1 &&
	strip_remote out >actual &&
	test_grep "^try: refs/pull/1/head: accepted (the platform${SQ}s own pull request ref)$" actual
'

test_expect_success 'a user pushing refs/pull/* is still refused by trunk-only' '
	test_must_fail env GITEA_IS_INTERNAL=false GITEA_PUSHER_NAME=eve \
		git -C work push origin feature:refs/pull/2/head >out 2>&1 &&
	test_grep "rejected: trunk-only: only refs/heads/main takes pushes here \[trunk-only\]" out &&
	test_must_fail env GITEA_PUSHER_NAME=eve \
		git -C work push origin feature:refs/pull/2/head >out 2>&1 &&
	test_grep "\[trunk-only\]" out
'

test_expect_success 'Gitea names the pusher' '
	(cd work && git checkout -q main && test_commit two src/b.c) &&
	env GITEA_PUSHER_NAME=tea git -C work push -q origin main 2>/dev/null &&
	test "$(last "e[\"pusher\"]")" = tea
'

test_expect_success 'GitLab: rejection lines start GL-HOOK-ERR and carry the rule id' '
	test_must_fail env GL_ID=user-1 GL_USERNAME=lab \
		git -C work push origin feature >out 2>&1 &&
	test_grep "^remote: GL-HOOK-ERR: try: refs/heads/feature: rejected: .* \[trunk-only\]" out
'

test_expect_success 'trunk.helpUrl links each rejection to its rule' '
	git -C "$SERVER" config trunk.helpUrl "https://wiki.example.com/try-rules" &&
	test_must_fail git -C work push origin feature >out 2>&1 &&
	test_grep "^remote: try:   see https://wiki.example.com/try-rules#trunk-only" out &&
	git -C "$SERVER" config --unset trunk.helpUrl
'

test_expect_success 'GitHub Enterprise names the pusher' '
	(cd work && test_commit three src/c.c) &&
	env GITHUB_USER_LOGIN=octo git -C work push -q origin main 2>/dev/null &&
	test "$(last "e[\"pusher\"]")" = octo
'

test_done
