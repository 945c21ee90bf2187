# Shared set-up for the benchmarks; a bench-*.sh script sources this file.
#
#   BENCH_DIR  tests/bench            SRC_DIR  the repository root
#   WORK       tests/bench/work (scratch, git-ignored, removed by make clean)
#   RESULTS    $WORK/results.txt (machine-readable lines, appended)
#   HISTORY    the generated history ($WORK/history-<commits>-<files>),
#              built or reused by bench_history
#
# Knobs (environment): BENCH_COMMITS (50000), BENCH_FILES (20000),
# BENCH_RUNS (timed runs of a slow command, default 5), BENCH_VERBOSE=1 (show
# hyperfine's own output), BENCH_NO_HYPERFINE=1 (force the fallback loop).
#
# Timing: bench_time prints the median wall time in seconds, measured with
# hyperfine when it is installed, else with a plain loop around date +%s%N.
# Either way one warm-up run comes first, so caches are warm.
set -u

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
SRC_DIR=$(cd "$BENCH_DIR/../.." && pwd)
WORK="$BENCH_DIR/work"
RESULTS="$WORK/results.txt"
BENCH_COMMITS=${BENCH_COMMITS:-50000}
BENCH_FILES=${BENCH_FILES:-20000}
BENCH_RUNS=${BENCH_RUNS:-5}
HISTORY="$WORK/history-$BENCH_COMMITS-$BENCH_FILES"
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
export BENCH_DIR SRC_DIR WORK RESULTS HISTORY PYTHON

mkdir -p "$WORK/home" "$WORK/logs"
export HOME="$WORK/home"
export GIT_CONFIG_NOSYSTEM=1 TZ=UTC LC_ALL=C
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY \
	GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_QUARANTINE_PATH GL_ID \
	GIT_CONFIG_PARAMETERS TRY_HOOKS NO_COLOR 2>/dev/null || true
export GIT_AUTHOR_NAME="Bench Author" GIT_AUTHOR_EMAIL="author@example.com"
export GIT_COMMITTER_NAME="Bench Committer" \
	GIT_COMMITTER_EMAIL="committer@example.com"
export GIT_AUTHOR_DATE="1700000000 +0000" GIT_COMMITTER_DATE="1700000000 +0000"
export PATH="$SRC_DIR/cmd:$SRC_DIR/hooks:$PATH"
[ -f "$HOME/.gitconfig" ] || {
	git config --global init.defaultBranch main
	git config --global protocol.file.allow always
	git config --global gc.auto 0
}

BENCH_NAME=$(basename "$0" .sh)
BENCH_COMMIT=$(git -C "$SRC_DIR" describe --always --dirty 2>/dev/null ||
	echo unknown)

if [ -z "${BENCH_NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null 2>&1
then
	HYPERFINE=hyperfine
else
	HYPERFINE=
fi

die() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; exit 1; }

# bench_history: generate (or reuse) the synthetic history into $HISTORY.
bench_history() {
	_t0=$(date +%s%N)
	_out=$(sh "$BENCH_DIR/gen-history.sh" "$HISTORY" "$BENCH_COMMITS" \
		"$BENCH_FILES") || die "cannot generate the history"
	_t1=$(date +%s%N)
	printf '%s\n' "$_out"
	case "$_out" in *cached*) _cached=1 ;; *) _cached=0 ;; esac
	record history-gen "cached=$_cached" \
		"seconds=$(awk -v t="$((_t1 - _t0))" 'BEGIN { printf "%.3f", t / 1e9 }')" \
		"size_kib=$(du -sk "$HISTORY" | cut -f1)"
}

# need_bin <path>...: fail with a clear message when a built binary is
# missing (make bench builds them first).
need_bin() {
	for b in "$@"; do
		[ -x "$b" ] || die "missing '$b' (run make first)"
	done
}

