#!/bin/sh
# Client hooks, no-op runs through the shims `git trunk install` writes
# (issue 4: "every hook: start-up and a no-op run in at most 5 ms"):
#
#   hook-pre-commit    on the trunk, clean tree, nothing to report (5 ms)
#   hook-post-commit   restarts the commit-age clock (5 ms)
# and, for information, commit-msg on a one-line message, pre-push with
# nothing to push, and /bin/true for the cost of starting any process.
# The shims are run directly, as git runs them, from the top of a scratch
# clone ($WORK/hooks-clone, made again each time).
. "$(dirname "$0")/lib.sh"

need_bin "$SRC_DIR/cmd/git-trunk"
need_bin "$SRC_DIR/hooks/try-pre-commit"

C="$WORK/hooks-clone"
rm -rf "$C" "$WORK/hooks-server.git" &&
git init -q --bare "$WORK/hooks-server.git" &&
git clone -q "$WORK/hooks-server.git" "$C" 2>/dev/null &&
(cd "$C" && echo a >a.c && git add a.c && git commit -q -m init &&
 git push -q origin main 2>/dev/null && git trunk install >/dev/null) ||
	die "cannot set up $C"
echo "subject line" >"$WORK/hooks-msg"
# the first measure after a commit caches HEAD's tree: a no-op starts after
(cd "$C" && .git/hooks/pre-commit && .git/hooks/post-commit) ||
	die "the hooks fail in $C"

# report_hook <bench> <seconds> <budget ms or -> <true seconds> <what>
report_hook() {
	if [ "$3" = - ]; then
		printf '%-18s %-9s (/bin/true %s)  %s\n' "$1" "$(fmt_time "$2")" \
			"$(fmt_time "$4")" "$5"
		record "$1" "ours=$2" "true=$4"
		return
	fi
	_v=$(verdict "$2" "$(awk -v b="$3" 'BEGIN { print b / 1000 }')")
	printf '%-18s %-9s (budget %s ms, /bin/true %s)  %s  %s\n' "$1" \
		"$(fmt_time "$2")" "$3" "$(fmt_time "$4")" "$_v" "$5"
	record "$1" "ours=$2" "true=$4" \
		"budget=$(awk -v b="$3" 'BEGIN { print b / 1000 }')" \
		"status=$(echo "$_v" | tr ' ' _)"
}

RUNS=${BENCH_HOOK_RUNS:-100}
true_s=$(bench_time hook-true "$RUNS" "/bin/true") || die "/bin/true"
pre=$(bench_time hook-pre-commit "$RUNS" \
	"cd '$C' && .git/hooks/pre-commit") || die "pre-commit"
post=$(bench_time hook-post-commit "$RUNS" \
	"cd '$C' && .git/hooks/post-commit") || die "post-commit"
msg=$(bench_time hook-commit-msg "$RUNS" \
	"cd '$C' && .git/hooks/commit-msg '$WORK/hooks-msg'") || die "commit-msg"
push=$(bench_time hook-pre-push "$RUNS" \
	"cd '$C' && .git/hooks/pre-push origin '$WORK/hooks-server.git' </dev/null") ||
	die "pre-push"

report_hook hook-pre-commit "$pre" 5 "$true_s" "on the trunk, nothing to say"
report_hook hook-post-commit "$post" 5 "$true_s" "clears the commit-age state"
report_hook hook-commit-msg "$msg" - "$true_s" "one-line message, no staged change"
report_hook hook-pre-push "$push" - "$true_s" "nothing to push"
