#!/bin/sh
# git lanes serve: the page, /api/ and /metrics read the server repository's
# holds, trunk and journal; text from pushes is escaped everywhere.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/e2e/cockpit.sh"

SERVER="$TRASH/server.git"

test_expect_success 'set up: a server repository with pushes' '
	server_repo "$SERVER" &&
	git -C "$SERVER" config --add lanes.config "config/**" &&
	git clone -q "$SERVER" work 2>/dev/null &&
	(
		cd work &&
		test_commit "initial import" src/app.c &&
		git push -q origin main 2>/dev/null &&
		test_commit "tune <script>alert(1)</script> \"quoted\" & more" config/app.yml &&
		test_commit "DARK new flag" src/flag.c &&
		printf "bad bytes \\377\\376 end\\n" >msg &&
		echo x >src/bytes.c && git add src/bytes.c &&
		git -c i18n.commitEncoding=iso-8859-1 commit -q -F msg &&
		git push -q origin main 2>/dev/null
	) &&
	test $(wc -l <"$SERVER/lanes/events.jsonl") = 2
'

cockpit_start "$SERVER" || {
	echo "not ok - could not start git lanes serve"
	exit 1
}

test_expect_success '/ leads to the repository page' '
	curl -s -o /dev/null -w "%{http_code} %{redirect_url}\n" \
		"$COCKPIT_URL/" >out &&
	echo "303 $COCKPIT_URL/r/server/" >expect &&
	test_cmp expect out
'

test_expect_success 'the page lists pending commits per lane, escaped' '
	curl -sf "$COCKPIT_URL/r/server/" >page.html &&
	test_grep "<section class=\"box\" id=\"lane-code\">" page.html &&
	test_grep "tune &lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; more" page.html &&
	! grep "<script>alert" page.html &&
	test_grep "bad bytes $(printf "\357\277\275\357\277\275") end" page.html &&
	test_grep "<span class=\"badge l-config\">CONFIG</span></td><td class=\"s\">tune" page.html &&
	test_grep "<span class=\"badge l-dark\">DARK</span></td><td class=\"s\">DARK new flag" page.html &&
	test_grep "read-only" page.html
'

test_expect_success 'the timeline shows the pushes, newest first' '
	grep -o "<tr class=\"ev\">.*" page.html | sed "s/<tr class=\"ev\">/\n&/g" |
		grep -c "<td>push</td>" >n &&
	echo 2 >expect && test_cmp expect n &&
	sed -n "s/.*<table id=\"timeline\">.*<td>push<\/td><td><span class=\"badge l-\([a-z]*\)\">.*/\1/p" page.html >lane &&
	echo code >expect && test_cmp expect lane
'

test_expect_success 'a hold set with the CLI shows as a banner, escaped' '
	git -C "$SERVER" lanes hold code -m "checkout <b>down</b> \"now\"" >/dev/null &&
	curl -sf "$COCKPIT_URL/r/server/" >page.html &&
	test_grep "<div class=\"banner\" role=\"alert\">HELD (code) by $(id -un) since <time datetime=\"" page.html &&
	test_grep "checkout &lt;b&gt;down&lt;/b&gt; &quot;now&quot;" page.html
'

test_expect_success '/api/ gives the same state as JSON' '
	curl -sf "$COCKPIT_URL/api/" >repos.json &&
	echo "{\"repositories\":[\"server\"]}" >expect &&
	test_cmp expect repos.json &&
	curl -sf "$COCKPIT_URL/api/server/state" >state.json &&
	python3 -c "
