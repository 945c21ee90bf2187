#!/bin/sh
# Deploy records over smart HTTP with basic auth: git lanes deployed from
# clones (the pre-receive hook referees refs/lanes/deployed/<env>/<lane>),
# deploy and rollback events in the journal, git lanes next, concurrent
# records from two clones, bad input, and a mirror of the server.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/e2e/httpd.sh"

SERVER="$TRASH/srv/server.git"
JOURNAL="$SERVER/lanes/events.jsonl"

mkdir -p "$TRASH/srv" &&
server_repo "$SERVER" &&
git -C "$SERVER" config --add lanes.config "config/**" &&
git -C "$SERVER" config lanes.deployers "alice, bob" &&
httpd_serve "$SERVER" &&
httpd_start "$TRASH/srv" || {
	echo "not ok - could not start the HTTP server"
	exit 1
}

last() {
	python3 -c 'import json,sys; e=json.loads(open(sys.argv[1]).read().splitlines()[-1]); print(eval(sys.argv[2]))' \
		"$JOURNAL" "$1"
}
rec() { git -C "$SERVER" rev-parse -q --verify "refs/lanes/deployed/$1"; }
rec_commit() {
	git -C "$SERVER" log -1 --format=%B "refs/lanes/deployed/$1" |
		sed -n 's/^Deploy-Commit: //p'
}
events() { wc -l <"$JOURNAL" | tr -d ' '; }

test_expect_success 'set up: alice and bob clone; a trunk of code and config' '
	git clone -q "$(httpd_url alice server.git)" alice 2>/dev/null &&
	git clone -q "$(httpd_url bob server.git)" bob 2>/dev/null &&
	git -C alice config --add lanes.config "config/**" &&
	git -C bob config --add lanes.config "config/**" &&
	(cd alice && test_commit "initial import" src/app.c &&
	 test_commit "code one" src/one.c) &&
	git -C alice push -q origin main 2>/dev/null &&
	git -C alice rev-parse HEAD >c1
'

test_expect_success 'alice records code live in production: the ref, the record, the event' '
	git -C alice lanes deployed code -m "release 1" >out &&
	echo "code in production: deployed $(cut -c1-7 c1)" >expect &&
	test_cmp expect out &&
	rec production/code &&
	rec_commit production/code >actual && test_cmp c1 actual &&
	git -C "$SERVER" log -1 --format=%B refs/lanes/deployed/production/code >msg &&
	test_grep "^deploy code to production: " msg &&
	test_grep "^release 1$" msg &&
	test_grep "^Lanes-Deploy: code$" msg &&
	test_grep "^Deploy-Env: production$" msg &&
	test "$(last "e[\"type\"]")" = deploy &&
	test "$(last "e[\"pusher\"]")" = alice &&
	test "$(last "e[\"env\"]")" = production &&
	test "$(last "e[\"lane\"]")" = code &&
	test "$(last "e[\"from\"]")" = None &&
	test "$(last "e[\"to\"]")" = "$(cat c1)" &&
	test "$(last "e[\"note\"]")" = "release 1" &&
	test "$(last "e[\"forced\"]")" = False
'

test_expect_success 'config ahead of code: config moves over CONFIG commits and stops before CODE' '
	(cd alice && test_commit "flag on" config/flags.yml on &&
	 git rev-parse HEAD >../cfg1 &&
	 test_commit "code two" src/two.c &&
	 git rev-parse HEAD >../c2 &&
	 test_commit "flag off" config/flags.yml off) &&
	git -C alice push -q origin main 2>/dev/null &&
	git -C alice lanes next >out &&
	test_grep "^  code    deployed $(cut -c1-7 c1) by " out &&
	test_grep "next $(git -C alice rev-parse --short=7 HEAD): 3 of 3 waiting commits can ship$" out &&
	test_grep "^  config  no deploy recorded$" out &&
	test_grep "next $(cut -c1-7 cfg1): 1 of 3 waiting commits can ship; stops at $(cut -c1-7 c2) \"code two\": a CODE commit: the code lane ships it first$" out &&
	git -C alice lanes next --json >out.json &&
	python3 -c "import json,sys; d=json.load(open(\"out.json\")); l=d[\"lanes\"][1]; assert l[\"lane\"]==\"config\" and l[\"next\"]==open(\"cfg1\").read().strip() and l[\"stop\"][\"lane\"]==\"code\" and l[\"shippable\"]==1, d"
'

