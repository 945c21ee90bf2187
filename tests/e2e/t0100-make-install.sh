#!/bin/sh
# make install / uninstall: the installed layout works on its own (commands
# find their hook programs in ../libexec/try), man pages serve --help.
. "$(dirname "$0")/lib.sh"

inst="$TRASH/inst"

test_expect_success 'make install puts commands, hooks and man pages in place' '
	make -C "$SRC_DIR" -s install PREFIX=/opt/try DESTDIR="$inst" >out 2>&1 &&
	test -x "$inst/opt/try/bin/git-lanes" &&
	test -x "$inst/opt/try/bin/git-trunk" &&
	test -x "$inst/opt/try/libexec/try/try-pre-receive" &&
	test -f "$inst/opt/try/share/man/man1/git-lanes.1"
'

test_expect_success 'the installed git-trunk installs the installed hook' '
	git init -q --bare srv.git &&
	git -C srv.git symbolic-ref HEAD refs/heads/main &&
	PATH="$inst/opt/try/bin:/usr/bin:/bin" git trunk install --server srv.git >out &&
	test_grep "prog=${SQ}$inst/opt/try/libexec/try/try-pre-receive${SQ}" srv.git/hooks/pre-receive &&
	git init -q work && (cd work && test_commit one a.c) &&
	test_must_fail git -C work push -q "$TRASH/srv.git" main:topic 2>err &&
	test_grep "trunk-only" err &&
	git -C work push -q "$TRASH/srv.git" main 2>err &&
	test_grep "accepted, lane CODE" err
'

test_expect_success 'git lanes --help finds its man page' '
	MANPATH="$inst/opt/try/share/man" MANPAGER=cat PAGER=cat \
		PATH="$inst/opt/try/bin:$PATH" git lanes --help >out 2>&1 &&
	test_grep "deploy lane" out
'

test_expect_success 'make uninstall removes what install put there' '
	make -C "$SRC_DIR" -s uninstall PREFIX=/opt/try DESTDIR="$inst" >out 2>&1 &&
	test ! -e "$inst/opt/try/bin/git-lanes" &&
	test ! -e "$inst/opt/try/libexec/try/try-pre-receive" &&
	test ! -e "$inst/opt/try/share/man/man1/git-lanes.1"
'

test_done
