#!/bin/sh
# git commit-age against real working trees.  Ages are measured with
# TRY_TEST_NOW pinned to the time the script started and file times set
# relative to it (touch -d @...), so every age below is exact.
. "$(dirname "$0")/lib.sh"

NOW=$(date +%s)
export TRY_TEST_NOW=$NOW
# test output lives outside the work trees, where it would count
A="$TRASH/artifacts"
mkdir -p "$A"

test_must_be_empty() {
	test -f "$1" && ! test -s "$1" && return 0
	echo "not empty: $1:" >&2
	cat "$1" >&2
	return 1
}
test_path_is_missing() {
	! test -e "$1" && return 0
	echo "exists: $1" >&2
	return 1
}
test_path_is_file() {
	test -f "$1" && return 0
	echo "not a file: $1" >&2
	return 1
}

# at <seconds ago>: a touch -d argument
at() { echo "@$((NOW - $1))"; }

# repo <dir>: a fresh repository with a committed tree:
#   a, b, src/c.c, src/d.c, docs/e.md, .gitignore (*.o, build/)
repo() {
	rm -rf "${TRASH:?}/${1:?}" &&
	git init -q "$TRASH/$1" &&
	cd "$TRASH/$1" &&
	echo a >a && echo b >b && mkdir src docs &&
	echo c >src/c.c && echo d >src/d.c && echo e >docs/e.md &&
	printf '*.o\nbuild/\n' >.gitignore &&
	git add . && git commit -q -m one &&
	# every file is old, as in a clone made long ago: only changes count
	touch -d "$(at 86400)" a b src/c.c src/d.c docs/e.md .gitignore
}

# age_json: git commit-age --json into "$A/json.out" (exit code kept in "$A/rc.out")
age_json() {
	rc=0
	git commit-age --json >"$A/json.out" || rc=$?
	echo $rc >"$A/rc.out"
}

# json_is <key> <raw JSON value>
json_is() {
	grep -q "\"$1\":$2[,}]" "$A/json.out" && return 0
	echo "json: wanted $1 = $2 in:" >&2
	cat "$A/json.out" >&2
	return 1
}

test_expect_success 'a clean tree: age 0, exit 0, nothing to say' '
	repo clean &&
	git commit-age >"$A/out" &&
	echo "clean: no uncommitted changes" >"$A/expect" &&
	test_cmp "$A/expect" "$A/out" &&
	git commit-age --prompt >"$A/out" && test_must_be_empty "$A/out" &&
	git commit-age --check >"$A/out" && test_must_be_empty "$A/out" &&
	age_json && json_is age_seconds 0 && json_is level 0 &&
	json_is changed_files 0 && json_is since null && json_is source "\"none\"" &&
	test_path_is_missing .git/try/dirty-since
'

test_expect_success 'a fresh checkout of an old commit is clean' '
	repo origin &&
	echo two >>a && git commit -q -am two &&
	git clone -q "$TRASH/origin" "$TRASH/clone" &&
	cd "$TRASH/clone" &&
	git checkout -q HEAD~ &&
	git commit-age --check &&
	age_json && json_is changed_files 0 && json_is age_seconds 0 &&
	git checkout -q - && git reset -q --hard HEAD~ && git pull -q &&
	git commit-age --check
'

test_expect_success 'touch without a content change does not count' '
	repo touched &&
	touch -d "$(at 20000)" a src/c.c &&
	touch src/d.c &&
	git commit-age --check &&
	age_json && json_is changed_files 0
'

test_expect_success 'an edit counts from its modification time' '
	repo edit &&
	echo more >>a && touch -d "$(at 5700)" a &&
	test_exit_code 1 git commit-age --check &&
	age_json && json_is age_seconds 5700 && json_is level 2 &&
	json_is level_name "\"alarmed\"" && json_is modified 1 &&
	json_is oldest_path "\"a\"" && json_is source "\"mtime\"" &&
	json_is since_epoch $((NOW - 5700)) &&
	test "$(cat "$A/rc.out")" = 1
'

test_expect_success 'the oldest of several changes sets the age' '
	repo several &&
	echo x >>a && touch -d "$(at 600)" a &&
	echo y >>src/c.c && touch -d "$(at 4000)" src/c.c &&
	echo z >new && touch -d "$(at 100)" new &&
	age_json && json_is age_seconds 4000 && json_is changed_files 3 &&
	json_is oldest_path "\"src/c.c\""
