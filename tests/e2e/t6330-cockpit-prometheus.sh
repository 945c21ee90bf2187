#!/bin/sh
# /metrics with the real Prometheus from Debian: promtool accepts the text,
# and a scrape answers a query for the hold metric with 1 while held.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/e2e/cockpit.sh"

command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || {
	echo "not ok - prometheus is missing (tests/deps.sh installs it)"
	exit 1
}
SERVER="$TRASH/server.git"
server_repo "$SERVER" &&
git -C "$SERVER" config --add lanes.webhook "http://127.0.0.1:9/hook?token=secret" &&
git -C "$SERVER" config lanes.webhookTimeout 1 &&
git clone -q "$SERVER" work 2>/dev/null &&
(cd work && test_commit "initial import" src/app.c &&
	test_commit "say \"hi\" \\ there" src/hi.c &&
	git push -q origin main 2>/dev/null) &&
git -C "$SERVER" lanes hold code -m "quoted \"reason\"" >/dev/null &&
cockpit_start "$SERVER" || {
	echo "not ok - could not start git lanes serve"
	exit 1
}

PROM_PORT=$(free_port)
mkdir -p prom &&
cat >prom/prometheus.yml <<EOF &&
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: lanes
    static_configs:
      - targets: ['127.0.0.1:$COCKPIT_PORT']
EOF
[ $? = 0 ] || {
	echo "not ok - could not set up the server configuration"
	exit 1
}
setsid prometheus --config.file=prom/prometheus.yml \
	--storage.tsdb.path=prom/data --web.listen-address="127.0.0.1:$PROM_PORT" \
	>prom/log 2>&1 &
at_exit "kill -- -$!"
PROM="http://127.0.0.1:$PROM_PORT"

# query <promql>: the value of the first sample, or nothing
query() {
	curl -sf --get --data-urlencode "query=$1" "$PROM/api/v1/query" |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
# wait_for <promql> <value>: up to 30 s
wait_for() {
	local i=0
	while [ $i -lt 150 ]; do
		[ "$(query "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	echo "wait_for: $1 is not $2: $(query "$1")" >&2
	return 1
}

test_expect_success 'promtool check metrics accepts /metrics' '
	curl -sf "$COCKPIT_URL/metrics" >metrics &&
	promtool check metrics <metrics >out 2>&1 &&
	test_grep "^lanes_webhook_spool_events{repository=\"server\",destination=\"http://127.0.0.1:9/hook.*} 2$" metrics &&
	! grep secret metrics
'

test_expect_success 'Prometheus scrapes it: the hold metric is 1 while held' '
	wait_for "lanes_hold{lane=\"code\",repository=\"server\"}" 1 &&
	wait_for "lanes_pending_commits{lane=\"code\"}" 2 &&
	wait_for "lanes_events_total{type=\"push\",lane=\"code\"}" 1 &&
	wait_for "up{job=\"lanes\"}" 1
'

test_expect_success 'and 0 once released' '
	git -C "$SERVER" lanes release code >/dev/null &&
	wait_for "lanes_hold{lane=\"code\",repository=\"server\"}" 0
'

test_done
