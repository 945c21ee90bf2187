#!/bin/sh
# gen-history.sh <dir> [commits] [files]
#
# Generates a synthetic bare repository with `git fast-import`: a trunk `main`
# of <commits> commits (default 50000) over a tree of about <files> files
# (default 20000): nested source directories (src/mNN/pNN/*.c), a `config/`
# folder of 50 files (some nested), a `flags/` folder of *.json flags (plus a
# flags/README.md and flags/archive/*.json that `flags/*.json` does not match),
# and a few top-level files.
#
# The first commit imports the whole tree; each later commit changes 1-3
# files, drawn with a fixed seed:
#   60% code    (src/ files only)
#   15% config  (only config/ files or flags/*.json)
#   20% DARK    (subject "DARK ...", src/ files only)
#    5% mixed   (src/ and config files together, ordinary subject)
# Dates are fixed (one commit every 10 minutes from 2020-09-13), so the same
# parameters always give the same commit ids.
#
# Then the repository is put in the state `git gc` leaves on a server: one
# pack written by `git repack -adf` (so deltas and object order are git's,
# not fast-import's; a bitmap, as for any bare repository), packed refs and a
# commit-graph.  GEN_HISTORY_GC=0 keeps fast-import's pack as it is.
#
# Cached: <dir>/try-bench-stamp records the parameters and a checksum of this
# script; when it matches, nothing is done.  Otherwise the repository is built
# next to <dir> and moved into place when complete.
#
# Prints one line: the time it took (or "cached") and the repository size.
set -eu

[ $# -ge 1 ] && [ $# -le 3 ] || {
	echo "usage: gen-history.sh <dir> [commits] [files]" >&2
	exit 129
}
dir=$1
commits=${2:-50000}
files=${3:-20000}
seed=20240601
gc=${GEN_HISTORY_GC:-1}
case "$commits$files" in *[!0-9]*)
	echo "gen-history: commits and files must be numbers" >&2; exit 129;;
esac
[ "$commits" -ge 1 ] && [ "$files" -ge 200 ] || {
	echo "gen-history: need at least 1 commit and 200 files" >&2; exit 129
}

PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3

self_sum=$(cksum <"$0" | cut -d' ' -f1)
stamp="gen-history commits=$commits files=$files seed=$seed gc=$gc script=$self_sum"
if [ -f "$dir/try-bench-stamp" ] && [ "$(cat "$dir/try-bench-stamp")" = "$stamp" ]
then
	echo "gen-history: cached $dir ($commits commits, $files files," \
		"$(du -sh "$dir" | cut -f1))"
	exit 0
fi

tmp="$dir.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
rm -rf "$tmp"
mkdir -p "$(dirname "$dir")"

unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY \
	GIT_ALTERNATE_OBJECT_DIRECTORIES 2>/dev/null || true
export GIT_CONFIG_NOSYSTEM=1 TZ=UTC LC_ALL=C

start=$(date +%s%N)
git init -q --bare --initial-branch=main "$tmp"

"$PYTHON" - "$commits" "$files" "$seed" <<'EOF' |
import random, sys

commits, nfiles, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
out = sys.stdout.buffer
buf = []

def emit(b):
    buf.append(b)
    if len(buf) >= 4096:
        out.write(b"".join(buf))
        buf.clear()

# The tree.
misc = ["README.md", "Makefile", "LICENSE", ".gitignore", "docs/index.md",
        "docs/deploy.md", "flags/README.md", "flags/archive/old-checkout.json",
        "flags/archive/old-search.json", "scripts/release.sh"]
config = []
for i in range(30):
    config.append("config/service-%02d.yaml" % i)
for env in ("dev", "staging", "prod", "canary"):
    for i in range(5):
        config.append("config/env/%s/part-%d.yaml" % (env, i))
