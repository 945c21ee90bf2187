#!/bin/bash
# The patch git try sends: applying it with `git apply --index` on the base
# gives exactly the working copy's tree (tree ids compared), for randomized
# sets of changes: edits, binary files, text that is not UTF-8, deletions,
# renames, mode changes, symlinks, odd file names, staged and unstaged
# changes, untracked files; whatever the user's diff configuration says.
#
# TRY_SEED=<n> starts the random rounds elsewhere; TRY_ROUNDS=<n> (30).
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
SEED=${TRY_SEED:-1}
ROUNDS=${TRY_ROUNDS:-30}
O="$TRASH/o"
mkdir -p "$O"

git init -q --bare server.git
git clone -q server.git work 2>/dev/null
cd work || exit 1

# The changes of one round, made by a seeded generator.  Base files of all
# kinds first (seed "base"), then a round's edits (seed <n>).
cat >"$TRASH/mutate.py" <<'EOF'
import os, random, stat, sys

seed = sys.argv[1]
rnd = random.Random(seed)
NAMES = ["plain.txt", "with space.txt", "caf\u00e9.txt", "quote\"d.txt",
         "tab\there.txt", "back\\slash.txt", "deep/er/nested.c",
         "dir/one.txt", "dir/two.txt", "dir/sub/three.txt", "-dash.txt",
         "star*.txt", "\u65e5\u672c.md", "x.sh", "noeol.txt", "crlf.txt",
         "empty.txt", "latin1.txt", "data.bin", "img/pic.png"]

def text(n):
    words = ["alpha", "beta", "gamma", "delta", "  indented", "", "x\ty",
             "trailing  ", "\u00e9t\u00e9", "{", "}", "return 0;"]
    return "".join(rnd.choice(words) + "\n" for _ in range(n))

def binary(n):
    return bytes(rnd.randrange(256) for _ in range(n)) + b"\0"

def latin1(n):
    return ("caf\u00e9 cr\u00e8me %d\n" % rnd.randrange(1000) * n).encode("latin-1")

def write(path, data, mode="wb"):
    d = os.path.dirname(path)
    if d:
        if os.path.lexists(d) and not os.path.isdir(d):
            os.remove(d)
        os.makedirs(d, exist_ok=True)
    if os.path.lexists(path) and (os.path.islink(path) or os.path.isdir(path)):
        if os.path.isdir(path) and not os.path.islink(path):
            return
        os.remove(path)
    with open(path, mode) as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))

def content_for(name):
    if name.endswith(".bin") or name.endswith(".png"):
        return binary(rnd.randrange(1, 3000))
    if name.startswith("latin1"):
        return latin1(rnd.randrange(1, 20))
    if name == "empty.txt":
        return b""
    if name == "noeol.txt":
        return text(rnd.randrange(1, 10)).rstrip("\n").encode()
    if name == "crlf.txt":
        return text(rnd.randrange(1, 10)).replace("\n", "\r\n").encode()
    return text(rnd.randrange(1, 60)).encode()

def files():
    out = []
    for root, dirs, names in os.walk("."):
        if root.startswith("./.git"):
            continue
        dirs[:] = [d for d in dirs if d != ".git"]
        for n in names:
            out.append(os.path.join(root, n)[2:])
        for d in dirs:
            p = os.path.join(root, d)
            if os.path.islink(p):
                out.append(p[2:])
    return sorted(out)

if seed == "base":
    for n in NAMES:
        write(n, content_for(n))
    os.chmod("x.sh", 0o755)
    os.symlink("plain.txt", "link")
    os.symlink("dir", "dirlink")
    os.symlink("nowhere", "dangling")
    sys.exit(0)

actions = ["edit", "edit", "edit", "binary", "latin1", "delete", "rename",
           "chmod", "tolink", "retarget", "fromlink", "new", "new", "newbin",
           "noeol", "crlf", "empty", "dirfile"]