import json, sys
s = json.load(open(\"state.json\"))
print(s[\"holds\"][0][\"lane\"], s[\"holds\"][0][\"reason\"])
print(*[(l[\"lane\"], l[\"pending\"], l[\"held\"]) for l in s[\"lanes\"]])
print(len(s[\"timeline\"][\"events\"]), s[\"timeline\"][\"events\"][0][\"type\"])
" >actual &&
	cat >expect <<-\EOF &&
	code checkout <b>down</b> "now"
	('"'"'dark'"'"', 1, False) ('"'"'config'"'"', 1, False) ('"'"'code'"'"', 2, True)
	3 hold
	EOF
	test_cmp expect actual &&
	curl -sf "$COCKPIT_URL/api/server/holds" >holds.json &&
	test_grep "^\[{\"lane\":\"code\"" holds.json
'

test_expect_success 'the timeline filters by lane, type and person' '
	curl -sf "$COCKPIT_URL/api/server/timeline?lane=dark" >t.json &&
	test_grep "\"events\":\[\]" t.json &&
	curl -sf "$COCKPIT_URL/api/server/timeline?type=push&person=$(id -un)&lane=code" >t.json &&
	python3 -c "import json; print(len(json.load(open(\"t.json\"))[\"events\"]))" >n &&
	echo 2 >expect && test_cmp expect n &&
	curl -sf "$COCKPIT_URL/api/server/timeline?person=nobody" >t.json &&
	test_grep "\"events\":\[\]" t.json
'

test_expect_success '/metrics: holds, pending commits, events' '
	curl -sf "$COCKPIT_URL/metrics" >metrics &&
	test_grep "^lanes_hold{repository=\"server\",lane=\"code\"} 1$" metrics &&
	test_grep "^lanes_hold{repository=\"server\",lane=\"dark\"} 0$" metrics &&
	test_grep "^lanes_pending_commits{repository=\"server\",lane=\"code\"} 2$" metrics &&
	test_grep "^lanes_events_total{repository=\"server\",type=\"push\",lane=\"code\"} 2$" metrics &&
	git -C "$SERVER" lanes release code >/dev/null &&
	curl -sf "$COCKPIT_URL/metrics" >metrics &&
	test_grep "^lanes_hold{repository=\"server\",lane=\"code\"} 0$" metrics
'

test_expect_success 'a recorded deploy shows per environment: page, API, metrics' '
	first=$(git -C "$SERVER" rev-parse main~2) &&
	(cd "$SERVER" && REMOTE_USER=dora git lanes deployed code $first -m "first" >/dev/null 2>&1) &&
	curl -sf "$COCKPIT_URL/r/server/" >page.html &&
	test_grep "<div class=\"lanes\" id=\"env-production\">" page.html &&
	test_grep "deployed <code>$(echo $first | cut -c1-7)</code> by " page.html &&
	test_grep "can ship <code>$(git -C "$SERVER" rev-parse main | cut -c1-7)</code> (2 of 2 commits waiting)" page.html &&
	curl -sf "$COCKPIT_URL/api/server/state" >state.json &&
	jq -r ".deploys[0].env, .deploys[0].lanes[0].lane, .deploys[0].lanes[0].deployed.commit, .deploys[0].lanes[0].waiting, .deploys[0].lanes[1].deployed" state.json >out &&
	printf "production\ncode\n%s\n2\nnull\n" $first >expect &&
	test_cmp expect out &&
	jq "[.lanes[].pending] | add" state.json >out &&
	git -C "$SERVER" rev-list --count $first..main >expect &&
	test_cmp expect out &&
	at=$(jq -r ".deploys[0].lanes[0].deployed.at_epoch" state.json) &&
	curl -sf "$COCKPIT_URL/metrics" >metrics &&
	test_grep "^lanes_last_deploy_timestamp_seconds{repository=\"server\",env=\"production\",lane=\"code\"} $at$" metrics &&
	! grep "^lanes_last_deploy_timestamp_seconds.*lane=\"config\"" metrics
'

test_expect_success 'a rider on the push train shows: page, API, metrics' '
	curl -sf "$COCKPIT_URL/metrics" >metrics &&
	test_grep "^lanes_queue_riders{repository=\"server\",lane=\"code\"} 0$" metrics &&
	(cd "$SERVER" && REMOTE_USER=carol git lanes queue join -m "fix <i>login</i>" >/dev/null) &&
	curl -sf "$COCKPIT_URL/r/server/" >page.html &&
	test_grep "<section class=\"box\" id=\"train-code\">" page.html &&
	test_grep "car 1: boarding, driver <b>carol</b>" page.html &&
	test_grep "<span class=\"rider\">carol</span> waiting since" page.html &&
	test_grep "fix &lt;i&gt;login&lt;/i&gt;" page.html &&
	curl -sf "$COCKPIT_URL/api/server/state" >state.json &&
	jq -r ".train[0].lane, .train[0].riders, .train[0].cars[0].driver, .train[0].cars[0].riders[0].user, .train[1].riders" state.json >out &&
	printf "code\n1\ncarol\ncarol\n0\n" >expect &&
	test_cmp expect out &&
	curl -sf "$COCKPIT_URL/metrics" >metrics &&
	test_grep "^lanes_queue_riders{repository=\"server\",lane=\"code\"} 1$" metrics &&
	test_grep "^lanes_queue_riders{repository=\"server\",lane=\"config\"} 0$" metrics
'

test_expect_success 'the stamp changes when a hold is set' '
	curl -sf "$COCKPIT_URL/api/server/stamp" >s1 &&
	git -C "$SERVER" lanes hold all -m "freeze" >/dev/null &&
	curl -sf "$COCKPIT_URL/api/server/stamp" >s2 &&
	! test_cmp s1 s2 &&
	git -C "$SERVER" lanes release all >/dev/null
'

test_done
