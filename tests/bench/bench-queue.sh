#!/bin/sh
# The push train's budget: a queue action from a clone (one fetch, one push
# of the queue commit, refereed by the server's pre-receive hook) against a
# plain `git push` of a one-commit change to the same server, run in pairs
# (A B A B ...).  Budget: ratio under 1.2.  The server is a bare repository
# on a local path with the try hooks installed (git runs them as for any
# push); the HTTP round trips of t6200 are not part of it.
. "$(dirname "$0")/lib.sh"

PAIRS=${BENCH_PAIRS:-15}
DIR="$WORK/queue"
rm -rf "$DIR"
mkdir -p "$DIR"
cd "$DIR" || die "no $DIR"

git init -q --bare server.git &&
git -C server.git symbolic-ref HEAD refs/heads/main &&
git trunk install --server server.git >/dev/null &&
git clone -q server.git clone 2>/dev/null &&
(cd clone && git commit -q --allow-empty -m initial &&
 git push -q origin main 2>/dev/null) || die "set-up failed"

now_ns() { date +%s%N; }
ours= theirs=
i=0
while [ $i -le "$PAIRS" ]; do
	# A: git lanes queue join (untimed leave first)
	git -C clone lanes queue leave >/dev/null 2>&1
	t0=$(now_ns)
	git -C clone lanes queue join >/dev/null || die "join failed"
	t1=$(now_ns)
	# B: git push of a one-commit change (untimed commit first)
	git -C clone commit -q --allow-empty -m "change $i"
	t2=$(now_ns)
	git -C clone push -q origin main 2>/dev/null || die "push failed"
	t3=$(now_ns)
	# the first pair warms the caches
	if [ $i -gt 0 ]; then
		ours="$ours $((t1 - t0))"
		theirs="$theirs $((t3 - t2))"
	fi
	i=$((i + 1))
done
median() {
	printf '%s\n' "$@" | sort -n | awk '{ t[NR] = $1 } END {
		m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
		printf "%.6f\n", m / 1e9 }'
}
report_ratio queue-join "queue join" "$(median $ours)" "git push" \
	"$(median $theirs)" 1.2
