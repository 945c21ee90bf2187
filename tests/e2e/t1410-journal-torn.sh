#!/bin/sh
# A journal line torn by a killed post-receive (issue 14, item 9) must not
# swallow the next event: the next writer ends the fragment first, so the
# new event stays a line of its own and `git lanes log` shows it.
. "$(dirname "$0")/lib.sh"

SERVER="$TRASH/server.git"
JOURNAL="$SERVER/lanes/events.jsonl"

test_expect_success 'setup: a server with a journal of one event' '
	server_repo "$SERVER" &&
	git -C "$SERVER" config lanes.config "config/**" &&
	git clone -q "file://$SERVER" work 2>/dev/null &&
	(cd work && test_commit "first" src/a.c) &&
	git -C work push -q origin HEAD:main 2>/dev/null &&
	test "$(wc -l <"$JOURNAL")" -eq 1
'

test_expect_success 'the push after a torn line is journaled whole' '
	printf "{\"id\":\"torn\",\"time\":\"2024" >>"$JOURNAL" &&
	(cd work && test_commit "DARK after the tear" src/b.c) &&
	git -C work push -q origin HEAD:main 2>/dev/null &&
	tail -n 1 "$JOURNAL" >last &&
	python3 -c "import json,sys; e=json.load(open(sys.argv[1])); print(e[\"commits\"][0][\"subject\"])" last >subject &&
	echo "DARK after the tear" >expect &&
	test_cmp expect subject &&
	git -C "$SERVER" lanes log -n 1 >log 2>err &&
	test_grep "DARK after the tear" log
'

test_expect_success 'the fragment stays one skipped line, told once' '
	(cd work && test_commit "DARK one more" src/c.c) &&
	git -C work push -q origin HEAD:main 2>/dev/null &&
	test "$(wc -l <"$JOURNAL")" -eq 4 &&
	git -C "$SERVER" lanes log -n 10 >log 2>err &&
	test_grep "warning: 1 journal line skipped" err &&
	test_grep "DARK after the tear" log &&
	test_grep "DARK one more" log
'

test_done
