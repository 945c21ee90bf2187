#!/bin/sh
# run.sh <seconds> <fuzzer>...: runs each libFuzzer harness for <seconds>
# from its seeds in tests/fuzz/corpus/<name>/ (new inputs go to a scratch
# folder, never into the checked-in seeds) and fails on the first crash,
# leak or sanitizer report, leaving the input as tests/fuzz/build/crash-*.
secs=$1
shift
fail=0 passed=0 failed=0
scratch=$(mktemp -d "${TMPDIR:-/tmp}/try-fuzz-run.XXXXXX") || exit 128
trap 'rm -rf "$scratch"' EXIT
for f in "$@"; do
	name=${f##*/fuzz_}
	seeds=tests/fuzz/corpus/$name
	mkdir -p "$scratch/$name"
	printf 'fuzz %-12s %ss ... ' "$name" "$secs"
	if TMPDIR=$scratch "$f" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=1024 -print_final_stats=0 \
		-artifact_prefix=tests/fuzz/build/crash-"$name"- \
		"$scratch/$name" "$seeds" >"$scratch/$name.log" 2>&1
	then
		runs=$(sed -n 's/^#\([0-9]*\).*DONE.*/\1/p' \
			"$scratch/$name.log" | tail -n 1)
		echo "ok (${runs:-?} runs)"
		passed=$((passed + 1))
	else
		echo FAILED
		tail -n 40 "$scratch/$name.log"
		fail=1
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
exit $fail
