#!/bin/sh
# git lanes --timeout: the server hook's deadline logic (checked before each
# commit is classified) on request.  A range classified in time is shown as
# without it; a value that is not a number of seconds is a usage error.
. "$(dirname "$0")/lib.sh"

test_expect_success 'setup: a repository with config and code commits' '
	git init -q repo &&
	(cd repo && git config lanes.config "config/**" &&
	 test_commit "code" src/a.c &&
	 test_commit "config" config/x)
'

test_expect_success 'a range classified in time: the same output as without' '
	(cd repo && git lanes HEAD~1..HEAD >expect &&
	 git lanes --timeout=30 HEAD~1..HEAD >actual) &&
	test_cmp repo/expect repo/actual &&
	test_grep "CONFIG" repo/actual
'

test_expect_success 'a timeout that is not 1 to 86400 seconds: exit 129' '
	for t in 0 -1 x 86401 ""; do
		(cd repo && test_exit_code 129 git lanes --timeout=$t HEAD) >out 2>err &&
		test_grep "^git-lanes: --timeout takes seconds from 1 to 86400" err &&
		test ! -s out || return 1
	done
'

test_done
