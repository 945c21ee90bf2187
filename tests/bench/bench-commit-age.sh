#!/bin/sh
# git commit-age against git status (issue 4):
#
#   commit-age-5k          `git commit-age --check` (a full scan) on a clean
#                          5,000-file working copy (budget: 10 ms)
#   commit-age-5k-prompt   `git commit-age --prompt` there, which may reuse a
#                          scan of the last 30 s (budget: 10 ms)
#   commit-age-100k        --check on 100,000 files against
#                          `git status --porcelain` (budget: ratio <= 0.5)
#   commit-age-100k-prompt --prompt there, against git status (<= 0.5)
# and, for information, git status on 5,000 files and --check on 100,000
# files with 20 changed and 20 untracked files.  On 100,000 files the three
# are measured in alternating rounds (BENCH_AGE_ROUNDS, default 3), each
# keeping its median round, as a shared machine's load drifts.
#
# The working copies are generated once into $WORK/commit-age-<n> (tracked
# C files in two levels of directories, an ignored object file per
# directory, an ignored build/ folder) and reused; BENCH_AGE_REGEN=1 makes
# them again.
. "$(dirname "$0")/lib.sh"

AGE_BIN="$SRC_DIR/cmd/git-commit-age"
need_bin "$AGE_BIN"

# gen_tree <dir> <top> <sub> <files>: top * sub * files tracked files
gen_tree() {
	_d=$1 _top=$2 _sub=$3 _nf=$4
	if [ -f "$_d/.git/bench-ok" ] && [ -z "${BENCH_AGE_REGEN:-}" ]; then
		echo "$BENCH_NAME: reusing $_d"
		return 0
	fi
	echo "$BENCH_NAME: generating $_d ($((_top * _sub * _nf)) files)"
	rm -rf "$_d" && mkdir -p "$_d" && git init -q "$_d" || return 1
	(
		cd "$_d" || exit 1
		printf '*.o\nbuild/\n' >.gitignore
		t=0
		while [ $t -lt "$_top" ]; do
			s=0
			while [ $s -lt "$_sub" ]; do
				p=src$t/mod$s
				mkdir -p $p
				f=0
				while [ $f -lt "$_nf" ]; do
					printf 'int f_%d_%d_%d(void)\n{\n\treturn %d;\n}\n' \
						$t $s $f $f >$p/file$f.c
					f=$((f + 1))
				done
				: >$p/file0.o
				s=$((s + 1))
			done
			t=$((t + 1))
		done
		mkdir -p build && : >build/out.bin
		git add -A && git commit -q -m tree && git gc -q &&
		: >.git/bench-ok
	) || return 1
}

# index_id <dir>: what identifies its index file
index_id() { stat -c '%s %Y %i' "$1/.git/index"; }

# settle <dir>: let git refresh its index until it stops rewriting it
# (racily clean entries take two writes) and the directories age past
# commit-age's two-second window for its listing cache; warm both up.
settle() {
	_n=0
	while :; do
		_id=$(index_id "$1")
		sleep 2
		git -C "$1" status --porcelain >/dev/null || die "git status failed"
		[ "$_id" = "$(index_id "$1")" ] && break
		_n=$((_n + 1))
		[ $_n -lt 5 ] || break
	done
	(cd "$1" && "$AGE_BIN" --check) || die "$1 is not clean"
	(cd "$1" && "$AGE_BIN" --check)
}

# report_abs <bench> <seconds> <budget ms> <what>
report_abs() {
	_v=$(verdict "$2" "$(awk -v b="$3" 'BEGIN { print b / 1000 }')")
	printf '%-22s %-9s (budget %s ms)  %s  %s\n' "$1" "$(fmt_time "$2")" \
		"$3" "$_v" "$4"
	record "$1" "ours=$2" "budget=$(awk -v b="$3" 'BEGIN { print b / 1000 }')" \
		"status=$(echo "$_v" | tr ' ' _)"
}

T5K="$WORK/commit-age-5k"
T100K="$WORK/commit-age-100k"
gen_tree "$T5K" 10 10 50 || die "cannot generate $T5K"
gen_tree "$T100K" 50 50 40 || die "cannot generate $T100K"
settle "$T5K"
settle "$T100K"

full5=$(bench_time commit-age-5k 40 "cd '$T5K' && '$AGE_BIN' --check") ||
	die "commit-age --check failed on 5k"
prompt5=$(bench_time commit-age-5k-prompt 40 \
	"cd '$T5K' && '$AGE_BIN' --prompt") || die "commit-age --prompt failed"
git5=$(bench_time git-status-5k 40 "cd '$T5K' && git status --porcelain") ||
	die "git status failed on 5k"
report_abs commit-age-5k "$full5" 10 "full scan (--check)"
report_abs commit-age-5k-prompt "$prompt5" 10 "--prompt"
report_info git-status-5k "git status --porcelain $(fmt_time "$git5")" \
	"git=$git5"

# The machine may be shared: git status and commit-age are measured in
# alternating rounds (BENCH_AGE_ROUNDS, 3) and each keeps its median round.
median() { printf '%s\n' "$@" | sort -n | awk '{ t[NR] = $1 }
	END { printf "%.6f\n", (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2 }'; }
rounds=${BENCH_AGE_ROUNDS:-3}
id100=$(index_id "$T100K")
g='' f='' p=''
r=0
while [ $r -lt "$rounds" ]; do
	g="$g $(bench_time git-status-100k 7 \
		"cd '$T100K' && git status --porcelain")" || die "git status failed"
	f="$f $(bench_time commit-age-100k 7 \
		"cd '$T100K' && '$AGE_BIN' --check")" || die "commit-age failed"
	p="$p $(bench_time commit-age-100k-prompt 7 \
		"cd '$T100K' && '$AGE_BIN' --prompt")" || die "--prompt failed"
	r=$((r + 1))
done
# shellcheck disable=SC2086
git100=$(median $g) full100=$(median $f) prompt100=$(median $p)
[ "$id100" = "$(index_id "$T100K")" ] ||
	echo "$BENCH_NAME: note: git status rewrote the index during the runs"
report_ratio commit-age-100k "commit-age --check" "$full100" \
	"git status" "$git100" 0.5
report_ratio commit-age-100k-prompt "commit-age --prompt" "$prompt100" \
	"git status" "$git100" 0.5

# a dirty tree: 20 edits and 20 new files (put back afterwards)
(
	cd "$T100K" || exit 1
	i=0
	while [ $i -lt 20 ]; do
		echo "/* edit */" >>src$i/mod$i/file$i.c
		echo new >src$i/mod$i/new$i.c
		i=$((i + 1))
	done
)
dirty100=$(bench_time commit-age-100k-dirty 15 \
	"cd '$T100K' && '$AGE_BIN' --check || [ \$? = 1 ]") ||
	die "commit-age failed on the dirty tree"
git -C "$T100K" checkout -q . && git -C "$T100K" clean -q -f &&
	git -C "$T100K" status --porcelain >/dev/null ||
	die "cannot put $T100K back"
rm -rf "$T100K/.git/try"
report_info commit-age-100k-dirty \
	"commit-age --check, 40 changes: $(fmt_time "$dirty100")" \
	"ours=$dirty100"