for _ in range(rnd.randrange(1, 12)):
    fs = [f for f in files() if not f.startswith(".git")]
    if not fs:
        break
    a = rnd.choice(actions)
    f = rnd.choice(fs)
    link = os.path.islink(f)
    if a == "edit" and not link:
        with open(f, "rb") as h:
            lines = h.read().split(b"\n")
        for _ in range(rnd.randrange(1, 4)):
            i = rnd.randrange(len(lines) + 1)
            if rnd.random() < 0.5 and lines:
                del lines[min(i, len(lines) - 1)]
            else:
                lines.insert(i, text(1).rstrip("\n").encode())
        write(f, b"\n".join(lines))
    elif a == "binary" and not link:
        write(f, binary(rnd.randrange(1, 5000)))
    elif a == "latin1" and not link:
        write(f, latin1(rnd.randrange(1, 10)))
    elif a == "delete":
        os.remove(f)
    elif a == "rename":
        dst = rnd.choice(["renamed/", "", "dir/"]) + "moved-%d-%s" % (
            rnd.randrange(100), os.path.basename(f))
        if not os.path.lexists(dst):
            os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
            os.rename(f, dst)
    elif a == "chmod" and not link:
        m = os.stat(f).st_mode
        os.chmod(f, m ^ 0o111)
    elif a == "tolink":
        os.remove(f)
        os.symlink(rnd.choice(["plain.txt", "../up", "dir/one.txt"]), f)
    elif a == "retarget" and link:
        os.remove(f)
        os.symlink("target-%d" % rnd.randrange(100), f)
    elif a == "fromlink" and link:
        os.remove(f)
        write(f, content_for(f))
    elif a == "new":
        write(rnd.choice(["", "new/", "dir/", "n\u00e9w/"]) + "new-%d.txt"
              % rnd.randrange(100), text(rnd.randrange(1, 20)))
    elif a == "newbin":
        write("new-%d.bin" % rnd.randrange(100), binary(rnd.randrange(1, 900)))
    elif a == "noeol" and not link:
        write(f, text(3).rstrip("\n"))
    elif a == "crlf" and not link:
        write(f, text(3).replace("\n", "\r\n"))
    elif a == "empty" and not link:
        write(f, b"")
    elif a == "dirfile" and not link and "/" not in f:
        # a file becomes a folder of the same name
        os.remove(f)
        write(f + "/inside.txt", text(2))
EOF

"$PY" "$TRASH/mutate.py" base &&
git add -A && git commit -q -m base && git push -q origin main || exit 1
BASE=$(git rev-parse HEAD)
echo '*.ignored' >.gitignore && git add .gitignore && git commit -q -m ignore &&
	git push -q origin main || exit 1
BASE=$(git rev-parse HEAD)

# A user whose diff settings would break a naive patch.
hostile_config() {
	git config diff.noprefix true
	git config diff.mnemonicPrefix true
	git config diff.context 0
	git config diff.external false
	git config diff.renames copies
	git config diff.submodule log
	git config diff.suppressBlankEmpty true
	git config diff.algorithm patience
	git config color.ui always
	git config color.diff always
	git config core.quotePath false
	git config diff.upper.textconv "tr a-z A-Z"
	git config core.pager cat
	mkdir -p .git/info && echo '*.txt diff=upper' >.git/info/attributes
}

# snapshot <file>: what git try must not change
snapshot() {
	{
		sha1sum .git/index
		git for-each-ref --format='%(refname) %(objectname)'
		git stash list --format='%H'
		git worktree list --porcelain
		git --no-optional-locks status --porcelain=v1 -z \
			--untracked-files=all --ignored | sha1sum
	} >"$1"
}

