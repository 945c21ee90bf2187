#!/bin/sh
# Runs the benchmarks: every tests/bench/bench-*.sh in order (or those named),
# showing their output as it comes.  Exits non-zero when a script fails.
# A result over its budget is reported ("OVER BUDGET"), not a failure: a
# benchmark is not a unit test.  Machine-readable lines accumulate in
# tests/bench/work/results.txt.
cd "$(dirname "$0")" || exit 1
mkdir -p work

if [ -z "${BENCH_NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null 2>&1
then
	timer="$(hyperfine --version)"
else
	timer="date +%s%N loop (hyperfine not installed)"
fi
echo "bench: $(git --version), $(nproc 2>/dev/null || echo '?') cores," \
	"timing with $timer"

if [ $# -gt 0 ]; then benches="$*"; else benches=$(ls bench-*.sh 2>/dev/null); fi
[ -n "$benches" ] || { echo "bench: no bench-*.sh scripts" >&2; exit 1; }

failed=
start=$(date +%s)
for b in $benches; do
	b=$(basename "$b")
	echo "*** $b"
	if ! sh "./$b"; then
		echo "FAIL $b"
		failed="$failed $b"
	fi
done
echo "bench: done in $(( $(date +%s) - start )) s; results in" \
	"tests/bench/work/results.txt"
[ -z "$failed" ] || { echo "bench: failing:$failed"; exit 1; }
