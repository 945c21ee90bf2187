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

step "Production is sick: the conductor holds the code lane"
run git lanes hold code -m "checkout errors, INC-42"
echo 'int main(void) { return 2; }' >src/main.c
git commit -q -a -m "Refactor exit status"
push origin main
echo "(the config lane stays open: a flag can still be switched off)"
echo '{"new_checkout": false}' >flags/checkout.json
git commit -q -a -m "Switch the new checkout off"
git rebase -q --onto origin/main HEAD~1 2>/dev/null  # the refactor waits
push origin main
echo "(a fix passes the hold with a push option)"
echo 'int main(void) { return 0; }' >src/main.c
git commit -q -a -m "Fix checkout errors"
push -o lanes.fix origin main
run git lanes release code
run git -C ../server.git lanes log -n 3

step "Deploys: the deploy tool says what went live; what can each lane ship now?"
run git lanes deployed code "$first" -m "first deploy of the shop"
run git lanes deployed config "$first"
run git lanes next
run git -C ../server.git lanes log --type deploy -n 2

step "The push train: join, ready, the driver deploys, everyone verifies"
run git lanes queue join -m "exit status fix"
run git lanes queue ready
run git lanes deployed code -m "car 1"
run git lanes queue status
run git lanes queue good

step "The cockpit: one page for everyone (git lanes serve)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
git lanes serve --listen "127.0.0.1:$port" ../server.git >../serve.log 2>&1 &
serve_pid=$!
i=0
until curl -fs "http://127.0.0.1:$port/metrics" >/dev/null 2>&1 || [ $i -ge 100 ]; do
	sleep 0.1; i=$((i + 1))
done
url="http://127.0.0.1:$port"
echo "(serving $url/ : open it in a browser; the page, /api/ and /metrics)"
printf '%s$ curl -sL %s/ | grep "<h2>"%s\n' "$bold" "$url" "$off"
curl -sL "$url/" | sed -n 's/.*<h2[^>]*>\([^<]*\)<\/h2>.*/  section: \1/p'
printf '%s$ curl -s %s/metrics | grep -E "^lanes_(hold|last_deploy|queue)"%s\n' \
	"$bold" "$url" "$off"
curl -s "$url/metrics" |
	grep -E '^lanes_(hold|last_deploy_timestamp_seconds|queue_riders)\{' |
	head -n 10
kill "$serve_pid" 2>/dev/null || :
wait "$serve_pid" 2>/dev/null || :

step "Developers: client hooks catch mistakes before the network"
run git trunk install
git switch -q -c experiment
echo 'void beta(void) {}' >src/beta.c
git add src/beta.c
run git commit -q -m "Beta feature"
push origin experiment
git switch -q main
git branch -q -D experiment
git reset -q --hard origin/main

cat >test.sh <<'SH'
#!/bin/sh
# the project's test: every C file must compile
for f in src/*.c; do cc -fsyntax-only "$f" || exit 1; done
echo "tests: $(ls src/*.c | wc -l) files compile"
SH
git add test.sh && git commit -q -m "Add the test script" 2>/dev/null &&
git push -q origin main 2>/dev/null

step "Work that waits too long: git commit-age"
echo 'void report(void) {}' >src/report.c
touch -d "95 minutes ago" src/report.c
run git commit-age || :
run git commit-age --prompt || :

step "git try: the tests run on the uncommitted change, in a clean worktree"
run git config try.command "sh test.sh"
git add src/report.c
run git try -m "report skeleton" || :
echo 'void report(void) { oops }' >src/report.c
run git try -m "broken report" || :
rc=0; git try >/dev/null 2>&1 || rc=$?
echo "(exit code $rc: the tests failed; the working copy is untouched)"
run git status --short

printf '\nThe scratch repositories are in %s (remove it when done).\n' "$scratch"