# expected_tree <mode>: the tree the working copy stands for
expected_tree() {
	rm -f "$TRASH/exp-index"
	cp -p .git/index "$TRASH/exp-index"
	case $1 in
	staged) GIT_INDEX_FILE="$TRASH/exp-index" git write-tree ;;
	tracked) GIT_INDEX_FILE="$TRASH/exp-index" git add -u . &&
		GIT_INDEX_FILE="$TRASH/exp-index" git write-tree ;;
	untracked) GIT_INDEX_FILE="$TRASH/exp-index" git add -A . &&
		GIT_INDEX_FILE="$TRASH/exp-index" git write-tree ;;
	esac
}

# applied_tree <patch>: the tree of the base with the patch applied
applied_tree() {
	rm -rf "$TRASH/apply"
	git -c core.hooksPath=/dev/null worktree add -q --detach \
		"$TRASH/apply" "$BASE" &&
	(
		cd "$TRASH/apply" &&
		if [ -s "$1" ]; then
			HOME="$TRASH/clean-home" git apply --index "$1"
		fi &&
		git write-tree
	)
	local rc=$?
	git worktree remove --force "$TRASH/apply"
	return $rc
}

# one_round <seed> <mode>: make changes, try, compare
one_round() {
	git reset -q --hard "$BASE" && git clean -q -fdx &&
	"$PY" "$TRASH/mutate.py" "$1" &&
	case $2 in
	staged) git add -A . && "$PY" "$TRASH/mutate.py" "$1-after" ;;
	tracked) git add -A . && git reset -q -- "$(git diff --cached --name-only | head -n 1)" 2>/dev/null
		# half staged, half not; new files stay untracked
		"$PY" "$TRASH/mutate.py" "$1-more" ;;
	untracked) "$PY" "$TRASH/mutate.py" "$1-more"; : ;;
	esac
	echo noise >"debug-$1.ignored"
	snapshot "$O/before" &&
	want=$(expected_tree "$2") &&
	case $2 in
	staged) git try --dry-run --staged --allow-empty ;;
	tracked) git try --dry-run --allow-empty ;;
	untracked) git try --dry-run --untracked --allow-empty ;;
	esac >"$O/patch-$1" 2>"$O/err" &&
	snapshot "$O/after" && test_cmp "$O/before" "$O/after" &&
	"$PY" -c 'import sys; open(sys.argv[1], encoding="utf-8").read()' \
		"$O/patch-$1" &&
	! grep -q "debug-.*ignored" "$O/patch-$1" &&
	got=$(applied_tree "$O/patch-$1") &&
	if [ "$want" != "$got" ]; then
		echo "round $1 ($2): tree $got, want $want" >&2
		git diff-tree -r "$got" "$want" >&2
		return 1
	fi
}

test_expect_success 'the generator makes every kind of change' '
	: >"$O/kinds" &&
	for s in $(seq 1 40); do
		git reset -q --hard "$BASE" && git clean -q -fdx &&
		"$PY" "$TRASH/mutate.py" "$s" &&
		git add -A . &&
		git diff --cached -M --summary --stat=200 "$BASE" >>"$O/kinds"
	done &&
	for kind in " create mode 100644 " " create mode 120000 " \
		" delete mode " " mode change 100644 => 100755" \
		" mode change 100755 => 100644" " rename " " | Bin "; do
		grep -q -e "$kind" "$O/kinds" || {
			echo "no \"$kind\" in 40 rounds" >&2
			false
		}
	done
'

hostile_config

for mode in untracked tracked staged; do
	test_expect_success "$ROUNDS random rounds, $mode changes, hostile diff config" '
		for i in $(seq "$SEED" $((SEED + ROUNDS - 1))); do
			one_round "$mode$i" '"$mode"' || exit 1
		done
	'
done

