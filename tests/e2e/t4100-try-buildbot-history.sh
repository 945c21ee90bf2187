#!/bin/bash
# git try for daily use against a real Buildbot master and worker: why a
# build failed (the failing step's log in the terminal and in --json), past
# tries (list, show, again --failed), choosing builders (-b,
# --list-builders) and what is refused before anything is sent.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/e2e/buildbot.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
O="$TRASH/o"
mkdir -p "$O"

git init -q --bare server.git
git clone -q server.git work 2>/dev/null
cd work || exit 1
echo "echo base check" >check.sh
echo plain >plain.txt
git add . && git commit -q -m base && git push -q origin main
BASE=$(git rev-parse HEAD)
git config try.backend buildbot

bb_start "$TRASH/server.git" try try-asan || {
	echo "not ok 1 - a Buildbot master and worker for the tests"
	exit 1
}
git config try.url "$BB_URL"

requests_count() {
	bb_get buildrequests | "$PY" -c \
		'import json,sys; print(len(json.load(sys.stdin)["buildrequests"]))'
}

# builds_of <builder>: how many builds it has run
builds_of() {
	bb_get "builders/$1/builds" | "$PY" -c \
		'import json,sys; print(len(json.load(sys.stdin)["builds"]))'
}

test_expect_success 'a failing test: its own output in the terminal, with the raw log URL' '
	cat >>check.sh <<-\EOF &&
	for i in $(seq 40); do echo "noise $i"; done
	echo "MARKER: frobnicate() returned 42"
	exit 1
	EOF
	test_exit_code 1 git try >"$O/out" 2>"$O/err" &&
	test_grep "^try: failed (step .test. failed" "$O/out" &&
	test_grep "^--- try, step .test.: ${BB_URL}api/v2/logs/[0-9]*/raw$" "$O/out" &&
	test_grep "^    MARKER: frobnicate() returned 42$" "$O/out" &&
	test_grep "^    noise 40$" "$O/out" &&
	! grep -q "^    noise 10$" "$O/out" &&
	url=$(sed -n "s/^--- try, step .test.: //p" "$O/out") &&
	curl -sS "$url" >"$O/raw" &&
	test_grep "^MARKER: frobnicate() returned 42$" "$O/raw" &&
	test_grep "^noise 1$" "$O/raw"
'

test_expect_success '--json carries the step, the log tail and its URL per job' '
	test_exit_code 1 git try --json >"$O/json" 2>"$O/err" &&
	"$PY" - "$O/json" "$BB_URL" <<-\EOF &&
	import json, sys
	r = json.load(open(sys.argv[1]))
	assert r["result"] == "failed", r
	for j in r["jobs"]:
	    assert j["step"] == "test", j
	    assert "MARKER: frobnicate() returned 42" in j["log"], j
	    assert len(j["log"].splitlines()) == 30, j["log"]
	    assert j["log_url"].startswith(sys.argv[2] + "api/v2/logs/"), j
	EOF
	test_exit_code 1 git -c try.logLines=3 try --json >"$O/json3" 2>"$O/err" &&
	"$PY" -c "import json,sys; j=json.load(open(sys.argv[1]))[\"jobs\"][0]; assert len(j[\"log\"].splitlines()) == 3, j" "$O/json3" &&
	test_exit_code 1 git try --log --json >"$O/jsonall" 2>"$O/err" &&
	grep -q "noise 1\\\\n" "$O/jsonall" &&
	git checkout -q check.sh
'

test_expect_success 'list shows the recorded tries, newest first' '
	git try list >"$O/list" &&
	test "$(wc -l <"$O/list")" = 4 &&
	test_grep "^ 1  try-[0-9]*-[0-9a-f]*  .*  ${BASE:0:7}  buildbot  failed" "$O/list" &&
	git try list -n 2 --json >"$O/list.json" &&
	"$PY" -c "import json,sys; l=json.load(open(sys.argv[1])); assert len(l) == 2 and l[0][\"result\"] == \"failed\", l" "$O/list.json"
'

test_expect_success 'show follows a --no-wait try to its verdict' '
	echo "sleep 1" >>check.sh &&
	git try --no-wait >"$O/out" 2>"$O/err" &&
	git try show >"$O/show" &&
	test_grep "^backend:  buildbot$" "$O/show" &&
	for i in $(seq 100); do
		git try show >"$O/show" && grep -q "^result:   passed$" "$O/show" && break
		sleep 0.2
	done &&
	test_grep "^result:   passed$" "$O/show" &&
	test_grep "^try: passed  ${BB_URL}#/builders/" "$O/show" &&
	git try list -n 1 >"$O/list" &&
	test_grep "buildbot  passed" "$O/list" &&
	git checkout -q check.sh
