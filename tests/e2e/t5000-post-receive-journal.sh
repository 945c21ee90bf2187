#!/bin/sh
# The post-receive hook's lane journal over file://, and git lanes log.
. "$(dirname "$0")/lib.sh"

SERVER="$TRASH/server.git"
JOURNAL="$SERVER/lanes/events.jsonl"

server_repo "$SERVER" &&
git -C "$SERVER" config --add lanes.config "config/**" || {
	echo "not ok - could not set up the server"
	exit 1
}

# push <args>...: git push from ./work; output in ./push.out.
push() {
	git -C work push "$@" >push.out 2>&1
}

# ev <n> <python expression over the event e>: prints the value for the
# n-th journal line (1-based; -1 the last).
ev() {
	python3 - "$JOURNAL" "$1" "$2" <<-'EOF'
	import json, sys
	lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
	n = int(sys.argv[2])
	e = json.loads(lines[n - 1 if n > 0 else n])
	v = eval(sys.argv[3])
	print(json.dumps(v) if not isinstance(v, str) else v)
	EOF
}

journal_lines() { wc -l <"$JOURNAL" | tr -d ' '; }

test_expect_success 'git trunk install --server installs post-receive' '
	test -x "$SERVER/hooks/post-receive" &&
	grep -q try-post-receive "$SERVER/hooks/post-receive"
'

test_expect_success 'creating the trunk writes one event' '
	git clone -q "file://$SERVER" work 2>/dev/null &&
	(cd work && test_commit "initial import" src/app.c &&
	 test_commit "add config" config/app.yml) &&
	push origin main &&
	test "$(journal_lines)" = 1 &&
	test "$(ev 1 "e[\"ref\"]")" = refs/heads/main &&
	test "$(ev 1 "e[\"old\"]")" = 0000000000000000000000000000000000000000 &&
	test "$(ev 1 "e[\"new\"]")" = "$(git -C work rev-parse HEAD)" &&
	test "$(ev 1 "e[\"lane\"]")" = code &&
	test "$(ev 1 "e[\"reason\"]")" = "code changes" &&
	test "$(ev 1 "e[\"count\"]")" = 2 &&
	test "$(ev 1 "e[\"fix\"]")" = false &&
	test "$(ev 1 "e[\"pusher\"]")" = "$(id -un)" &&
	test "$(ev 1 "e[\"repository\"]")" = "$(cd "$SERVER" && pwd -P)"
'

test_expect_success 'the event lists the commits, newest first, with lanes' '
	cat >expect <<-EOF &&
	$(git -C work rev-parse HEAD) config add config A U Thor <author@example.com>
	$(git -C work rev-parse HEAD~1) code initial import A U Thor <author@example.com>
	EOF
	ev 1 "\"\\n\".join(\" \".join([c[\"id\"], c[\"lane\"], c[\"subject\"], c[\"author\"]]) for c in e[\"commits\"])" >actual &&
	test_cmp expect actual
'

test_expect_success 'the event has an id and a UTC time' '
	ev 1 "e[\"id\"]" | grep -E "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$" &&
	ev 1 "e[\"time\"]" | grep -E "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$" &&
	ev 1 "list(e.keys())" >keys &&
	echo "[\"id\", \"time\", \"repository\", \"ref\", \"old\", \"new\", \"pusher\", \"lane\", \"reason\", \"fix\", \"count\", \"commits\", \"type\"]" >expect &&
	test_cmp expect keys
'

test_expect_success 'a DARK and a CONFIG push: one event each, chained' '
	(cd work && test_commit "DARK parser" src/parser.c) &&
	push origin main &&
	(cd work && test_commit "flip the parser on" config/parser.yml) &&
	push origin main &&
	test "$(journal_lines)" = 3 &&
	test "$(ev 2 "e[\"lane\"]")" = dark &&
	test "$(ev 3 "e[\"lane\"]")" = config &&
	test "$(ev 2 "e[\"old\"]")" = "$(ev 1 "e[\"new\"]")" &&
	test "$(ev 3 "e[\"old\"]")" = "$(ev 2 "e[\"new\"]")" &&
	test "$(ev 2 "e[\"id\"]")" != "$(ev 3 "e[\"id\"]")"
