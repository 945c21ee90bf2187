#!/bin/sh
# The cockpit in a real browser: Debian's headless Chromium loads the page
# with JavaScript off (server-rendered, times in UTC) and on (times in the
# viewer's zone, UTC on hover), and picks up a hold set from the CLI within
# 5 seconds.  A screenshot is kept in the trash (TEST_KEEP=1 keeps it).
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/e2e/cockpit.sh"

command -v chromium >/dev/null 2>&1 || {
	echo "not ok - chromium is missing (tests/deps.sh installs it)"
	exit 1
}
SERVER="$TRASH/server.git"
server_repo "$SERVER" &&
git -C "$SERVER" config --add lanes.config "config/**" &&
git clone -q "$SERVER" work 2>/dev/null &&
(cd work && test_commit "initial import" src/app.c &&
	test_commit "tune the <b>pool</b>" config/pool.yml &&
	git push -q origin main 2>/dev/null) &&
cockpit_start "$SERVER" &&
browser_start || {
	echo "not ok - could not start git lanes serve or chromium"
	exit 1
}
PAGE="$COCKPIT_URL/r/server/"
BROWSER="$SRC_DIR/tests/e2e/servers/browser.py"

test_expect_success 'JavaScript off: lanes, pending commits, timeline, UTC times' '
	git -C "$SERVER" lanes hold config -m "pool is <i>full</i>" >/dev/null &&
	"$BROWSER" "$BROWSER_DIR" "$PAGE" nojs dom:nojs.html "shot:$TRASH/nojs.png" &&
	test_grep "<section class=\"box\" id=\"lane-code\">" nojs.html &&
	test_grep "HELD (config) by $(id -un)" nojs.html &&
	test_grep "pool is &lt;i&gt;full&lt;/i&gt;" nojs.html &&
	test_grep "tune the &lt;b&gt;pool&lt;/b&gt;" nojs.html &&
	test_grep "<table id=\"timeline\">" nojs.html &&
	test_grep "<td>push</td>" nojs.html &&
	test_grep "2023-11-14 22:13 UTC</time>" nojs.html &&
	! grep -i "<i>full" nojs.html
'

test_expect_success 'JavaScript on: the same page, times in the viewer zone' '
	browser_dump "$PAGE" js.html --virtual-time-budget=500 &&
	test_grep "HELD (config) by $(id -un)" js.html &&
	test_grep "<td class=\"s\">tune the &lt;b&gt;pool&lt;/b&gt;</td>" js.html &&
	test_grep "title=\"2023-11-14 22:13:20 UTC\"" js.html &&
	! grep "2023-11-14 22:13 UTC</time>" js.html
'

test_expect_success 'a hold set with the CLI appears within 5 s, no reload' '
	"$BROWSER" "$BROWSER_DIR" "$PAGE" \
		"wait:5:!document.querySelector(\"#lane-code .banner\")" \
		"run:git -C \"$SERVER\" lanes hold code -m \"tests are red\" >/dev/null" \
		"wait:5:(document.querySelector(\"#lane-code .banner\")||{}).textContent" \
		"dom:live.html" "shot:$TRASH/cockpit.png" >out &&
	test $(grep -c "^waited" out) = 2 &&
	test_grep "HELD (code) by $(id -un)" live.html &&
	test_grep "tests are red" live.html &&
	test_grep "data-refreshed=" live.html &&
	test -s "$TRASH/cockpit.png" &&
	echo "screenshot: $TRASH/cockpit.png"
'

test_done
