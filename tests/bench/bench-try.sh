#!/bin/sh
# git try (issue 3, "Benchmark"):
#
#   try-patch      patch generation, `git try --dry-run` (which makes the
#                  patch, resolves the base and prints it), on a working copy
#                  of 100,000 files with 10 changed (7 edits, 1 binary, 1
#                  deletion, 1 mode change), against `git diff --binary
#                  <base>` in the same run (budget: ratio <= 1.2)
#   try-buildbot   overhead of `git try` submitting to a real Buildbot master
#                  and waiting for the result, over the build's own duration
#                  (budget: < 0.3 s).  A Python client polling the REST API
#                  every 10 ms beside git try sees the build request appear
#                  and its build complete: that is the build's own duration
#                  (scheduling, checkout, patch, test step).  git try's wall
#                  time minus that, per run, is the overhead: starting,
#                  making the patch, checking the scheduler, posting, the
#                  polling delay, printing.  The median of the runs
#                  (BENCH_TRY_BB_RUNS, 7) is reported.
#   try-bb-log     what the failing step and its 30-line log tail add to a
#                  failing try (issue 12: < 0.1 s): each round runs a
#                  passing try and then a failing one on the same master;
#                  the median overhead of the failing tries minus that of
#                  the passing ones.
# and, for information, `git try --dry-run --untracked` on the same copy.
#
# Knobs: BENCH_TRY_FILES (100000), BENCH_RUNS, BENCH_TRY_BB=0 skips the
# Buildbot part (it needs the buildbot and buildbot-worker packages).
. "$(dirname "$0")/lib.sh"

TRY_BIN="$SRC_DIR/cmd/git-try"
need_bin "$TRY_BIN"
NFILES=${BENCH_TRY_FILES:-100000}
REPO="$WORK/try-$NFILES"
status=0

