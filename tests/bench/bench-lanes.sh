#!/bin/sh
# The classifier and the pre-receive hook against git itself (issue 2, §7):
#
#   lanes-history  `git lanes main` over the whole generated history against
#                  `git rev-list main | git diff-tree --stdin -r --name-only`
#                  (budget: ratio <= 0.5)
#   hook-push      try-pre-receive run directly for a 3-commit update of main
#                  in a repository with 5,000 refs, against
#                  `git rev-list <new> --not --all` there (budget: <= 1.5)
#   lanes-memory   peak RSS of `git lanes main` over the whole history
#                  (budget: 64 MiB)
# and, for information: hook-push again with the repository's commit-graph
# file moved away (hook-push-nocg), and a real `git push` of the same 3
# commits into such a repository with and without the hook installed
# (push-e2e: whatever `git trunk install --server` installs, pre-receive and
# post-receive today).  The history is in the state gc leaves (see gen-history.sh);
# BENCH_REFS changes the number of refs.
#
# Also checks, once, that `git lanes main --json` gives every generated commit
# the lane its generator meant (DARK subjects, config-only commits, code); a
# wrong lane fails this script after the measurements.
. "$(dirname "$0")/lib.sh"

LANES_BIN="$SRC_DIR/cmd/git-lanes"
TRUNK_BIN="$SRC_DIR/cmd/git-trunk"
HOOK_BIN="$SRC_DIR/hooks/try-pre-receive"
need_bin "$LANES_BIN" "$TRUNK_BIN" "$HOOK_BIN"
NREFS=${BENCH_REFS:-5000}
wrong=

bench_history
set_lanes_config() { # <git dir>
	git --git-dir="$1" config --unset-all lanes.config 2>/dev/null
	git --git-dir="$1" config --add lanes.config 'config/**' &&
	git --git-dir="$1" config --add lanes.config 'flags/*.json'
}
set_lanes_config "$HISTORY" || die "cannot configure $HISTORY"

# --- correctness, once --------------------------------------------------
check_lanes() {
	(cd "$HISTORY" && GIT_DIR="$HISTORY" git lanes --json main) \
		>"$WORK/lanes.json" 2>"$WORK/logs/lanes-json.err" || {
		echo "lanes-check     git lanes --json main failed:" \
			"$(head -n 3 "$WORK/logs/lanes-json.err")"
		return 1
	}
	git --git-dir="$HISTORY" log --format='%H %s' main >"$WORK/subjects.txt"
	"$PYTHON" - "$WORK/lanes.json" "$WORK/subjects.txt" <<'EOF'
import json, sys
from collections import Counter
# The generator's meaning: DARK subjects touch src/ only, "Tune ..." commits
# touch config paths only, everything else (the root import included) is code.
want = {}
for line in open(sys.argv[2], encoding="utf-8"):
    cid, subject = line.rstrip("\n").split(" ", 1)
    want[cid] = ("DARK" if subject.startswith("DARK ") else
                 "CONFIG" if subject.startswith("Tune ") else "CODE")
got = {c["id"]: c["lane"].upper()
       for c in json.load(open(sys.argv[1]))["commits"]}
tally = Counter(got.values())
bad = [(c, want[c], got.get(c)) for c in want if got.get(c) != want[c]]
extra = len(set(got) - set(want))
print("lanes-check     %d commits: DARK %d, CONFIG %d, CODE %d  %s" % (
    len(got), tally["DARK"], tally["CONFIG"], tally["CODE"],
    "OK" if not bad and not extra else
    "WRONG (%d misclassified, %d unexpected)" % (len(bad), extra)))
for c, w, g in bad[:5]:
    print("                %s: want %s, got %s" % (c, w, g))
sys.exit(1 if bad or extra else 0)
EOF
}
check_lanes || wrong="$wrong lanes-check"

# --- a. git lanes over the whole history ---------------------------------
t_lanes=$(bench_time lanes-history-ours "$BENCH_RUNS" \
	"cd '$HISTORY' && GIT_DIR='$HISTORY' git lanes main >/dev/null") ||
	die "git lanes main failed in $HISTORY"
