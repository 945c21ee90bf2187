#!/bin/sh
# The cost of the .lanes file on a push (issue 8: "reading the policy costs
# under 1 ms"): the server's pre-receive hook on the same one-commit push
# into two bare repositories that differ only in a .lanes file on the
# trunk, measured in alternating rounds (BENCH_LANES_ROUNDS, default 5) of
# BENCH_LANES_RUNS runs (default 40), with /bin/true in the same rounds.
. "$(dirname "$0")/lib.sh"

HOOK="$SRC_DIR/hooks/try-pre-receive"
need_bin "$HOOK"

setup() { # <dir> <with .lanes: 0|1>
	rm -rf "$1" "$1.src" && git init -q --bare "$1" &&
	git init -q "$1.src" &&
	(cd "$1.src" && mkdir -p src config && echo a >src/a.c &&
	 echo f >config/flag.yml &&
	 if [ "$2" = 1 ]; then
		printf '[lanes]\n\tconfig = config/**\n\tstrictDark = true\n' \
			>.lanes
	 fi &&
	 git add . && git commit -q -m init &&
	 git push -q "$1" HEAD:refs/heads/main &&
	 echo b >src/a.c && git commit -q -a -m "change" &&
	 git push -q "$1" HEAD:refs/heads/incoming &&
	 printf '%s %s refs/heads/main\n' "$(git rev-parse HEAD~1)" \
		"$(git rev-parse HEAD)" >"$1.input") &&
	git -C "$1" symbolic-ref HEAD refs/heads/main
}
setup "$WORK/lanes-without.git" 0 || die "cannot set up"
setup "$WORK/lanes-with.git" 1 || die "cannot set up"
GIT_DIR="$WORK/lanes-with.git" "$HOOK" <"$WORK/lanes-with.git.input" \
	>/dev/null 2>&1 || die "the hook fails with .lanes"

RUNS=${BENCH_LANES_RUNS:-40}
ROUNDS=${BENCH_LANES_ROUNDS:-5}
r=0 ratios= diffs= ts=
while [ $r -lt "$ROUNDS" ]; do
	a=$(bench_time lanes-without "$RUNS" "GIT_DIR='$WORK/lanes-without.git' '$HOOK' <'$WORK/lanes-without.git.input'") || die without
	b=$(bench_time lanes-with "$RUNS" "GIT_DIR='$WORK/lanes-with.git' '$HOOK' <'$WORK/lanes-with.git.input'") || die with
	t=$(bench_time lanes-true "$RUNS" "/bin/true") || die true
	ratios="$ratios $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", b / a }')"
	diffs="$diffs $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.6f", b - a }')"
	ts="$ts $(awk -v a="$a" -v t="$t" 'BEGIN { printf "%.4f", a / t }')"
	r=$((r + 1))
done
med() { printf '%s\n' $* | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio=$(med $ratios) diff=$(med $diffs) tr=$(med $ts)
printf '%-15s with/without .lanes: ratio %s, difference %s (budget 1 ms)  %s; hook/true %s\n' \
	lanes-file "$ratio" "$(fmt_time "$diff")" "$(verdict "$diff" 0.001)" "$tr"
record lanes-file "ratio=$ratio" "diff=$diff" "hook_true=$tr" budget=0.001 \
	"status=$(verdict "$diff" 0.001 | tr ' ' _)"