'

test_expect_success 'a rejected push writes no event' '
	(cd work && git checkout -q -b feature && test_commit "wip" src/wip.c) &&
	test_must_fail push origin feature &&
	git -C work checkout -q main &&
	test "$(journal_lines)" = 3
'

test_expect_success 'tags are not journaled; a tag and the trunk: one event' '
	(cd work && git tag v1 && test_commit "DARK more" src/more.c &&
	 git tag v2) &&
	push origin v1 &&
	test "$(journal_lines)" = 3 &&
	push origin main v2 &&
	test "$(journal_lines)" = 4 &&
	test "$(ev 4 "e[\"count\"]")" = 1
'

test_expect_success 'push option lanes.fix marks the event' '
	(cd work && test_commit "fix the parser" src/parser.c) &&
	push -o lanes.fix origin main &&
	test "$(ev 5 "e[\"fix\"]")" = true
'

test_expect_success 'pusher from GL_USERNAME, GITEA_PUSHER_NAME, GITHUB_USER_LOGIN' '
	for var in GL_USERNAME GITEA_PUSHER_NAME GITHUB_USER_LOGIN; do
		(cd work && test_commit "DARK $var" "src/$var.c") &&
		env "$var=user-$var" git -C work push -q origin main 2>/dev/null &&
		test "$(ev -1 "e[\"pusher\"]")" = "user-$var" || return 1
	done
'

test_expect_success 'non-UTF-8 subjects become valid JSON' '
	(cd work && printf "x\n" >src/latin.c && git add src/latin.c &&
	 printf "caf\351 au lait\n" | git -c i18n.commitEncoding=iso-8859-1 commit -q -F -) &&
	push origin main &&
	ev -1 "e[\"commits\"][0][\"subject\"]" >subject &&
	printf "caf\357\277\275 au lait\n" >expect &&
	test_cmp expect subject
'

test_expect_success 'a new trunk in a repository with other refs lists only its commits' '
	git init -q --bare other.git &&
	git -C other.git symbolic-ref HEAD refs/heads/main &&
	git trunk install --server other.git >/dev/null &&
	git -C work push -q "file://$TRASH/other.git" v1 2>/dev/null &&
	git -C work push -q "file://$TRASH/other.git" main 2>/dev/null &&
	python3 -c "import json,sys; e=json.loads(open(sys.argv[1]).read().splitlines()[-1]); print(e[\"count\"], len(e[\"commits\"]))" \
		other.git/lanes/events.jsonl >actual &&
	echo "$(git -C work rev-list --count v1..main) $(git -C work rev-list --count v1..main)" >expect &&
	test_cmp expect actual
'

test_expect_success 'lanes.journal moves the journal (relative to the git dir)' '
	git -C "$SERVER" config lanes.journal deploys/log.jsonl &&
	(cd work && test_commit "DARK elsewhere" src/elsewhere.c) &&
	push origin main &&
	test "$(wc -l <"$SERVER/deploys/log.jsonl")" = 1 &&
	git -C "$SERVER" config lanes.journal "$TRASH/abs.jsonl" &&
	(cd work && test_commit "DARK absolute" src/absolute.c) &&
	push origin main &&
	test "$(wc -l <"$TRASH/abs.jsonl")" = 1 &&
	git -C "$SERVER" config --unset lanes.journal
'