'

test_expect_success 'again --failed reruns only the failed builder, from the record' '
	cat >>check.sh <<-\EOF &&
	case "$(pwd)" in *try-asan*) echo "asan says no"; exit 1;; esac
	EOF
	test_exit_code 1 git try >"$O/out" 2>"$O/err" &&
	test_grep "^try: passed" "$O/out" &&
	test_grep "^try-asan: failed" "$O/out" &&
	git checkout -q check.sh &&
	echo "unrelated" >plain.txt &&
	try_builds=$(builds_of try) &&
	asan_builds=$(builds_of try-asan) &&
	test_exit_code 1 git try again --failed >"$O/again" 2>"$O/err" &&
	test "$(cut -d: -f1 "$O/again" | sort -u | grep -v "^---\|^    ")" = try-asan &&
	test_grep "^    asan says no$" "$O/again" &&
	test "$(builds_of try)" = "$try_builds" &&
	test "$(builds_of try-asan)" = $((asan_builds + 1)) &&
	test "$(cat plain.txt)" = unrelated &&
	git try list -n 1 >"$O/list" &&
	test_grep "failed  (again)" "$O/list" &&
	git checkout -q plain.txt
'

test_expect_success '-b picks the builder; an unknown one is refused before sending' '
	echo more >>plain.txt &&
	git try -b try-asan >"$O/out" 2>"$O/err" &&
	test "$(cut -d: -f1 "$O/out")" = try-asan &&
	before=$(requests_count) &&
	test_exit_code 128 git try -b try -b try-mac >"$O/out" 2>"$O/err" &&
	test "$(requests_count)" = "$before" &&
	test_grep "builder .try-mac. (-b or try.builders) is not one of scheduler .try.: try, try-asan" "$O/err" &&
	git checkout -q plain.txt
'

test_expect_success 'a preset chooses the builders; an unknown preset is refused' '
	echo more >>plain.txt &&
	git config try.preset.asan.builders try-asan &&
	git try --preset asan >"$O/out" 2>"$O/err" &&
	test "$(cut -d: -f1 "$O/out")" = try-asan &&
	test_exit_code 128 git try --preset nope >"$O/out" 2>"$O/err" &&
	test_grep "git-try: no preset .nope." "$O/err" &&
	git checkout -q plain.txt
'

test_expect_success '--list-builders asks the CI' '
	git try --list-builders >"$O/out" &&
	printf "try\ntry-asan\n" >"$O/want" &&
	test_cmp "$O/want" "$O/out"
'

test_expect_success '--command with a CI backend is an error that says so' '
	echo more >>plain.txt &&
	before=$(requests_count) &&
	test_exit_code 129 git try --command "make test" >"$O/out" 2>"$O/err" &&
	test "$(requests_count)" = "$before" &&
	test_grep "git-try: --command is the local backend.s: buildbot runs its own test command" "$O/err" &&
	git checkout -q plain.txt
'

test_expect_success 'a corrupt or truncated record is skipped with a warning' '
	n=$(git try list | wc -l) &&
	id=$(git try list -n 1 --json | "$PY" -c "import json,sys; print(json.load(sys.stdin)[0][\"id\"])") &&
	head -c 50 .git/try/$id.json >"$O/torn" &&
	cp "$O/torn" .git/try/$id.json &&
	printf "\000\377garbage" >.git/try/try-1-zz.json &&
	git try list >"$O/list" 2>"$O/err" &&
	test "$(wc -l <"$O/list")" = $((n - 1)) &&
	test_grep "git-try: warning: skipped the record .*$id.json.: not JSON" "$O/err" &&
	test_grep "git-try: warning: skipped the record .*try-1-zz.json" "$O/err" &&
	{ git try show 1 >"$O/show" 2>"$O/err" || test $? = 1; } &&
	test_grep "^result:   passed$" "$O/show" &&
	test_grep "warning: skipped the record" "$O/err" &&
	rm .git/try/$id.json .git/try/try-1-zz.json
'

test_expect_success 'again of a try whose base is gone says so and sends nothing' '
	id=$(git try list -n 1 --json | "$PY" -c "import json,sys; print(json.load(sys.stdin)[0][\"id\"])") &&
	sed "s/\"base\":\"[0-9a-f]*\"/\"base\":\"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\"/" \
		.git/try/$id.json >"$O/rec" &&
	cp "$O/rec" .git/try/$id.json &&
	before=$(requests_count) &&
	test_exit_code 128 git try again >"$O/out" 2>"$O/err" &&
	test "$(requests_count)" = "$before" &&
	test_grep "git-try: the base eeeeeeeeeeee of $id is gone from this repository" "$O/err"
'

test_done