'

test_expect_success 'a same-size edit in the second of the commit counts' '
	repo racy &&
	echo aaaa >r && git add r && git commit -q -m r && echo bbbb >r &&
	age_json && json_is changed_files 1 && json_is modified 1
'

test_expect_success 'racily clean entries count only when their contents differ' '
	repo racy-clean &&
	echo 1111 >s && touch -d "+2 minutes" s &&
	git add s && git commit -q -m s &&
	git config core.trustCtime false &&
	age_json && json_is changed_files 0 &&
	touch -r s "$A/ref" && echo 2222 >s && touch -r "$A/ref" s &&
	age_json && json_is changed_files 1 && json_is modified 1
'

test_expect_success 'entries without stat data (update-index --cacheinfo)' '
	repo cacheinfo &&
	git update-index --cacheinfo 100644,$(git hash-object a),a &&
	git ls-files --debug a >"$A/debug" && grep "size: 0" "$A/debug" &&
	age_json && json_is changed_files 0 &&
	echo A >a && age_json && json_is changed_files 1
'

test_expect_success 'untracked files count, ignored ones do not' '
	repo untracked &&
	echo o >x.o && touch -d "$(at 90000)" x.o &&
	mkdir -p build && echo b >build/out && touch -d "$(at 90000)" build/out &&
	git commit-age --check &&
	mkdir -p new/deeper && echo n >new/deeper/file &&
	touch -d "$(at 3700)" new/deeper/file &&
	test_exit_code 1 git commit-age --check &&
	age_json && json_is untracked 1 && json_is age_seconds 3700 &&
	json_is oldest_path "\"new/deeper/file\"" && json_is level 1
'

test_expect_success 'status.showUntrackedFiles=no leaves untracked files out' '
	repo untracked-no &&
	echo n >new && touch -d "$(at 9000)" new &&
	git -c status.showUntrackedFiles=no commit-age --check &&
	git config status.showUntrackedFiles no &&
	git commit-age --check &&
	git config --unset status.showUntrackedFiles &&
	test_exit_code 1 git commit-age --check
'

test_expect_success 'a deleted file counts from its directory' '
	repo deleted &&
	rm src/c.c && touch -d "$(at 4000)" src &&
	age_json && json_is deleted 1 && json_is age_seconds 4000 &&
	json_is source "\"directory-mtime\"" && json_is oldest_path "\"src/c.c\"" &&
	test_exit_code 1 git commit-age >"$A/out" &&
	test_grep "(deleted)" "$A/out"
'

test_expect_success 'a deleted directory counts from the closest one left' '
	repo deleted-dir &&
	rm -r docs && touch -d "$(at 6000)" . &&
	age_json && json_is deleted 1 && json_is age_seconds 6000 &&
	json_is oldest_path "\"docs/e.md\""
'

test_expect_success 'staged changes and staged deletions count' '
	repo staged &&
	echo s >>b && git add b && touch -d "$(at 1000)" b &&
	git rm -q src/d.c &&
	age_json && json_is staged 2 && json_is changed_files 2 &&
	git commit -q -m staged &&
	git commit-age --check &&
	git reset -q --soft HEAD~ &&
	age_json && json_is staged 2
'

test_expect_success 'the dirty-since time survives stash and pop' '
	repo stashpop &&
	echo work >>a && touch -d "$(at 7300)" a &&
	age_json && json_is age_seconds 7300 &&
	grep "^since $((NOW - 7300))\$" "$(git rev-parse --git-path try/dirty-since)" &&
	git stash -q && git stash pop -q &&
	test "$(stat -c %Y a)" -gt $((NOW - 100)) &&
	age_json && json_is age_seconds 7300 && json_is source "\"dirty-since\"" &&
	json_is level 3
'

test_expect_success 'a clean spell inside a stash does not reset the clock' '
	repo stashed &&
	echo work >>a && touch -d "$(at 7300)" a &&
	{ git commit-age --check || :; } &&
	git stash -q &&
	git commit-age --check &&
	grep "^stashed " .git/try/dirty-since &&
	git stash pop -q &&
	age_json && json_is age_seconds 7300 &&
	git stash -q && git commit-age --check && git stash drop -q &&
	git commit-age --check &&
	test_path_is_missing .git/try/dirty-since
'

