#!/bin/sh
# --version on every command and hook program: "<program> <version>", the
# same version everywhere, exit 0, nothing else done.
. "$(dirname "$0")/lib.sh"

test_expect_success 'every program answers --version with its name' '
	for p in git-commit-age git-lanes git-trunk git-try \
		try-commit-msg try-post-commit try-post-receive \
		try-pre-commit try-pre-push try-pre-receive
	do
		$p --version >out 2>err &&
		test ! -s err &&
		grep -q "^$p [^ ][^ ]*\$" out &&
		test "$(wc -l <out)" = 1 &&
		cut -d" " -f2 out >>versions || return 1
	done &&
	test "$(sort -u versions | wc -l)" = 1
'

test_expect_success 'through git: git lanes --version, git try --version' '
	git lanes --version >out &&
	grep -q "^git-lanes [^ ][^ ]*\$" out &&
	git try --version >out &&
	grep -q "^git-try [^ ][^ ]*\$" out &&
	git commit-age --version >out &&
	grep -q "^git-commit-age " out
'

test_done
