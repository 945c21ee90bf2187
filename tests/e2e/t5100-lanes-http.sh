#!/bin/sh
# Lane events over smart HTTP (nginx + fcgiwrap + git-http-backend, basic
# auth): the pusher is the authenticated user, and 20 pushers racing to the
# trunk leave exactly one valid journal line per accepted update.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/e2e/httpd.sh"

SERVER="$TRASH/srv/server.git"
JOURNAL="$SERVER/lanes/events.jsonl"
PUSHERS=${PUSHERS:-20}
ATTEMPTS=${ATTEMPTS:-40}

mkdir -p "$TRASH/srv" &&
server_repo "$SERVER" &&
git -C "$SERVER" config --add lanes.config "config/**" &&
httpd_serve "$SERVER" &&
httpd_start "$TRASH/srv" || {
	echo "not ok - could not start the HTTP server"
	exit 1
}

last() {
	python3 -c 'import json,sys; e=json.loads(open(sys.argv[1]).read().splitlines()[-1]); print(eval(sys.argv[2]))' \
		"$JOURNAL" "$1"
}

test_expect_success 'alice creates the trunk: her event says alice' '
	git clone -q "$(httpd_url alice server.git)" alice 2>/dev/null &&
	(cd alice && test_commit "initial import" src/app.c) &&
	git -C alice push -q origin main 2>/dev/null &&
	test "$(wc -l <"$JOURNAL")" = 1 &&
	test "$(last "e[\"pusher\"]")" = alice
'

test_expect_success 'bob pushes a config change: his event says bob, lane config' '
	git clone -q "$(httpd_url bob server.git)" bob 2>/dev/null &&
	(cd bob && test_commit "turn it on" config/app.yml) &&
	git -C bob push -q origin main 2>/dev/null &&
	test "$(wc -l <"$JOURNAL")" = 2 &&
	test "$(last "e[\"pusher\"]")" = bob &&
	test "$(last "e[\"lane\"]")" = config &&
	test "$(last "e[\"commits\"][0][\"subject\"]")" = "turn it on"
'

test_expect_success 'a fix pushed over HTTP carries the push option' '
	(cd alice && git pull -q --rebase 2>/dev/null &&
	 test_commit "fix it" src/app.c) &&
	git -C alice push -q -o lanes.fix origin main 2>/dev/null &&
	test "$(last "e[\"fix\"]")" = True &&
	test "$(last "e[\"pusher\"]")" = alice
'

# pusher <n>: clone as alice or bob, commit, and push until accepted (at
# most $ATTEMPTS tries, rebasing onto the trunk between them); writes the
# number of accepted pushes to race/<n>.ok and the tries to race/<n>.tries.
pusher() {
	local n=$1 user dir tries=0 ok=0
	if [ $((n % 2)) = 0 ]; then user=alice; else user=bob; fi
	dir="race/w$n"
	git clone -q "$(httpd_url $user server.git)" "$dir" 2>/dev/null || return 1
	(cd "$dir" && test_commit "DARK racer $n" "src/racer$n.c") || return 1
	while [ $tries -lt "$ATTEMPTS" ]; do
		tries=$((tries + 1))
		if git -C "$dir" push -q origin main >"race/$n.push.$tries" 2>&1; then
			ok=1
			break
		fi
		git -C "$dir" pull -q --rebase origin main \
			>"race/$n.pull.$tries" 2>&1 || return 1
	done
	echo $ok >"race/$n.ok"
	echo $tries >"race/$n.tries"
	echo $user >"race/$n.user"
}

test_expect_success "$PUSHERS pushers race to the trunk" '
	mkdir race &&
	git -C "$SERVER" rev-parse main >race/start &&
	wc -l <"$JOURNAL" >race/lines-before &&
	i=0 &&
	while [ $i -lt $PUSHERS ]; do
		pusher $i &
		i=$((i + 1))
	done &&
	wait &&
	cat race/*.ok | tr -d "\n" >oks &&
	test "$(cat race/*.ok | grep -c 1)" = "$PUSHERS" &&
	echo "tries: $(cat race/*.tries | tr "\n" " ")"
'

test_expect_success 'exactly one valid journal line per accepted update' '
	accepted=$(cat race/*.ok | awk "{ s += \$1 } END { print s }") &&
	before=$(cat race/lines-before) &&
	total=$(wc -l <"$JOURNAL") &&
	test $((total - before)) = "$accepted" &&
	python3 - "$JOURNAL" "$before" "$(cat race/start)" \
		"$(git -C "$SERVER" rev-parse main)" <<-\EOF
	import json, sys
	lines = open(sys.argv[1], "rb").read().split(b"\n")
	assert lines[-1] == b"", "journal does not end in a newline"
	events = [json.loads(l) for l in lines[:-1]]
	race = events[int(sys.argv[2]):]
	assert len(set(e["id"] for e in events)) == len(events), "ids repeat"
	# the updates form one chain from the start to the final trunk
	step = {}
	for e in race:
	    assert e["old"] not in step, "two updates from " + e["old"]
	    step[e["old"]] = e
	    assert e["count"] == 1 and len(e["commits"]) == 1, e
	    assert e["commits"][0]["id"] == e["new"], e
	    assert e["lane"] == "dark", e
	    assert e["pusher"] in ("alice", "bob"), e
	at, seen = sys.argv[3], 0
	while at in step:
	    at = step[at]["new"]
	    seen += 1
	assert seen == len(race), "chain has %d of %d" % (seen, len(race))
	assert at == sys.argv[4], "chain ends at %s" % at
	EOF
'

test_expect_success 'each racer event names its pusher' '
	for ok in race/*.ok; do
		n=$(basename "$ok" .ok) &&
		subject="DARK racer $n" &&
		python3 -c "import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    for c in e[\"commits\"]:
        if c[\"subject\"] == sys.argv[2]: print(e[\"pusher\"])" \
			"$JOURNAL" "$subject" >who &&
		echo "$(cat race/$n.user)" >expect &&
		test_cmp expect who || return 1
	done
'

test_done