test_expect_success 'a commit restarts the clock; the post-commit call clears it' '
	repo committed &&
	echo w >>a && touch -d "$(at 7300)" a &&
	test_exit_code 1 git commit-age --check &&
	git commit -q -am w &&
	git commit-age --check &&
	test_path_is_missing .git/try/dirty-since
'

test_expect_success 'levels: prompt, exit codes and names at each level' '
	repo levels &&
	for row in "60 0 fine" "3660 1 uncomfortable" "5700 2 alarmed" \
		   "7500 3 very alarmed" "11100 4 stash"
	do
		set -- $row
		rm -rf .git/try &&
		echo $1 >a && touch -d "$(at $1)" a &&
		rc=0 && git commit-age --check || rc=$?
		test $rc = $(test $2 = 0 && echo 0 || echo 1) &&
		git commit-age --prompt >"$A/prompt.out" || :
		case $2 in
		0) test_must_be_empty "$A/prompt.out" ;;
		1) printf "\342\217\261 61m\n" >"$A/expect" ;;
		2) printf "\342\217\261 95m!\n" >"$A/expect" ;;
		3) printf "\342\217\261 125m!!\n" >"$A/expect" ;;
		4) printf "\342\217\261 185m stash\n" >"$A/expect" ;;
		esac
		test $2 = 0 || test_cmp "$A/expect" "$A/prompt.out"
		age_json && json_is level $2 && shift 2 &&
		json_is level_name "\"$*\""
	done
'

test_expect_success 'human output names the level and what to do' '
	repo human &&
	echo x >>a && touch -d "$(at 7500)" a && echo n >n &&
	test_exit_code 1 git commit-age >"$A/out" &&
	test_grep "^very alarmed: 2h05m of uncommitted work, since " "$A/out" &&
	test_grep "2 changed paths: 1 modified, 1 untracked; oldest: a" "$A/out" &&
	test_grep "stop and commit" "$A/out" &&
	echo x >>b && touch -d "$(at 20000)" b &&
	test_exit_code 1 git commit-age >"$A/out" &&
	test_grep "^stash: " "$A/out" && test_grep "git commit-age --stash" "$A/out"
'

test_expect_success 'commitAge.levels changes the thresholds' '
	repo custom &&
	echo x >>a && touch -d "$(at 150)" a &&
	git commit-age --check &&
	git config commitAge.levels 1,2,3,4 &&
	age_json && json_is level 2 && json_is levels_minutes "\[1,2,3,4\]" &&
	git -c commitAge.levels=10,20,30,40 commit-age --check
'

test_expect_success 'a bad commitAge.levels is an error naming the key' '
	repo badlevels &&
	for bad in 60,90,120 90,60,120,180 0,1,2,3 x,y,z,w "" 60,90,120,180,240
	do
		git config commitAge.levels "$bad" &&
		test_exit_code 128 git commit-age 2>"$A/err" &&
		test_grep "^git-commit-age: commitAge.levels: " "$A/err" &&
		test $(wc -l <"$A/err") = 1 || return 1
	done &&
	git config --unset commitAge.levels &&
	test_exit_code 128 git -c commitAge.levels=1,1,1,1 commit-age 2>"$A/err" &&
	test_grep commitAge.levels "$A/err"
'

test_expect_success 'outside a repository, in a bare one: exit 128, one line' '
	mkdir -p "$TRASH/nowhere" && cd "$TRASH/nowhere" &&
	GIT_CEILING_DIRECTORIES="$TRASH" &&
	test_exit_code 128 git-commit-age 2>"$A/err" &&
	test_grep "^git-commit-age: not a git repository" "$A/err" &&
	test $(wc -l <"$A/err") = 1 &&
	git init -q --bare "$TRASH/bare.git" && cd "$TRASH/bare.git" &&
	test_exit_code 128 git-commit-age 2>"$A/err" &&
	test_grep "bare" "$A/err" && test $(wc -l <"$A/err") = 1
'

test_expect_success 'usage: exit 129; --help: exit 0' '
	repo usage &&
	test_exit_code 129 git commit-age --frobnicate 2>"$A/err" &&
	test_grep "unknown option" "$A/err" &&
	test_exit_code 129 git commit-age --json --prompt 2>"$A/err" &&
	test_exit_code 129 git commit-age extra 2>"$A/err" &&
	git-commit-age --help >"$A/out" &&
	test_grep "^usage: git commit-age" "$A/out" &&
	git commit-age -h >"$A/out" && test_grep "^usage: " "$A/out"