test_expect_success 'config may not pass the CODE commit; it may ship the flag' '
	n=$(events) &&
	test_exit_code 1 git -C alice lanes deployed config 2>err &&
	test_grep "rejected: the config lane may not pass $(cut -c1-12 c2): a CODE commit" err &&
	test_grep "cannot record the deploy of config in production on .origin.: git push was refused" err &&
	! rec production/config &&
	test "$(events)" = "$n" &&
	git -C alice lanes deployed config "$(cat cfg1)" >out &&
	rec_commit production/config >actual && test_cmp cfg1 actual &&
	test "$(last "e[\"lane\"]")" = config
'

test_expect_success 'code ships to the tip; a forced config deploy needs a note and says so' '
	test_must_fail git -C alice lanes deployed config --force 2>err &&
	test_grep "forced deploy needs a note" err &&
	git -C alice lanes deployed config "$(cat c2)" --force -m "flag off needs code two, ops ok" &&
	test "$(last "e[\"forced\"]")" = True &&
	test "$(last "e[\"count\"]")" = 1 &&
	git -C alice lanes deployed code >out &&
	test "$(last "e[\"count\"]")" = 3 &&
	test "$(last "e[\"from\"]")" = "$(cat c1)"
'

test_expect_success 'a record behind the current deploy needs --rollback; then it is a rollback event' '
	test_exit_code 1 git -C bob lanes deployed code "$(cat c1)" 2>err &&
	test_grep "is behind the deploy of code in production" err &&
	test_grep "a rollback says so: --rollback" err &&
	git -C bob lanes deployed code "$(cat c1)" --rollback -m "checkout broke" >out &&
	test_grep "^code in production: rolled back to $(cut -c1-7 c1) (was " out &&
	test "$(last "e[\"type\"]")" = rollback &&
	test "$(last "e[\"pusher\"]")" = bob &&
	test "$(last "e[\"count\"]")" = 3 &&
	test_exit_code 1 git -C bob lanes deployed code "$(cat c2)" --rollback 2>err &&
	test_grep "not a rollback" err
'

test_expect_success 'code rolled back behind config: config can ship nothing, next says why' '
	git -C bob lanes next >out &&
	test_grep "^  config  deployed $(cut -c1-7 c2) by " out &&
	test_grep "nothing can ship: .*stops at $(cut -c1-7 c2) \"code two\": the config lane is ahead of the code lane" out
'

test_expect_success 'bob is not in lanes.deployers: refused, nothing changes' '
	git -C "$SERVER" config lanes.deployers "alice, carol" &&
	before=$(rec production/code) && n=$(events) &&
	test_exit_code 1 git -C bob lanes deployed code 2>err &&
	git -C "$SERVER" config lanes.deployers "alice, bob" &&
	test_grep "bob may not record deploys (lanes.deployers)" err &&
	test "$(rec production/code)" = "$before" &&
	test "$(events)" = "$n"
'

test_expect_success 'a commit not on the trunk is refused by the server' '
	(cd alice && git checkout -q -b side && test_commit "side work" src/side.c &&
	 git rev-parse HEAD >../side && git checkout -q main) &&
	git -C alice push -q origin side:refs/tags/side 2>/dev/null &&
	git -C alice fetch -q origin &&
	test_exit_code 1 git -C alice lanes deployed code "$(cat side)" --env staging 2>err &&
	test_grep "is not on the trunk (main)" err &&
	! rec staging/code
'

test_expect_success 'bad input: one clear line, nothing changes' '
	before=$(git -C "$SERVER" for-each-ref refs/lanes/deployed) && n=$(events) &&
	test_exit_code 129 git -C alice lanes deployed dark 2>err &&
	test_grep "^git-lanes: no lane .dark. to deploy: code or config" err &&
	test_exit_code 129 git -C alice lanes deployed frontend 2>err &&
	test_grep "^git-lanes: no lane .frontend. to deploy" err &&
	test_exit_code 129 git -C alice lanes deployed code --env eu/prod 2>err &&
	test_grep "^git-lanes: .eu/prod. is not a valid environment name" err &&
	test_exit_code 129 git -C alice lanes deployed code --env ../prod 2>err &&
	test_grep "^git-lanes: .\.\./prod. is not a valid environment name" err &&
	python3 -c "print(\"x\" * 1048576)" >big &&
	test_exit_code 129 git -C alice lanes deployed code -F "$TRASH/big" 2>err &&
	test_grep "^git-lanes: cannot read .*big.: input larger than 4096 bytes$" err &&
	test_exit_code 129 git -C alice lanes deployed code -m "$(head -c 5000 big)" 2>err &&
	test_grep "^git-lanes: the note is longer than 4096 bytes" err &&
	test_exit_code 128 git -C alice lanes deployed code 0123456789abcdef0123456789abcdef01234567 2>err &&
	test_grep "^git-lanes: no commit .0123456789abcdef0123456789abcdef01234567.$" err &&
	test "$(git -C "$SERVER" for-each-ref refs/lanes/deployed)" = "$before" &&
	test "$(events)" = "$n"
