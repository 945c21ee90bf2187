#!/bin/sh
# The push train over smart HTTP with basic auth: git lanes queue from
# clones of several users, refereed by the server's pre-receive hook; the
# queue's events in the journal.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/e2e/httpd.sh"

SERVER="$TRASH/srv/server.git"
JOURNAL="$SERVER/lanes/events.jsonl"
MANY=$(seq -f 'u%02g' 1 30)
HTTPD_USERS="carol dave $MANY"

mkdir -p "$TRASH/srv" &&
server_repo "$SERVER" &&
git -C "$SERVER" config lanes.holders carol &&
# the server referees with its lanes.carSize; clones place riders with
# theirs (HOME is shared by the clones and the server's hooks here)
git config --global lanes.carSize 2 &&
httpd_serve "$SERVER" &&
httpd_start "$TRASH/srv" || {
	echo "not ok - could not start the HTTP server"
	exit 1
}

# riders: the server's code queue as "user state" lines, car by car
riders() {
	git -C "$SERVER" show refs/lanes/queue/code:queue |
		sed -n -e 's/^car.*/--/p' -e 's/^rider \([^ ]*\) \([a-z]*\) .*/\1 \2/p'
}
# events <n>: the last <n> journal events as "action user car" lines
events() {
	tail -n "$1" "$JOURNAL" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    print(e["type"], e["action"], e["user"], e["lane"], e["car"], e["pusher"])'
}
texts() {
	tail -n "$1" "$JOURNAL" | python3 -c '
import json, sys
for line in sys.stdin:
    print(json.loads(line)["text"])'
}
q() {
	local who=$1
	shift
	git -C "$who" lanes queue "$@"
}

test_expect_success 'set up: four clones, alice creates the trunk' '
	for u in alice bob carol dave; do
		git clone -q "$(httpd_url $u server.git)" $u 2>/dev/null ||
		return 1
	done &&
	(cd alice && test_commit "initial import" src/app.c &&
	 git push -q origin main 2>/dev/null)
'

test_expect_success 'an empty queue' '
	q alice status >out &&
	cat >expect <<-EOF &&
	code queue: empty
	config queue: empty
	EOF
	test_cmp expect out
'

test_expect_success 'alice joins: car 1, she drives; the server holds it' '
	q alice join -m "new checkout" >out &&
	echo "alice joined car 1 (code): new checkout" >expect &&
	test_cmp expect out &&
	git -C "$SERVER" show refs/lanes/queue/code:queue >queue &&
	test_grep "^lanes-queue 1 code$" queue &&
	test_grep "^rider alice waiting [0-9]* new checkout$" queue &&
	git -C "$SERVER" log -1 --format=%B refs/lanes/queue/code >msg &&
	test_grep "^Queue-Action: join$" msg &&
	test_grep "^Queue-Actor: alice$" msg
'

test_expect_success 'bob joins car 1, carol and dave car 2 (lanes.carSize 2)' '
	q bob join >out &&
	echo "bob joined car 1 (code)" >expect && test_cmp expect out &&
	q carol join >out &&
	echo "carol joined car 2 (code)" >expect && test_cmp expect out &&
	q dave join >/dev/null &&
	riders >actual &&
	cat >expect <<-EOF &&
	--
	alice waiting
	bob waiting
	--
	carol waiting
	dave waiting
	EOF
	test_cmp expect actual
'

test_expect_success 'status --json: cars, driver, riders with state and since' '
	q dave status --lane code --json >out.json &&
	python3 -c "
