#!/bin/bash
# The Buildbot recipe of docs/try.md, as written there: the commands between
# its buildbot-recipe markers run from the source tree (try-buildbot create
# and start, with a temporary HOME and XDG_STATE_HOME unset) and in a clone
# (git config); a try then passes against the real master and worker.  The
# source tree is left as it was; the state is under ~/.local/state.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/e2e/servers/lib.sh"

for cmd in buildbot buildbot-worker; do
	command -v $cmd >/dev/null || { echo "not ok 1 - $cmd missing"; exit 1; }
done
unset XDG_STATE_HOME
STATE="$HOME/.local/state/try-buildbot"
RECIPE="$SRC_DIR/contrib/buildbot/try-buildbot"
at_exit "\"$RECIPE\" stop \"$STATE\" >/dev/null 2>&1"
TRY_BB_WEB_PORT=$(free_port)
TRY_BB_WORKER_PORT=$(free_port)
export TRY_BB_WEB_PORT TRY_BB_WORKER_PORT

git -C "$SRC_DIR" status --porcelain --ignored >"$TRASH/src-before"
sed -n '/^<!-- buildbot-recipe/,/^<!-- end of buildbot-recipe/p' \
	"$SRC_DIR/docs/try.md" | sed -n 's/^    //p' |
	sed -e "s|/srv/git/project.git|$TRASH/server.git|" \
	    -e "s|:8010/|:$TRY_BB_WEB_PORT/|" >"$TRASH/recipe"
try_project || exit 1

test_expect_success 'docs/try.md has the recipe' '
	test_grep "^TRY_BB_REPO=.* contrib/buildbot/try-buildbot create\$" \
		"$TRASH/recipe" &&
	test_grep "^git config try.url " "$TRASH/recipe"
'

test_expect_success 'its commands set up a master and worker outside the tree' '
	grep try-buildbot "$TRASH/recipe" >"$TRASH/in-src" &&
	grep -v try-buildbot "$TRASH/recipe" >"$TRASH/in-clone" &&
	(cd "$SRC_DIR" && . "$TRASH/in-src") >"$TRASH/recipe.out" 2>&1 &&
	. "$TRASH/in-clone" &&
	test -f "$STATE/master/master.cfg" &&
	test -f "$STATE/master/twistd.pid" &&
	test -f "$STATE/worker/buildbot.tac" &&
	test "$(stat -c %a "$STATE/env")" = 600 &&
	test_grep "^export TRY_BB_REPO=.$TRASH/server.git.\$" "$STATE/env"
'

test_expect_success 'a try passes against it' '
	echo two >>a && git add a &&
	git try >out 2>err &&
	test_grep "^try: passed  http://127.0.0.1:$TRY_BB_WEB_PORT/" out
'

test_expect_success 'the source tree is as it was' '
	git -C "$SRC_DIR" status --porcelain --ignored >"$TRASH/src-after" &&
	test_cmp "$TRASH/src-before" "$TRASH/src-after"
'

test_expect_success 'try-buildbot stop stops both' '
	"$RECIPE" stop "$STATE" >"$TRASH/stop.out" 2>&1 &&
	test ! -f "$STATE/master/twistd.pid" &&
	test ! -f "$STATE/worker/twistd.pid"
'

test_expect_success 'create refuses a directory that has a master' '
	test_exit_code 128 env TRY_BB_REPO=x "$RECIPE" create "$STATE" \
		>out 2>err &&
	test_grep "^try-buildbot: .*/master. exists already\$" err
'

test_done