'

test_expect_success 'from a subdirectory and through git' '
	repo subdir &&
	echo x >>a && touch -d "$(at 4000)" a &&
	cd src && test_exit_code 1 git commit-age --check &&
	test_exit_code 1 "$SRC_DIR/cmd/git-commit-age" --check
'

test_expect_success 'the same counts as git status' '
	repo compare &&
	echo x >>a && echo y >>src/c.c && git add src/c.c && echo z >>src/c.c &&
	rm b && git rm -q --cached docs/e.md && mkdir -p u/v && echo 1 >u/v/w &&
	echo 2 >u/x && echo 3 >u/y.o && ln -s a link && git mv src/d.c src/dd.c &&
	mkdir -p nested && git -C nested init -q && echo 4 >nested/f &&
	git status --porcelain --untracked-files=all --no-renames >"$A/status" &&
	age_json && json_is changed_files $(wc -l <"$A/status")
'

test_expect_success 'never writes the index, never needs index.lock' '
	repo nolock &&
	echo more >>a && touch -d "$(at 5000)" a src/c.c b &&
	cp .git/index "$A/index.before" &&
	test_exit_code 1 git commit-age --check &&
	test_cmp "$A/index.before" .git/index &&
	: >.git/index.lock &&
	test_exit_code 1 git commit-age --check &&
	test_cmp "$A/index.before" .git/index &&
	rm .git/index.lock
'

test_expect_success 'a linked worktree keeps its own state' '
	repo main-wt &&
	git worktree add -q "$TRASH/linked" &&
	cd "$TRASH/linked" &&
	echo x >>a && touch -d "$(at 4000)" a &&
	test_exit_code 1 git commit-age --check &&
	state=$(git rev-parse --git-path try/dirty-since) &&
	test -f "$state" && case "$state" in *worktrees/linked*) ;; *) false ;; esac &&
	cd "$TRASH/main-wt" && git commit-age --check
'

test_expect_success '--prompt may reuse a fresh clean scan; --check never does' '
	repo promptcache &&
	git commit-age --check &&
	echo x >>a && touch -d "$(at 11000)" a &&
	{ git commit-age --prompt >"$A/out" || :; } &&
	test_must_be_empty "$A/out" &&
	test_exit_code 1 git commit-age --check &&
	test_exit_code 1 git commit-age --prompt >"$A/out" &&
	test_grep "183m stash" "$A/out" &&
	git checkout -q a &&
	git commit-age --prompt >"$A/out" && test_must_be_empty "$A/out"
'

test_expect_success '--stash stashes everything and pop brings it back' '
	repo stash &&
	echo s >>a && git add a && echo t >>a &&
	echo u >>src/c.c && rm b && mkdir -p fresh/dir &&
	echo v >fresh/dir/new && echo w >top-new && echo o >ign.o &&
	touch -d "$(at 12000)" src/c.c &&
	git status --porcelain --untracked-files=all >"$A/status.before" &&
	find . -path ./.git -prune -o -type f -print | sort |
		xargs sha1sum >"$A/sums.before" &&
	git commit-age --stash >"$A/out" &&
	test_grep "git stash pop" "$A/out" &&
	test_grep "stashed 3h20m of uncommitted work" "$A/out" &&
	git stash list >"$A/list" && test_grep "commit-age: 3h20m of uncommitted work" "$A/list" &&
	git status --porcelain --untracked-files=all >"$A/status.mid" &&
	test_must_be_empty "$A/status.mid" &&
	test_path_is_file ign.o &&
	git commit-age --check &&
	git stash pop -q --index &&
	git status --porcelain --untracked-files=all >"$A/status.after" &&
	test_cmp "$A/status.before" "$A/status.after" &&
	find . -path ./.git -prune -o -type f -print | sort |
		xargs sha1sum >"$A/sums.after" &&
	test_cmp "$A/sums.before" "$A/sums.after"
'

test_expect_success '--stash refuses when there is nothing to stash' '
	repo nostash &&
	test_exit_code 1 git commit-age --stash 2>"$A/err" &&
	test_grep "nothing to stash" "$A/err" &&
	git stash list >"$A/list" && test_must_be_empty "$A/list"
'

test_done