test_expect_success 'a change in the second the index was written is seen (racy git)' '
	# git spots a file changed in the same second as its index entry by
	# comparing with the index file'"'"'s time; --untracked works on a copy
	# of the index, which must keep that time
	git init -q "$TRASH/racy" &&
	(
		cd "$TRASH/racy" &&
		for i in 1 2 3 4 5; do
			t=$(( $(date +%s) - 100 )) &&
			printf "aaaa\n" >racy.txt && touch -d "@$t" racy.txt &&
			git add racy.txt && git commit -q --allow-empty -m racy &&
			git update-ref refs/remotes/origin/main HEAD &&
			touch -d "@$t" .git/index &&
			printf "bbbb\n" >racy.txt && touch -d "@$t" racy.txt &&
			c=$(git ls-files --debug racy.txt |
			    sed -n "s/ *ctime: \([0-9]*\):.*/\1/p") &&
			test "$c" = "$(stat -c %Z racy.txt)" && break
		done &&
		sleep 1 &&
		git try --dry-run >"$O/patch" 2>/dev/null &&
		test_grep "^+bbbb$" "$O/patch" &&
		git try --dry-run --untracked >"$O/patch" 2>/dev/null &&
		test_grep "^+bbbb$" "$O/patch"
	)
'

test_expect_success 'a non-UTF-8 text change travels as a binary patch' '
	git reset -q --hard "$BASE" && git clean -q -fdx &&
	printf "caf\351 au lait\n" >latin1.txt &&
	git try --dry-run >"$O/patch" 2>/dev/null &&
	grep -A2 "^diff --git a/latin1.txt b/latin1.txt" "$O/patch" >"$O/head" &&
	test_grep "^index [0-9a-f]\{40\}\.\.[0-9a-f]\{40\} 100644$" "$O/head" &&
	test_grep "^GIT binary patch$" "$O/head" &&
	test "$(applied_tree "$O/patch")" = "$(expected_tree tracked)"
'

test_expect_success '--untracked from a subfolder takes the whole tree' '
	git reset -q --hard "$BASE" && git clean -q -fdx &&
	echo top >untracked-top.txt &&
	echo deep >dir/untracked-deep.txt &&
	echo more >>plain.txt &&
	(cd dir && git try --dry-run --untracked >"$O/patch" 2>/dev/null) &&
	test_grep "^diff --git a/untracked-top.txt b/untracked-top.txt$" "$O/patch" &&
	test_grep "^diff --git a/dir/untracked-deep.txt b/dir/untracked-deep.txt$" "$O/patch" &&
	test "$(applied_tree "$O/patch")" = "$(expected_tree untracked)"
'

test_expect_success 'a symlink, a mode change, a rename and a deletion, by name' '
	git reset -q --hard "$BASE" && git clean -q -fdx &&
	git mv "dir/one.txt" "dir/uno.txt" &&
	chmod +x plain.txt &&
	rm -- -dash.txt &&
	rm link && ln -s "dir/two.txt" link &&
	git try --dry-run >"$O/patch" 2>/dev/null &&
	test_grep "^rename from dir/one.txt$" "$O/patch" &&
	test_grep "^new mode 100755$" "$O/patch" &&
	test_grep "^deleted file mode 100644$" "$O/patch" &&
	test_grep "^index [0-9a-f]\{40\}\.\.[0-9a-f]\{40\} 120000$" "$O/patch" &&
	test "$(applied_tree "$O/patch")" = "$(expected_tree tracked)"
'

test_expect_success 'environment variables do not change the patch' '
	git reset -q --hard "$BASE" && git clean -q -fdx &&
	echo more >>plain.txt && printf "\001\002" >data.bin &&
	git try --dry-run >"$O/want" 2>/dev/null &&
	GIT_EXTERNAL_DIFF=false GIT_DIFF_OPTS=--unified=0 \
	GIT_PAGER=false git try --dry-run >"$O/got" 2>/dev/null &&
	test_cmp "$O/want" "$O/got"
'

test_expect_success 'the dry-run patch is the one sent: --json carries it too' '
	git try --dry-run --json >"$O/json" 2>/dev/null &&
	"$PY" -c "import json,sys; sys.stdout.write(json.load(open(sys.argv[1]))[\"patch\"])" \
		"$O/json" >"$O/from-json" &&
	test_cmp "$O/want" "$O/from-json"
'

test_done