# bench_time <label> <runs> <command> [<prepare command>]
# Runs <command> through sh, once to warm up then <runs> times (before each,
# <prepare command> when given, untimed), and prints the median wall time in
# seconds.  Fails when the command fails.  The detail goes to
# $WORK/logs/<label>.txt.
bench_time() {
	_label=$1 _runs=$2 _cmd=$3 _prep=${4:-}
	_log="$WORK/logs/$_label.txt"
	if [ -n "$HYPERFINE" ]; then
		_csv="$WORK/logs/$_label.csv"
		set -- --warmup 1 --runs "$_runs" --export-csv "$_csv" \
			-n "$_label"
		[ -n "$_prep" ] && set -- "$@" --prepare "$_prep"
		if [ -n "${BENCH_VERBOSE:-}" ]; then
			hyperfine "$@" "$_cmd" >&2 || return 1
		else
			hyperfine --style basic "$@" "$_cmd" >"$_log" 2>&1 || {
				cat "$_log" >&2
				return 1
			}
		fi
		tail -n 1 "$_csv" | awk -F, '{ printf "%.6f\n", $4 }'
	else
		: >"$_log"
		_i=0 _times=
		while [ "$_i" -le "$_runs" ]; do
			[ -n "$_prep" ] && { sh -c "$_prep" >>"$_log" 2>&1 || return 1; }
			_t0=$(date +%s%N)
			sh -c "$_cmd" >>"$_log" 2>&1 || { cat "$_log" >&2; return 1; }
			_t1=$(date +%s%N)
			# The first run warms the caches and is not counted.
			[ "$_i" -gt 0 ] && _times="$_times $((_t1 - _t0))"
			_i=$((_i + 1))
		done
		printf '%s\n' $_times | sort -n | awk '
			{ t[NR] = $1 }
			END {
				m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
				printf "%.6f\n", m / 1e9
			}'
	fi
}

# bench_maxrss <command>: peak resident set size of <command> (run through
# sh, output discarded) in KiB: the largest of the processes it runs, as
# Linux counts waited-for descendants.  GNU time when installed, else
# Python's getrusage of its children.
bench_maxrss() {
	if [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1; then
		_f="$WORK/logs/maxrss.$$"
		/usr/bin/time -o "$_f" -f %M sh -c "$1" >/dev/null 2>&1 ||
			return 1
		tail -n 1 "$_f"
		rm -f "$_f"
	else
		"$PYTHON" -c '
import resource, subprocess, sys
r = subprocess.run(["sh", "-c", sys.argv[1]],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if r.returncode:
    sys.exit(1)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$1"
	fi
}

# fmt_time <seconds>: "12.3 ms" below one second, "1.23 s" above.
fmt_time() {
	awk -v t="$1" 'BEGIN {
		if (t < 1) printf "%.1f ms", t * 1000; else printf "%.2f s", t }'
}

# verdict <value> <budget>: OK when value <= budget, else OVER BUDGET.
verdict() {
	awk -v v="$1" -v b="$2" 'BEGIN { print (v <= b) ? "OK" : "OVER BUDGET" }'
}

# record <bench> <key=value>...: append one machine-readable line to $RESULTS:
#   <UTC time> <git describe> <bench> history=<commits>x<files> <key=value>...
# Times are in seconds.
record() {
	printf '%s %s %s history=%sx%s' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		"$BENCH_COMMIT" "$1" "$BENCH_COMMITS" "$BENCH_FILES" >>"$RESULTS"
	shift
	printf ' %s' "$@" >>"$RESULTS"
	printf '\n' >>"$RESULTS"
}

# report_ratio <bench> <ours label> <ours s> <git label> <git s> <budget>
# Prints one table line and records it.
report_ratio() {
	_ratio=$(awk -v a="$3" -v b="$5" 'BEGIN { printf "%.2f", a / b }')
	_v=$(verdict "$_ratio" "$6")
	printf '%-15s %s %-9s  %s %-9s  ratio %s (budget %s)  %s\n' \
		"$1" "$2" "$(fmt_time "$3")" "$4" "$(fmt_time "$5")" \
		"$_ratio" "$6" "$_v"
	record "$1" "ours=$3" "git=$5" "ratio=$_ratio" "budget=$6" \
		"status=$(echo "$_v" | tr ' ' _)"
}

# report_info <bench> <text> <key=value>...: an informative line, no budget.
report_info() {
	_b=$1 _t=$2
	shift 2
	printf '%-15s %s\n' "$_b" "$_t"
	record "$_b" "$@"
}