import json, sys
q = json.load(open(\"out.json\"))
assert q[\"lane\"] == \"code\", q
assert q[\"held\"] is None, q
assert [c[\"driver\"] for c in q[\"cars\"]] == [\"alice\", \"carol\"], q
r = q[\"cars\"][0][\"riders\"][0]
assert (r[\"user\"], r[\"state\"], r[\"note\"]) == (\"alice\", \"waiting\", \"new checkout\"), r
assert r[\"since\"].endswith(\"Z\"), r
"
'

test_expect_success 'status for people: cars, states, notes; NO_COLOR' '
	NO_COLOR=1 q bob status --lane code >out &&
	sed -e "s/since [0-9-]* [0-9:]* UTC/since <when>/" out >actual &&
	cat >expect <<-EOF &&
	code queue: 2 cars
	  car 1  boarding, alice drives
	    alice        waiting since <when>  new checkout
	    bob          waiting since <when>
	  car 2  boarding
	    carol        waiting since <when>
	    dave         waiting since <when>
	EOF
	test_cmp expect actual
'

test_expect_success 'forbidden: joining twice, moving someone else, kicking' '
	test_exit_code 1 q bob join 2>err &&
	echo "git-lanes: bob is in the code queue already (car 1)" >expect &&
	test_cmp expect err &&
	test_exit_code 1 q bob ready alice 2>err &&
	test_grep "^git-lanes: bob may not move alice: only the driver and lanes.holders move others$" err &&
	test_exit_code 1 q dave kick bob 2>err &&
	test_grep "^git-lanes: dave may not kick" err &&
	test_exit_code 1 q bob deployed 2>err &&
	test_grep "^git-lanes: bob may not do that: only the driver (alice)" err &&
	riders >actual &&
	test_grep "^alice waiting$" actual &&
	test_grep "^bob waiting$" actual
'

test_expect_success 'all of car 1 ready: alice is told to deploy' '
	q alice ready >out &&
	echo "alice is ready in car 1 (code)" >expect && test_cmp expect out &&
	q bob ready >out &&
	cat >expect <<-EOF &&
	bob is ready in car 1 (code)
	car 1 (alice, bob): all ready, alice deploys (code)
	EOF
	test_cmp expect out &&
	events 2 >actual &&
	cat >expect <<-EOF &&
	queue ready bob code 1 bob
	queue deploy alice code 1 bob
	EOF
	test_cmp expect actual &&
	test_exit_code 1 q bob ready 2>err &&
	echo "git-lanes: bob is ready already: states only move forward" >expect &&
	test_cmp expect err
'

test_expect_success 'good before the deploy is refused; alice deploys' '
	test_exit_code 1 q bob good 2>err &&
	test_grep "car 1 is not deployed yet" err &&
	(cd alice && git lanes deployed code -m "car 1" >../out 2>&1) &&
	test_grep "^code in production: deployed" out &&
	q carol status --lane code >out &&
	test_grep "car 1  verifying, alice drives" out
'

test_expect_success 'all good: car 1 done, carol drives the next' '
	q alice good >/dev/null &&
	q bob good >out &&
	cat >expect <<-EOF &&
	bob is good in car 1 (code)
	car (alice, bob) done (code); car 1 moves up, carol drives
	EOF
	test_cmp expect out &&
	texts 2 >actual &&
	test_cmp expect actual &&
	events 1 >actual &&
	echo "queue next carol code 1 bob" >expect && test_cmp expect actual &&
	riders >actual &&
	printf -- "--\ncarol waiting\ndave waiting\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'states only move forward: a hand-made "good -> waiting"' '
	q carol ready >/dev/null &&
	(cd carol &&
	 git show refs/lanes/remote-queue/origin/code:queue |
		sed "s/^rider carol ready/rider carol waiting/" >q.txt &&
	 blob=$(git hash-object -w q.txt) &&
	 tree=$(printf "100644 blob %s\tqueue\n" $blob | git mktree) &&
	 printf "queue code: ready carol\n\nQueue-Action: ready\nQueue-Actor: carol\nQueue-Time: %s\n" \
		$(date +%s) >m.txt &&
	 c=$(git commit-tree -p refs/lanes/remote-queue/origin/code -F m.txt $tree) &&
	 test_must_fail git push origin $c:refs/lanes/queue/code 2>../err) &&
	test_grep "rejected: carol is ready already: states only move forward" err &&
	riders >actual &&
	test_grep "^carol ready$" actual
'

test_expect_success 'garbage in the queue ref is refused, nothing changes' '
	old=$(git -C "$SERVER" rev-parse refs/lanes/queue/code) &&
	q dave status >/dev/null &&
	(cd dave &&
	 blob=$(echo "garbage" | git hash-object -w --stdin) &&
	 tree=$(printf "100644 blob %s\tqueue\n" $blob | git mktree) &&
	 c=$(git commit-tree -p $old -m "queue code: join dave" $tree) &&
	 test_must_fail git push origin $c:refs/lanes/queue/code 2>../err &&
	 c=$(git commit-tree -p $old -m garbage $tree) &&
	 test_must_fail git push origin $c:refs/lanes/queue/code 2>../err2 &&
	 c=$(git commit-tree -m "no parent" $tree) &&
	 test_must_fail git push origin $c:refs/lanes/queue/dark 2>../err3) &&
	test_grep "rejected: queue commit without Queue-Action trailers" err &&
	test_grep "rejected: queue commit without Queue-Action trailers" err2 &&
	test_grep "rejected: no queue ${SQ}dark${SQ}" err3 &&
	test "$(git -C "$SERVER" rev-parse refs/lanes/queue/code)" = "$old"
'

test_expect_success 'bad input: names with spaces or newlines, long notes' '
	old=$(git -C "$SERVER" rev-parse refs/lanes/queue/code) &&
	q dave status >/dev/null &&
	test_exit_code 1 q carol join "al ice" 2>err &&
	echo "git-lanes: invalid user name ${SQ}al ice${SQ}: letters, digits and ._@+- only" >expect &&
	test_cmp expect err &&
	test_exit_code 1 q carol join "al
ice" 2>err &&
	echo "git-lanes: invalid user name ${SQ}al?ice${SQ}: letters, digits and ._@+- only" >expect &&
	test_cmp expect err &&
	test_exit_code 1 q dave leave -m "$(head -c 100000 /dev/zero | tr "\0" x)" 2>err &&
	echo "git-lanes: a note holds at most 200 bytes, not 100000" >expect &&
	test_cmp expect err &&
	(cd dave &&
	 head -c 1048576 /dev/zero | tr "\0" x >big &&
	 { printf "queue code: leave dave\n\nQueue-Action: leave\nQueue-Actor: dave\nQueue-Note: " &&
	   cat big && printf "\nQueue-Time: %s\n" $(date +%s); } >m.txt &&
	 tree=$(git rev-parse $old^{tree}) &&
	 c=$(git commit-tree -p $old -F m.txt $tree) &&
	 test_must_fail git push origin $c:refs/lanes/queue/code 2>../err) &&
	test_grep "rejected: queue commit message over 4096 bytes" err &&
	test "$(git -C "$SERVER" rev-parse refs/lanes/queue/code)" = "$old"
'

test_expect_success 'a change made as someone else is refused' '
	git -C bob config lanes.user zed &&
	test_exit_code 1 q bob join 2>err &&
	git -C bob config --unset lanes.user &&
	test_grep "git-lanes: .*made as ${SQ}zed${SQ} but you push as ${SQ}bob${SQ}" err
'

test_expect_success '--with rides in a full car; --before needs the rider passed' '
	q alice join --with carol >out &&
	echo "alice joined car 1 (code)" >expect && test_cmp expect out &&
	q bob join >/dev/null &&
	riders >actual &&
	printf -- "--\ncarol ready\ndave waiting\nalice waiting\n--\nbob waiting\n" >expect &&
	test_cmp expect actual &&
	test_exit_code 1 q dave join --before bob 2>err &&
	test_grep "dave may not put dave before bob: the rider passed (bob)" err &&
	git -C dave lanes queue leave >/dev/null &&
	q bob join dave --before bob >out &&
	echo "dave joined car 2 (code), put there by bob" >expect &&
	test_cmp expect out &&
	riders >actual &&
	printf -- "--\ncarol ready\nalice waiting\n--\ndave waiting\n--\nbob waiting\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'uhoh holds the lane; deploys wait until it is released' '
	q carol uhoh -m "500s on checkout" >out &&
	echo "carol: uh-oh, code lane held: 500s on checkout" >expect &&
	test_cmp expect out &&
	git -C "$SERVER" log -1 --format=%s refs/lanes/holds/code >s &&
	echo "hold code: 500s on checkout" >expect && test_cmp expect s &&
	events 1 >actual &&
	echo "queue uhoh carol code 1 carol" >expect && test_cmp expect actual &&
	NO_COLOR=1 q alice status --lane code >out &&
	test_grep "^code lane HELD: held by" out &&
	test_grep "^  car 1  boarding, carol drives  uh-oh$" out &&
	q alice ready >/dev/null &&
	test_exit_code 1 q carol deployed 2>err &&
	echo "git-lanes: the code lane is held: release it first" >expect &&
	test_cmp expect err &&
	git -C carol lanes release code >/dev/null &&
	q carol deployed >out &&
	test_grep "deployed by carol" out
'

test_expect_success 'the driver hands the wheel, kicks, ends the car' '
	q carol drive alice >out &&
	echo "alice drives car 1 (code)" >expect && test_cmp expect out &&
	q alice kick bob >out &&
	echo "alice took bob out of car 3 (code)" >expect && test_cmp expect out &&
	q alice done >out &&
	test_grep "^car (alice, carol) done (code); car 1 moves up, dave drives$" out &&
	q dave done >/dev/null &&
	q alice status --lane code >out &&
	echo "code queue: empty" >expect && test_cmp expect out
'

test_expect_success 'each lane has its own queue' '
	q bob join --lane config >out &&
	echo "bob joined car 1 (config)" >expect && test_cmp expect out &&
	git -C "$SERVER" show refs/lanes/queue/config:queue >queue &&
	test_grep "^lanes-queue 1 config$" queue &&
	q bob leave --lane config >/dev/null
'

test_expect_success 'in the bare repository the command writes the ref' '
	(cd "$SERVER" && REMOTE_USER=carol git lanes queue join >../out) &&
	echo "carol joined car 1 (code)" >expect && test_cmp expect srv/out &&
	events 1 >actual &&
	echo "queue join carol code 1 carol" >expect && test_cmp expect actual &&
	(cd "$SERVER" && REMOTE_USER=carol git lanes queue leave >/dev/null)
'

test_expect_success '30 users join at once: all present once, in the order accepted' '
	for u in $MANY; do
		git clone -q --no-checkout "$(httpd_url $u server.git)" $u \
			2>/dev/null ||
		return 1
	done &&
	for u in $MANY; do
		(git -C $u lanes queue join >$u.out 2>$u.err; echo $? >$u.rc) &
	done &&
	wait &&
	cat u*.rc | sort -u >rcs &&
	echo 0 >expect && test_cmp expect rcs &&
	riders >all &&
	! grep -v -e "^--" -e " waiting$" all &&
	grep " waiting$" all | cut -d" " -f1 >order &&
	test $(wc -l <order) = 30 &&
	sort order | uniq -d >dups && test ! -s dups &&
	git -C "$SERVER" log --reverse --format=%an refs/lanes/queue/code |
		tail -n 30 >accepted &&
	test_cmp accepted order
'

test_done