test_expect_success 'an unwritable journal: the push is in, the pusher is told' '
	n=$(journal_lines) &&
	mv "$JOURNAL" "$TRASH/journal.keep" &&
	mkdir "$JOURNAL" &&
	(cd work && test_commit "DARK lost" src/lost.c) &&
	push origin main &&
	test "$(git -C "$SERVER" rev-parse main)" = "$(git -C work rev-parse main)" &&
	strip_remote push.out >out &&
	test_grep "^try: error: lane events not journaled: cannot open journal" out &&
	rmdir "$JOURNAL" &&
	mv "$TRASH/journal.keep" "$JOURNAL"
'

test_expect_success 'git lanes log: newest first, who, lane, count, subjects' '
	(cd work && test_commit "DARK logged" src/logged.c) &&
	push origin main &&
	git -C "$SERVER" lanes log -n 2 >log &&
	sed -e "s/^[0-9-]* [0-9:]* UTC /<time> /" log >actual &&
	u=$(id -un) &&
	new=$(git -C work rev-parse --short=7 main) &&
	old=$(git -C work rev-parse --short=7 main~1) &&
	cafe=$(git -C work rev-parse --short=7 main~4) &&
	before=$(git -C work rev-parse --short=7 main~5) &&
	cat >expect <<-EOF &&
	<time> $u DARK (only dark commits), 1 commit, $old..$new
	    $new DARK   DARK logged
	<time> $u CODE (code changes), 1 commit, $before..$cafe
	    $cafe CODE   caf$(printf "\357\277\275") au lait
	EOF
	test_cmp expect actual
'

test_expect_success 'git lanes log: a fix, and more than ten commits' '
	(cd work && for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		test_commit "DARK step $i" src/step.c "$i" || exit 1
	 done) &&
	push -o lanes.fix origin main &&
	git -C "$SERVER" lanes log -n1 >log &&
	head -n1 log | grep -E "DARK \(only dark commits\), 12 commits, [0-9a-f]{7}\.\.[0-9a-f]{7}, fix$" &&
	test "$(wc -l <log)" = 12 &&
	test_grep "^    \.\.\. and 2 more$" log &&
	sed -n 2p log | grep "DARK step 12$"
'

test_expect_success 'git lanes log --json: an array, newest first' '
	git -C "$SERVER" lanes log --json -n 3 >log.json &&
	python3 -c "import json,sys; a=json.load(open(sys.argv[1])); print(len(a), a[0][\"count\"], a[1][\"commits\"][0][\"subject\"])" log.json >actual &&
	echo "3 12 DARK logged" >expect &&
	test_cmp expect actual &&
	for i in 1 2 3 4 5 6 7 8 9 10; do
		(cd work && test_commit "DARK more $i" src/more.c "$i") &&
		push origin main || return 1
	done &&
	test "$(journal_lines)" -gt 20 &&
	git -C "$SERVER" lanes log --json >all.json &&
	python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" all.json >n &&
	echo 20 >expect && test_cmp expect n &&
	git -C "$SERVER" lanes log -n 1000 --json >all.json &&
	python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" all.json >n &&
	journal_lines >expect && test_cmp expect n
'

test_expect_success 'git lanes log skips a torn last line and says so for bad lines' '
	cp "$JOURNAL" "$TRASH/journal.keep" &&
	printf "{\"id\":\"half" >>"$JOURNAL" &&
	git -C "$SERVER" lanes log -n 1 >log 2>err &&
	test_grep "DARK more 10" log &&
	test ! -s err &&
	printf "\nnot json\n" >>"$JOURNAL" &&
	git -C "$SERVER" lanes log -n 2 >log 2>err &&
	test_grep "warning: 2 journal lines skipped" err &&
	cp "$TRASH/journal.keep" "$JOURNAL"
'

test_expect_success 'git lanes log without a journal, and usage errors' '
	git init -q empty &&
	test_exit_code 128 git -C empty lanes log 2>err &&
	test_grep "no journal at" err &&
	test_exit_code 129 git -C "$SERVER" lanes log -n x 2>err &&
	test_exit_code 129 git -C "$SERVER" lanes log --bogus 2>err
'

test_done
