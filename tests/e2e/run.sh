#!/bin/sh
# Runs the end-to-end tests (all of them, or those named) and closes with a
# "N passed, N failed" line.  Each script runs on its own; output of a failing
# one is shown.
cd "$(dirname "$0")" || exit 1
if [ $# -gt 0 ]; then tests="$*"; else tests=$(ls t[0-9]*.sh); fi
passed=0 failed=0 failures=
for t in $tests; do
	t=$(basename "$t")
	start=$(date +%s)
	if out=$(bash "./$t" 2>&1); then
		passed=$((passed + $(printf '%s\n' "$out" | grep -c '^ok ')))
		echo "PASS $t ($(( $(date +%s) - start ))s)"
	else
		n=$(printf '%s\n' "$out" | grep -c '^not ok ')
		[ "$n" -gt 0 ] || n=1
		failed=$((failed + n))
		passed=$((passed + $(printf '%s\n' "$out" | grep -c '^ok ')))
		failures="$failures $t"
		echo "FAIL $t"
		printf '%s\n' "$out" | sed 's/^/    /'
	fi
done
echo "e2e: $passed passed, $failed failed"
[ "$failed" = 0 ] || { echo "failing:$failures"; exit 1; }