'

test_expect_success 'a hand-made push under refs/lanes/deployed is refereed too' '
	test_exit_code 1 git -C alice push origin +HEAD:refs/lanes/deployed/production/code 2>err &&
	test_grep "rejected: .*not a deploy record" err &&
	test_exit_code 1 git -C alice push origin :refs/lanes/deployed/production/code 2>err &&
	test_grep "deploy records are never deleted" err &&
	test_exit_code 1 git -C alice push origin HEAD:refs/lanes/deployed/eu/prod/code 2>err &&
	test_grep "rejected: no deploy lane in .refs/lanes/deployed/eu/prod/code." err
'

test_expect_success 'a held lane records rollbacks and --fix deploys only' '
	git -C alice lanes hold code -m "payments down" &&
	test_exit_code 1 git -C alice lanes deployed code 2>err &&
	test_grep "lane code is held" err &&
	git -C alice lanes deployed code --fix -m "hotfix" &&
	test "$(last "e[\"fix\"]")" = True &&
	git -C alice lanes release code
'

test_expect_success 'a record made on a stale view loses the compare-and-swap and is told' '
	(cd alice && git pull -q --rebase 2>/dev/null && test_commit "code three" src/three.c &&
	 git push -q origin main 2>/dev/null) &&
	git -C alice fetch -q && git -C bob fetch -q &&
	git -C alice lanes deployed code --env canary >/dev/null &&
	git -C alice lanes deployed code --env canary -m again >/dev/null &&
	n=$(events) && before=$(rec canary/code) &&
	test_exit_code 1 git -C bob lanes deployed code --env canary --no-fetch 2>err &&
	test_grep "cannot record the deploy of code in canary on .origin.: git push was refused" err &&
	test "$(rec canary/code)" = "$before" &&
	test "$(events)" = "$n"
'

test_expect_success 'two clones record at once: every success is one record and one event' '
	events >n0 &&
	{ ( git -C alice lanes deployed code --env qa >a.out 2>a.err; echo $? >a.rc ) & } &&
	{ ( git -C bob lanes deployed code --env qa >b.out 2>b.err; echo $? >b.rc ) & } &&
	wait &&
	n=$(cat n0) &&
	ok=$(cat a.rc b.rc | grep -c "^0$") &&
	test "$ok" -ge 1 &&
	{ cat a.rc b.rc | grep -v "^0$" >bad || :; } &&
	if test -s bad; then
		printf "1\n" >expect && test_cmp expect bad &&
		cat a.err b.err >errs &&
		test_grep "git push was refused" errs
	fi &&
	test "$(events)" = "$((n + ok))" &&
	test "$(git -C "$SERVER" rev-list --count refs/lanes/deployed/qa/code)" = "$ok"
'

test_expect_success 'git lanes log shows deploys and rollbacks, filtered by type, lane, env, since' '
	git -C "$SERVER" lanes log --type rollback >out &&
	test_grep "^[0-9-]* [0-9:]* UTC bob rollback code in production, [0-9a-f]\{7\}\.\.$(cut -c1-7 c1), 3 commits$" out &&
	test_grep "^    checkout broke$" out &&
	test "$(wc -l <out | tr -d " ")" = 2 &&
	git -C "$SERVER" lanes log --type deploy --lane config --env production -n 1 >out &&
	test_grep " alice deploy config in production, $(cut -c1-7 cfg1)\.\.$(cut -c1-7 c2), 1 commit, forced$" out &&
	git -C "$SERVER" lanes log --type deploy --env qa --json >out.json &&
	python3 -c "import json; d=json.load(open(\"out.json\")); assert d and all(e[\"env\"]==\"qa\" and e[\"type\"]==\"deploy\" for e in d), d" &&
	git -C "$SERVER" lanes log --since 2999-01-01 >out &&
	test_must_fail test -s out &&
	git -C "$SERVER" lanes log --type push -n 1 >out &&
	test_grep "CODE" out
'

test_expect_success 'a git clone --mirror of the server has every record and its history' '
	git clone -q --mirror "$SERVER" mirror.git &&
	git -C "$SERVER" for-each-ref refs/lanes/deployed >expect &&
	git -C mirror.git for-each-ref refs/lanes/deployed >actual &&
	test_cmp expect actual &&
	git -C mirror.git log --format=%s refs/lanes/deployed/production/code >log &&
	test_grep "^rollback code to production: " log &&
	test "$(wc -l <log | tr -d " ")" = 4
'

test_done
