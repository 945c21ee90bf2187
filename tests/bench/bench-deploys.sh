#!/bin/sh
# git lanes next against git itself (issue 9):
#
#   next-1000   `git lanes next` in a bare repository whose code and config
#               deploys are 1,000 commits behind the tip, against
#               `git rev-list --count <deployed>..main` (budget: ratio <= 2)
#
# A shared clone of the generated history gets the records
# (git lanes deployed in the bare repository writes them).
. "$(dirname "$0")/lib.sh"

LANES_BIN="$SRC_DIR/cmd/git-lanes"
need_bin "$LANES_BIN"
PATH="$SRC_DIR/cmd:$PATH"
export PATH

bench_history
R="$WORK/deploys.git"
rm -rf "$R"
git clone -q --bare --shared "$HISTORY" "$R" || die "cannot clone the history"
git --git-dir="$R" config --add lanes.config 'config/**' &&
git --git-dir="$R" config --add lanes.config 'flags/*.json' &&
BASE=$(git --git-dir="$R" rev-parse main~1000) &&
(cd "$R" && git lanes deployed code "$BASE" >/dev/null &&
 git lanes deployed config "$BASE" >/dev/null) ||
	die "cannot record the deploys"

t_next=$(bench_time next-1000-ours "$BENCH_RUNS" \
	"cd '$R' && git lanes next >/dev/null") || die "git lanes next failed"
t_git=$(bench_time next-1000-git "$BENCH_RUNS" \
	"git --git-dir='$R' rev-list --count $BASE..main >/dev/null") ||
	die "git rev-list failed"
report_ratio next-1000 "git-lanes next" "$t_next" "git rev-list" "$t_git" 2