t_git=$(bench_time lanes-history-git "$BENCH_RUNS" \
	"cd '$HISTORY' && git rev-list main |
	 git diff-tree --stdin -r --name-only >/dev/null") ||
	die "git rev-list | git diff-tree failed"
report_ratio lanes-history git-lanes "$t_lanes" "git diff-tree" "$t_git" 0.5

# --- c. peak memory of the same ------------------------------------------
rss=$(bench_maxrss "cd '$HISTORY' && GIT_DIR='$HISTORY' git lanes main") ||
	die "git lanes main failed under the RSS measurement"
rss_git=$(bench_maxrss "cd '$HISTORY' && git rev-list main |
	git diff-tree --stdin -r --name-only")
mib=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
mib_git=$(awk -v k="${rss_git:-0}" 'BEGIN { printf "%.1f", k / 1024 }')
v=$(verdict "$mib" 64)
printf '%-15s git-lanes %s MiB max RSS  (git diff-tree %s MiB)  budget 64 MiB  %s\n' \
	lanes-memory "$mib" "$mib_git" "$v"
record lanes-memory "ours_kib=$rss" "git_kib=${rss_git:-0}" budget_kib=65536 \
	"status=$(echo "$v" | tr ' ' _)"

# --- b. the hook, 3 new commits, 5,000 refs --------------------------------
OLD=$(git --git-dir="$HISTORY" rev-parse main)

# make_server <git dir>: a bare copy of the history (hard-linked objects),
# with NREFS refs in all: main, release branches, lightweight and annotated
# tags, GitHub-style pull refs, spread over the history; refs packed, as gc
# leaves them on a server.
make_server() {
	rm -rf "$1"
	git clone -q --bare "$HISTORY" "$1" || return 1
	set_lanes_config "$1" || return 1
	git --git-dir="$1" rev-list main | awk -v n="$NREFS" -v dir="$1" '
		{ c[NR] = $1 }
		END {
			f = dir "/tags.fi"
			want = n - 1; step = int(NR / want); if (step < 1) step = 1
			for (i = 0; i < want; i++) {
				id = c[1 + (i * step) % NR]
				if (i < 100) ref = sprintf("refs/heads/release/r%03d", i)
				else if (i < 1100) ref = sprintf("refs/tags/v%d.%d", i / 100, i % 100)
				else if (i < 1600) { # annotated tags
					printf "tag a%d.%d\nfrom %s\n", i / 100, i % 100, id > f
					printf "tagger Bench Tagger <tagger@example.com> %d +0000\n", 1700000000 + i > f
					printf "data 12\nrelease tag\n\n" > f
					continue
				} else ref = sprintf("refs/pull/%d/head", i)
				printf "create %s %s\n", ref, id
			}
		}' | git --git-dir="$1" update-ref --stdin || return 1
	if [ -f "$1/tags.fi" ]; then
		git --git-dir="$1" fast-import --quiet <"$1/tags.fi" || return 1
		rm -f "$1/tags.fi"
	fi
	git --git-dir="$1" pack-refs --all
}

# new_commits <git dir> <ref>: three commits on top of main (code, DARK,
# config), onto <ref>; fixed dates, so the same ids everywhere.
new_commits() {
	"$PYTHON" - "$2" "$OLD" <<'EOF' | git --git-dir="$1" fast-import --quiet
import sys
ref, base = sys.argv[1], sys.argv[2]
out = []
def data(s):
    b = s.encode()
    out.append(b"data %d\n%s\n" % (len(b), b))
for n, (subject, path, body) in enumerate([
        ("Fix search in src/m01/p02", "src/m01/p02/file_00041.c",
         "/* fixed */\nint f(void) { return 1; }\n"),
        ("DARK search: new ranking behind flag", "src/m01/p02/file_00061.c",
         "/* dark */\nint g(void) { return 2; }\n"),
        ("Tune search settings", "flags/feature-007.json",
         '{\n  "enabled": true,\n  "rollout": 5\n}\n')]):
    t = 1800000000 + 60 * n
    out.append(b"commit %s\n" % ref.encode())
    out.append(b"author Bench Author <author@example.com> %d +0000\n" % t)
    out.append(b"committer Bench Committer <committer@example.com> %d +0000\n" % t)
    data(subject + "\n")
    if n == 0:
        out.append(b"from %s\n" % base.encode())
    out.append(b"M 100644 inline %s\n" % path.encode())
    data(body)
    out.append(b"\n")
sys.stdout.buffer.write(b"".join(out))
EOF
}

HOOK_REPO="$WORK/hook.git"
make_server "$HOOK_REPO" || die "cannot set up $HOOK_REPO"
new_commits "$HOOK_REPO" refs/bench/side || die "cannot create the new commits"
NEW=$(git --git-dir="$HOOK_REPO" rev-parse refs/bench/side)
git --git-dir="$HOOK_REPO" update-ref -d refs/bench/side
nrefs=$(git --git-dir="$HOOK_REPO" for-each-ref | wc -l)
[ "$nrefs" -eq "$NREFS" ] || die "$HOOK_REPO has $nrefs refs, not $NREFS"

echo "$OLD $NEW refs/heads/main" >"$WORK/hook-input.txt"
hook_cmd="cd '$HOOK_REPO' &&
	GIT_DIR='$HOOK_REPO' try-pre-receive <'$WORK/hook-input.txt'"
# Once with its messages kept: it must accept the push.
if ! sh -c "$hook_cmd" >"$WORK/logs/hook-once.txt" 2>&1; then
	echo "hook-push       try-pre-receive rejected the push or failed:"
	sed 's/^/                /' "$WORK/logs/hook-once.txt" | head -n 10
	die "hook failed: $hook_cmd"
fi
t_hook=$(bench_time hook-push-ours 30 "$hook_cmd 2>/dev/null") ||
	die "try-pre-receive failed"
t_revlist=$(bench_time hook-push-git 30 \
	"GIT_DIR='$HOOK_REPO' git rev-list $NEW --not --all >/dev/null") ||
	die "git rev-list failed"
report_ratio hook-push try-pre-receive "$t_hook" "git rev-list" "$t_revlist" 1.5

# The same without a commit-graph file (a server that never ran gc since
# git 2.24): git loses its generation numbers, libgit2 no longer reads and
# checksums the file.
cg="$HOOK_REPO/objects/info/commit-graph"
if [ -f "$cg" ]; then
	mv "$cg" "$cg.off"
	t_hook2=$(bench_time hook-push-nocg-ours 30 "$hook_cmd 2>/dev/null") ||
		die "try-pre-receive failed without a commit-graph"
	t_revlist2=$(bench_time hook-push-nocg-git 30 \
		"GIT_DIR='$HOOK_REPO' git rev-list $NEW --not --all >/dev/null") ||
		die "git rev-list failed"
	mv "$cg.off" "$cg"
	text="try-pre-receive $(fmt_time "$t_hook2")  git rev-list"
	text="$text $(fmt_time "$t_revlist2")  ratio"
	text="$text $(awk -v a="$t_hook2" -v b="$t_revlist2" \
		'BEGIN { printf "%.2f", a / b }')  (no commit-graph; information)"
	report_info hook-push-nocg "$text" "ours=$t_hook2" "git=$t_revlist2"
fi

# --- real pushes, with and without the hook (information) ----------------
PUSH_REPO="$WORK/push.git"
CLIENT="$WORK/client.git"
make_server "$PUSH_REPO" || die "cannot set up $PUSH_REPO"
rm -rf "$CLIENT"
git clone -q --bare "$HISTORY" "$CLIENT" &&
new_commits "$CLIENT" refs/heads/main || die "cannot set up $CLIENT"
[ "$(git --git-dir="$CLIENT" rev-parse main)" = "$NEW" ] ||
	die "the client's new commits differ from the hook's"
reset="git --git-dir='$PUSH_REPO' update-ref refs/heads/main $OLD"
push="git --git-dir='$CLIENT' push -q '$PUSH_REPO' main:refs/heads/main"
t_plain=$(bench_time push-plain 10 "$push 2>/dev/null" "$reset") ||
	die "git push failed: $push"
git-trunk install --server "$PUSH_REPO" >"$WORK/logs/install.txt" 2>&1 ||
	die "git trunk install --server failed: $(cat "$WORK/logs/install.txt")"
sh -c "$reset" && sh -c "$push" >"$WORK/logs/push-once.txt" 2>&1 || {
	sed 's/^/                /' "$WORK/logs/push-once.txt" | head -n 10
	die "push with the hook failed: $push"
}
grep -q 'CODE' "$WORK/logs/push-once.txt" ||
	echo "push-e2e        note: no lane in the push's output" \
		"(see tests/bench/work/logs/push-once.txt)"
t_hooked=$(bench_time push-hooked 10 "$push 2>/dev/null" "$reset") ||
	die "git push with the hook failed: $push"
added=$(awk -v a="$t_hooked" -v b="$t_plain" 'BEGIN { printf "%.6f", a - b }')
hooks=$(cd "$PUSH_REPO/hooks" && ls | grep -v '\.sample$' | tr '\n' ' ')
text="git push with hooks $(fmt_time "$t_hooked")  without"
text="$text $(fmt_time "$t_plain")  hooks add $(fmt_time "$added")"
text="$text  (${hooks% }; information)"
report_info push-e2e "$text" "hooked=$t_hooked" "plain=$t_plain"

[ -z "$wrong" ] || die "wrong results:$wrong"