# --- a working copy of $NFILES files, cached --------------------------------
make_copy() {
	[ -f "$REPO/.git/try-bench-done" ] && return 0
	rm -rf "$REPO" "$REPO.tmp"
	git init -q "$REPO.tmp" || return 1
	"$PYTHON" - "$NFILES" <<-'EOF' | git -C "$REPO.tmp" fast-import --quiet || return 1
	import sys
	n = int(sys.argv[1])
	out = sys.stdout.buffer
	w = out.write
	for i in range(n):
	    data = ("file %d\n" % i + "line of text\n" * (i % 7 + 1)).encode()
	    if i % 997 == 0:
	        data = bytes(range(256)) * 3 + data
	    w(b"blob\nmark :%d\ndata %d\n%s\n" % (i + 1, len(data), data))
	w(b"commit refs/heads/main\nmark :%d\n" % (n + 1))
	w(b"committer Bench <b@example.com> 1700000000 +0000\ndata 5\nbase\n")
	for i in range(n):
	    mode = b"100755" if i % 50 == 0 else b"100644"
	    w(b"M %s :%d d%03d/e%02d/f%05d.%s\n" % (
	        mode, i + 1, i % 1000, (i // 1000) % 100, i,
	        b"bin" if i % 997 == 0 else b"txt"))
	w(b"\n")
	EOF
	git -C "$REPO.tmp" reset -q --hard main &&
	git -C "$REPO.tmp" update-ref refs/remotes/origin/main main &&
	touch "$REPO.tmp/.git/try-bench-done" &&
	mv "$REPO.tmp" "$REPO"
}

change_copy() {
	(
		cd "$REPO" || exit 1
		git reset -q --hard main
		for i in 1 1001 2002 3003 4004 5005 6006; do
			f=$(printf 'd%03d/e%02d/f%05d.txt' $((i % 1000)) \
				$(((i / 1000) % 100)) "$i")
			echo "changed for the benchmark" >>"$f"
		done
		printf 'changed\000binary' >>d000/e00/f00000.bin
		rm d008/e08/f08008.txt
		chmod +x d009/e09/f09009.txt
		# stat data settled, as in a working copy that has been used
		sleep 1
		git update-index -q --refresh >/dev/null
		git status >/dev/null
	)
}

t0=$(date +%s)
make_copy || die "cannot make the $NFILES-file working copy"
echo "try-patch       working copy of $NFILES files ready ($(( $(date +%s) - t0 )) s)"
change_copy || die "cannot change the working copy"
base=$(git -C "$REPO" rev-parse main)
nchanged=$(cd "$REPO" && git try --dry-run 2>/dev/null | grep -c '^diff --git ')
[ "$nchanged" = 10 ] || die "expected 10 changed files, the patch has $nchanged"
(cd "$REPO" && git try --dry-run 2>/dev/null) >"$WORK/try.patch"
(cd "$REPO" && git diff --binary "$base") >"$WORK/git.patch"

ours=$(bench_time try-patch "$BENCH_RUNS" \
	"cd '$REPO' && git try --dry-run >/dev/null 2>&1") ||
	die "git try --dry-run failed"
theirs=$(bench_time git-diff-binary "$BENCH_RUNS" \
	"cd '$REPO' && git diff --binary $base >/dev/null") ||
	die "git diff --binary failed"
report_ratio try-patch "git try --dry-run" "$ours" \
	"git diff --binary" "$theirs" 1.2
untracked=$(bench_time try-patch-untracked "$BENCH_RUNS" \
	"cd '$REPO' && git try --dry-run --untracked >/dev/null 2>&1") ||
	die "git try --dry-run --untracked failed"
report_info try-untracked "git try --dry-run --untracked $(fmt_time "$untracked")" \
	"ours=$untracked"
report_info try-patch-size "patch $(wc -c <"$WORK/try.patch") bytes, git diff --binary $(wc -c <"$WORK/git.patch") bytes" \
	"ours_bytes=$(wc -c <"$WORK/try.patch")" \
	"git_bytes=$(wc -c <"$WORK/git.patch")"

# --- git try list with 1,000 records (issue 12: under 20 ms) --------------
# A small repository whose <gitdir>/try/ holds 1,000 records of two jobs
# each, a failed one with a 30-line log; against `git rev-parse HEAD` (a
# git program reading the same repository) and /bin/true in the same run.
LIST="$WORK/try-list"
rm -rf "$LIST"
git init -q "$LIST" &&
git -C "$LIST" commit -q --allow-empty -m base &&
mkdir -p "$LIST/.git/try" || die "cannot make $LIST"
"$PYTHON" - "$LIST/.git/try" <<-'PYEOF' || die "cannot write the records"
import json, os, sys
d = sys.argv[1]
log = "".join("line %d of the log\n" % i for i in range(30))
for i in range(1000):
    ident = "try-%d-%012x" % (1700000000 + i, i)
    rec = {"version": 1, "id": ident, "time": 1700000000 + i,
           "end": 1700000060 + i, "base": "%040x" % i, "branch": "main",
           "backend": "buildbot", "patch_id": "%040x" % (i + 1),
           "patch_bytes": 1000, "files": 3, "reason": "try %d" % i,
           "command": None, "again_of": None, "result": "failed",
           "url": None,
           "jobs": [{"name": "try", "state": "passed",
                     "url": "http://ci/#/builders/1/builds/%d" % i,
                     "detail": None, "step": None, "log": None,
                     "log_url": None, "handle": "1:%d" % i},
                    {"name": "try-asan", "state": "failed",
                     "url": "http://ci/#/builders/2/builds/%d" % i,
                     "detail": "step 'test' failed", "step": "test",
                     "log": log, "log_url": "http://ci/api/v2/logs/%d/raw" % i,
                     "handle": "2:%d" % i}]}
    with open(os.path.join(d, ident + ".json"), "w") as f:
        json.dump(rec, f, separators=(",", ":"))
PYEOF
n=$(cd "$LIST" && "$TRY_BIN" list | wc -l)
[ "$n" = 1000 ] || die "git try list shows $n records, not 1000"
ours=$(bench_time try-list "$BENCH_RUNS" \
	"cd '$LIST' && '$TRY_BIN' list >/dev/null") || die "git try list failed"
theirs=$(bench_time try-list-git "$BENCH_RUNS" \
	"cd '$LIST' && git rev-parse HEAD >/dev/null") || die "git failed"
truetime=$(bench_time try-list-true "$BENCH_RUNS" "/bin/true") ||
	die "/bin/true failed"
report_ratio try-list "git try list" "$ours" "git rev-parse" "$theirs" 10
report_info try-list-abs "git try list, 1,000 records: $(fmt_time "$ours") (budget 20 ms: $(verdict "$ours" 0.020)); /bin/true $(fmt_time "$truetime")" \
	"ours=$ours" "true=$truetime"

# --- Buildbot: submission and wait -----------------------------------------
[ "${BENCH_TRY_BB:-1}" = 0 ] && exit $status
command -v buildbot >/dev/null 2>&1 &&
command -v buildbot-worker >/dev/null 2>&1 || {
	echo "try-buildbot    skipped: buildbot or buildbot-worker not installed"
	exit $status
}

# What tests/e2e/buildbot.sh needs from the e2e library.
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/try-bench-bb.XXXXXX")
_cleanups=
at_exit() { _cleanups="$1; $_cleanups"; }
trap 'eval "$_cleanups"; rm -rf "$TRASH"' EXIT
trap 'exit 130' INT TERM
free_port() {
	"$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
. "$SRC_DIR/tests/e2e/buildbot.sh"

BB_RUNS=${BENCH_TRY_BB_RUNS:-7}
git init -q --bare "$TRASH/server.git"
git clone -q "$TRASH/server.git" "$TRASH/work" 2>/dev/null
(
	cd "$TRASH/work" &&
	printf 'sleep 1\necho checked\n! cat fail.t 2>/dev/null\n' >check.sh &&
	echo one >a && git add . && git commit -q -m base &&
	git push -q origin main &&
	git config try.backend buildbot
) || die "cannot make the Buildbot repository"
bb_start "$TRASH/server.git" try || die "Buildbot did not start"
git -C "$TRASH/work" config try.url "$BB_URL"
echo two >>"$TRASH/work/a"

# watch: a Python client that polls the REST API every 10 ms while git try
# runs, and prints when the build request appeared and when its build was
# complete (wall clock, seconds); it is ready when it has written $1
watch() {
	"$PYTHON" - "${BB_URL}api/v2" "$1" <<-'EOF'
	import json, sys, time, urllib.request
	api, ready = sys.argv[1:]
	def get(p):
	    with urllib.request.urlopen(api + p, timeout=10) as r:
	        return json.load(r)
	def last_brid():
	    b = get("/buildrequests?order=-buildrequestid&limit=1")["buildrequests"]
	    return b[0]["buildrequestid"] if b else 0
	seen = last_brid()
	open(ready, "w").close()
	deadline = time.time() + 60
	while time.time() < deadline:
	    brid = last_brid()
	    if brid > seen:
	        created = time.time()
	        break
	    time.sleep(0.01)
	else:
	    sys.exit("no build request")
	while time.time() < deadline:
	    b = get("/builds?buildrequestid=%d" % brid)["builds"]
	    if b and b[-1]["complete"]:
	        print("%.6f %.6f" % (created, time.time()))
	        sys.exit(0)
	    time.sleep(0.01)
	sys.exit("no complete build")
	EOF
}

# one_try <expected exit> <label>: one git try watched by the client; adds
# git try's wall time, the build's and their difference to <label>_ours,
# <label>_build and <label>_over (unless $warm is empty: a warm-up)
one_try() {
	local s e rc=0 created done ours build
	rm -f "$TRASH/ready"
	watch "$TRASH/ready" >"$TRASH/watch" &
	wpid=$!
	while [ ! -e "$TRASH/ready" ]; do sleep 0.01; done
	s=$(date +%s%N)
	(cd "$TRASH/work" && git try >"$TRASH/try.out" 2>&1) || rc=$?
	e=$(date +%s%N)
	wait $wpid || die "the watching client failed"
	[ "$rc" = "$1" ] || die "git try exited $rc, not $1"
	read created done <"$TRASH/watch"
	[ -n "$warm" ] || return 0
	ours=$(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.6f", (b - a) / 1e9 }')
	build=$(awk -v a="$created" -v b="$done" 'BEGIN { printf "%.6f", b - a }')
	eval "$2_ours=\"\$$2_ours $ours\""
	eval "$2_build=\"\$$2_build $build\""
	eval "$2_over=\"\$$2_over $(awk -v a="$ours" -v b="$build" 'BEGIN { printf "%.6f", a - b }')\""
}

# Paired: each round runs a passing try, then a failing one (fail.t makes
# the test step fail after the same work), whose answer carries the failing
# step and the end of its log (try.logLines 30): what the failing try does
# more is asking for the steps, the step's logs and their last 30 lines.
pass_ours= pass_build= pass_over= fail_ours= fail_build= fail_over=
i=0
while [ $i -le "$BB_RUNS" ]; do
	# the first round warms up
	warm=$([ $i -gt 0 ] && echo 1)
	git -C "$TRASH/work" rm -q --cached --ignore-unmatch fail.t
	rm -f "$TRASH/work/fail.t"
	one_try 0 pass
	seq 1 40 | sed 's/^/noise /' >"$TRASH/work/fail.t"
	git -C "$TRASH/work" add fail.t
	one_try 1 fail
	grep -q "^    noise 40\$" "$TRASH/try.out" ||
		die "the failing try did not show its log tail"
	i=$((i + 1))
done
ours_times=$pass_ours build_times=$pass_build overheads=$pass_over
median() { printf '%s\n' $* | sort -n | awk '{ t[NR] = $1 } END {
	printf "%.6f\n", (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2 }'; }
[ -n "${BENCH_VERBOSE:-}" ] &&
	echo "try-buildbot    runs: git try$ours_times; build$build_times" >&2
m_ours=$(median $ours_times)
m_build=$(median $build_times)
overhead=$(median $overheads)
v=$(awk -v o="$overhead" 'BEGIN { print (o < 0.3) ? "OK" : "OVER BUDGET" }')
printf '%-15s git try %s, the build %s: overhead %.3f s (budget < 0.3 s)  %s\n' \
	try-buildbot "$(fmt_time "$m_ours")" "$(fmt_time "$m_build")" \
	"$overhead" "$v"
record try-buildbot "ours=$m_ours" "build=$m_build" "overhead=$overhead" \
	"budget=0.3" "status=$(echo "$v" | tr ' ' _)"

# the log tail: the failing try's overhead minus the passing one's
[ -n "${BENCH_VERBOSE:-}" ] &&
	echo "try-bb-log      runs: failing git try$fail_ours; build$fail_build" >&2
f_over=$(median $fail_over)
f_ours=$(median $fail_ours)
added=$(awk -v f="$f_over" -v p="$overhead" 'BEGIN { printf "%.6f", f - p }')
v=$(awk -v a="$added" 'BEGIN { print (a < 0.1) ? "OK" : "OVER BUDGET" }')
printf '%-15s failing git try %s, overhead %.3f s vs %.3f s passing: the step and its 30-line log tail add %.3f s (%.3f of the failing try; budget < 0.1 s)  %s\n' \
	try-bb-log "$(fmt_time "$f_ours")" "$f_over" "$overhead" "$added" \
	"$(awk -v a="$added" -v t="$f_ours" 'BEGIN { printf "%.3f", a / t }')" "$v"
record try-bb-log "ours=$f_ours" "overhead=$f_over" "pass_overhead=$overhead" \
	"added=$added" "budget=0.1" "status=$(echo "$v" | tr ' ' _)"
exit $status
