#!/bin/sh
# 200 concurrent clients refreshing the cockpit on loopback for a bounded
# time (LOAD_SECONDS, default 30): no error, under 32 MiB resident while
# they are connected, and no growth in memory from one run to the next.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/e2e/cockpit.sh"

SERVER="$TRASH/server.git"
server_repo "$SERVER" &&
git clone -q "$SERVER" work 2>/dev/null &&
(cd work && for i in 1 2 3 4 5 6 7 8; do
	test_commit "change $i" "src/f$i.c" && git push -q origin main 2>/dev/null
done) &&
git -C "$SERVER" lanes hold code -m "load test" >/dev/null &&
cockpit_start "$SERVER" || {
	echo "not ok - could not start git lanes serve"
	exit 1
}
LOAD="$SRC_DIR/tests/e2e/servers/load.py"
SECONDS_=${LOAD_SECONDS:-30}

rss() { sed -n "s/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p" /proc/$COCKPIT_PID/status; }

test_expect_success 'warm-up: 200 clients for 5 s, no error' '
	"$LOAD" "$COCKPIT_PORT" server 200 5 "$COCKPIT_PID" >warm &&
	cat warm &&
	test_grep "errors 0 " warm &&
	rss >rss.warm
'

test_expect_success "200 clients for $SECONDS_ s: no error, < 32 MiB" '
	"$LOAD" "$COCKPIT_PORT" server 200 "$SECONDS_" "$COCKPIT_PID" >run &&
	cat run &&
	test_grep "errors 0 " run &&
	peak=$(sed "s/.*peak_rss_kib //" run) &&
	test "$peak" -lt 32768 &&
	rss >rss.after
'

test_expect_success 'no growth in memory after the run' '
	warm=$(cat rss.warm) after=$(cat rss.after) &&
	echo "resident after warm-up $warm KiB, after the run $after KiB" &&
	test "$after" -le $((warm + 2048)) &&
	http_status "$COCKPIT_URL/r/server/" >actual &&
	echo 200 >expect && test_cmp expect actual
'

test_done