flags = ["flags/feature-%03d.json" % i for i in range(40)]
nsrc = nfiles - len(misc) - len(config) - len(flags)
D1, D2 = 20, 20
src_dirs = {}
src = []
for i in range(nsrc):
    d = "src/m%02d/p%02d" % (i % D1, (i // D1) % D2)
    # A few deeper directories, as real trees have.
    if i % 7 == 3:
        d += "/internal"
    p = "%s/file_%05d.c" % (d, i)
    src.append(p)
    src_dirs.setdefault(d, []).append(p)
dir_list = sorted(src_dirs)
cfg_paths = config + flags
version = {}

def content(path):
    v = version.get(path, 0)
    version[path] = v + 1
    if path.endswith(".c"):
        s = ("/* %s */\n#include <stdio.h>\n\nint f_%d(int x)\n{\n"
             "\treturn x + %d;\n}\n" % (path, v, v))
    elif path.endswith(".json"):
        s = '{\n  "enabled": %s,\n  "rollout": %d\n}\n' % (
            "true" if v % 2 else "false", v % 101)
    elif path.endswith(".yaml"):
        s = "# %s\nreplicas: %d\ntimeout_ms: %d\n" % (path, 1 + v % 9,
                                                      100 * (v % 50 + 1))
    else:
        s = "%s revision %d\n" % (path, v)
    return s.encode()

def data(b):
    emit(b"data %d\n" % len(b))
    emit(b)
    emit(b"\n")

def modify(path):
    emit(b"M 100644 inline %s\n" % path.encode())
    data(content(path))

T0 = 1600000000

def header(n, subject):
    t = T0 + 600 * n
    emit(b"commit refs/heads/main\n")
    emit(b"author Bench Author <author@example.com> %d +0000\n" % t)
    emit(b"committer Bench Committer <committer@example.com> %d +0000\n" % t)
    msg = ("%s\n\nSynthetic commit %d for the try benchmarks.\n"
           % (subject, n)).encode()
    data(msg)

def pick_src(k):
    d = rng.choice(dir_list)
    chosen = [rng.choice(src_dirs[d])]
    while len(chosen) < k:
        if rng.random() < 0.7:
            p = rng.choice(src_dirs[d])
        else:
            p = rng.choice(src)
        if p not in chosen:
            chosen.append(p)
    return chosen

def pick_cfg(k):
    chosen = []
    while len(chosen) < k:
        p = rng.choice(cfg_paths)
        if p not in chosen:
            chosen.append(p)
    return chosen

verbs = ["Fix", "Refactor", "Speed up", "Clean up", "Handle errors in",
         "Add tests for", "Simplify", "Document"]
features = ["checkout", "search", "billing", "login", "cart", "profile",
            "export", "reports", "uploads", "payments"]

header(0, "Initial import")
for p in misc + config + flags + src:
    modify(p)
emit(b"\n")

for n in range(1, commits):
    r = rng.random()
    k = rng.randint(1, 3)
    f = rng.choice(features)
    if r < 0.60:
        paths = pick_src(k)
        subject = "%s %s in %s" % (rng.choice(verbs), f,
                                   paths[0].rsplit("/", 1)[0])
    elif r < 0.75:
        subject = "Tune %s settings" % f
        paths = pick_cfg(k)
    elif r < 0.95:
        subject = "DARK %s: wire up new code path behind flag" % f
        paths = pick_src(k)
    else:
        k = max(k, 2)
        subject = "Add %s support with its configuration" % f
        paths = pick_src(k - 1) + pick_cfg(1)
    header(n, subject)
    for p in paths:
        modify(p)
    emit(b"\n")

emit(b"done\n")
out.write(b"".join(buf))
out.flush()
EOF
git --git-dir="$tmp" fast-import --quiet --done
if [ "$gc" != 0 ]; then
	git --git-dir="$tmp" repack -adfq
	git --git-dir="$tmp" pack-refs --all
	git --git-dir="$tmp" commit-graph write --reachable --no-progress
fi
git --git-dir="$tmp" config gc.auto 0

printf '%s\n' "$stamp" >"$tmp/try-bench-stamp"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
echo "gen-history: generated $dir ($commits commits, $files files) in" \
	"$((ms / 1000)).$(printf '%03d' $((ms % 1000))) s, $(du -sh "$dir" | cut -f1)"
