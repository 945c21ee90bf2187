#!/bin/sh
# make demo: the toolkit at work on a scratch server repository.
# Everything happens in a fresh temporary folder; nothing outside it changes.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/try-demo.XXXXXX")
export PATH="$top/cmd:$top/hooks:$PATH"
export HOME="$scratch/home" GIT_CONFIG_NOSYSTEM=1 LC_ALL=C
unset GIT_DIR GIT_WORK_TREE
mkdir -p "$HOME"
git config --global user.name "Alice Dev"
git config --global user.email alice@example.com
git config --global init.defaultBranch main
git config --global advice.detachedHead false

bold=$(printf '\033[1m') off=$(printf '\033[0m')
[ -t 1 ] && [ -z "${NO_COLOR:-}" ] || { bold= off=; }
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$off"; }
run() { printf '%s$ %s%s\n' "$bold" "$*" "$off"; "$@" 2>&1 | sed 's/[[:space:]]*$//'; }
# a push whose rejection is part of the story
push() { printf '%s$ git push %s%s\n' "$bold" "$*" "$off"
	git push "$@" 2>&1 | sed -e 's/[[:space:]]*$//' -e '/^To /d' || true; }

cd "$scratch"
step "A bare server repository, with the trunk-only hook installed"
run git init -q --bare -b main server.git
run git trunk install --server server.git
run git -C server.git config --add lanes.config 'config/**'
run git -C server.git config --add lanes.config 'flags/*.json'

step "Alice clones it and lands the first commit on trunk"
git clone -q server.git alice 2>/dev/null
cd alice
echo "(the clone reads the same lane settings, here from its own git config)"
run git config --add lanes.config 'config/**'
run git config --add lanes.config 'flags/*.json'
mkdir -p src config flags
echo 'int main(void) { return 0; }' >src/main.c
echo '{"new_checkout": false}' >flags/checkout.json
git add . && git commit -q -m "Initial shop"
push origin main

step "A feature branch is refused: land work on trunk instead"
git switch -q -c big-feature
echo 'void checkout(void) {}' >src/checkout.c
git add . && git commit -q -m "New checkout, half done"
push origin big-feature

step "The same work as a DARK commit: shipped, but switched off"
git switch -q main
git cherry-pick big-feature >/dev/null
git commit -q --amend -m "DARK new checkout, behind flags/checkout.json"
push origin main

step "Turning the flag on is a CONFIG commit: the fast lane"
echo '{"new_checkout": true}' >flags/checkout.json
git commit -q -a -m "Turn on the new checkout"
push origin main

step "A bug fix in live code is CODE: the full train"
echo 'int main(void) { return 1; }' >src/main.c
git commit -q -a -m "Fix exit status"
push origin main

step "Rewriting published history is refused"
git commit -q --amend -m "Fix exit status (reworded)"
push --force origin main
git reset -q --hard origin/main

step "What the next deploy holds: git lanes <deployed>..main"
first=$(git rev-list --max-parents=0 HEAD)
run git lanes "$first..origin/main"

step "The same for a dashboard: git lanes --json"
run git lanes --json HEAD~1..HEAD

printf '\nThe scratch repositories are in %s (remove it when done).\n' "$scratch"
