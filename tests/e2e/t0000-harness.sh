#!/bin/sh
# The harness itself: a test fails when its body fails or when its && chain
# is broken (a failing command whose status a later line would hide), and
# passes when a correct body succeeds.  Each case runs a small script that
# sources lib.sh and reads the "ok" / "not ok" lines it prints.
. "$(dirname "$0")/lib.sh"

# run_sub <name>: run sub/<name>.sh (written by the test) with lib.sh;
# its output lands in <name>.out, its exit status in <name>.rc.
mkdir sub
cp "$SRC_DIR/tests/e2e/lib.sh" sub/lib.sh
run_sub() {
	(unset TEST_CHAIN_LINT; TMPDIR="$TRASH" bash "sub/$1.sh" >"$1.out" 2>&1;
		echo $? >"$1.rc")
}

test_expect_success 'a correct body passes' '
	cat >sub/good.sh <<-\EOT &&
	. "$(dirname "$0")/lib.sh"
	test_expect_success "good" "
		echo one >f &&
		cat >expect <<-\END &&
		one
		END
		test_cmp expect f
	"
	test_done
	EOT
	run_sub good &&
	grep "^ok 1 - good$" good.out &&
	echo 0 >expect &&
	test_cmp expect good.rc
'

test_expect_success 'a failing last command fails the test' '
	cat >sub/fail.sh <<-\EOT &&
	. "$(dirname "$0")/lib.sh"
	test_expect_success "fail" "
		true &&
		false
	"
	test_done
	EOT
	run_sub fail &&
	grep "^not ok 1 - fail$" fail.out &&
	echo 1 >expect &&
	test_cmp expect fail.rc
'

test_expect_success 'a broken && chain fails the test even when it ends well' '
	cat >sub/broken.sh <<-\EOT &&
	. "$(dirname "$0")/lib.sh"
	test_expect_success "broken" "
		false
		true
	"
	test_done
	EOT
	run_sub broken &&
	grep "^not ok 1 - broken$" broken.out &&
	grep "broken &&-chain" broken.out &&
	echo 1 >expect &&
	test_cmp expect broken.rc
'

test_expect_success 'a here-doc without && breaks the chain' '
	cat >sub/heredoc.sh <<-\EOT &&
	. "$(dirname "$0")/lib.sh"
	test_expect_success "heredoc" "
		cat >expect <<-\END
		one
		END
		echo one >actual &&
		test_cmp expect actual
	"
	test_done
	EOT
	run_sub heredoc &&
	grep "^not ok 1 - heredoc$" heredoc.out &&
	grep "broken &&-chain" heredoc.out
'

test_expect_success 'a run-away here-doc fails the test' '
	cat >sub/runaway.sh <<-\EOT &&
	. "$(dirname "$0")/lib.sh"
	test_expect_success "runaway" "
		true &&
		cat >expect <<-\END
		one
		ENDX
	"
	test_done
	EOT
	run_sub runaway &&
	grep "^not ok 1 - runaway$" runaway.out
'

test_expect_success 'subshells, loops and here-docs inside a chain pass' '
	cat >sub/compound.sh <<-\EOT &&
	. "$(dirname "$0")/lib.sh"
	test_expect_success "compound" "
		mkdir d &&
		(
			cd d &&
			echo x >x
		) &&
		for f in a b
		do
			echo \$f >d/\$f || return 1
		done &&
		if test -f d/a
		then
			echo yes >got
		fi &&
		cat >expect <<-\END &&
		yes
		END
		test_cmp expect got
	"
	test_done
	EOT
	run_sub compound &&
	grep "^ok 1 - compound$" compound.out
'

test_expect_success 'the lint does not count the body twice' '
	cat >sub/once.sh <<-\EOT &&
	. "$(dirname "$0")/lib.sh"
	test_expect_success "once" "
		echo x >>count &&
		test \$(wc -l <count) = 1
	"
	test_done
	EOT
	run_sub once &&
	grep "^ok 1 - once$" once.out
'

test_expect_success 'TEST_CHAIN_LINT=0 turns the check off' '
	cat >sub/nolint.sh <<-\EOT &&
	. "$(dirname "$0")/lib.sh"
	TEST_CHAIN_LINT=0
	test_expect_success "nolint" "
		false
		true
	"
	test_done
	EOT
	run_sub nolint &&
	grep "^ok 1 - nolint$" nolint.out
'

test_done
