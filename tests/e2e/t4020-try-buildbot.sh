#!/bin/bash
# git try against a real Buildbot master and worker (Debian's packages) with
# the try builders of contrib/buildbot/master.cfg over a bare repository:
# verdicts and exit codes, every kind of change arriving intact (the build
# checks them and reports its tree), waiting, --no-wait, Ctrl-C, --json,
# --dry-run, and a CI server that is down or goes away.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/e2e/buildbot.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
O="$TRASH/o"
mkdir -p "$O"

git init -q --bare server.git
git clone -q server.git work 2>/dev/null
cd work || exit 1
# The build runs check.sh from the checkout; a try changes it to check what
# the change is about.  It always reports the tree it was given.
cat >check.sh <<'EOF'
echo "tree: $(git write-tree)"
echo base check
EOF
echo plain >plain.txt
echo old >old-name.txt
echo gone >gone.txt
printf '#!/bin/sh\necho script\n' >script.sh
printf 'bin\000ary\001' >data.bin
git add . && git commit -q -m base && git push -q origin main
BASE=$(git rev-parse HEAD)
git config try.backend buildbot

bb_start "$TRASH/server.git" try try-asan || {
	echo "not ok 1 - a Buildbot master and worker for the tests"
	exit 1
}
git config try.url "$BB_URL"

# buildid_of <json result> <builder>: the build id behind the job's URL
buildid_of() {
	"$PY" - "$1" "$2" "${BB_URL}api/v2" <<-'EOF'
	import json, re, sys, urllib.request
	res, name, api = sys.argv[1:]
	job = [j for j in json.load(open(res))["jobs"] if j["name"] == name][0]
	m = re.search(r"#/builders/(\d+)/builds/(\d+)$", job["url"])
	with urllib.request.urlopen("%s/builders/%s/builds/%s" % (
	        api, m.group(1), m.group(2)), timeout=10) as r:
	    print(json.load(r)["builds"][0]["buildid"])
	EOF
}

# build_done <url of a build request or build>: waits (30 s at most) for
# it to finish, and prints its Buildbot result code
build_done() {
	"$PY" - "$1" "${BB_URL}api/v2" <<-'EOF'
	import json, re, sys, time, urllib.request
	url, api = sys.argv[1:]
	def get(p):
	    with urllib.request.urlopen(api + p, timeout=10) as r:
	        return json.load(r)
	m = re.search(r"#/buildrequests/(\d+)$", url)
	path = ("/builds?buildrequestid=%s" % m.group(1) if m else
	        "/builders/%s/builds/%s" % re.search(
	            r"#/builders/(\d+)/builds/(\d+)$", url).groups())
	for _ in range(300):
	    b = get(path)["builds"]
	    if b and b[-1]["complete"]:
	        print(b[-1]["results"])
	        sys.exit(0)
	    time.sleep(0.1)
	sys.exit("build %s did not finish" % url)
	EOF
}

requests_count() {
	bb_get buildrequests | "$PY" -c \
		'import json,sys; print(len(json.load(sys.stdin)["buildrequests"]))'
}

test_expect_success 'a passing change exits 0 with each builder and its URL' '
	echo more >>plain.txt &&
	git try >"$O/out" 2>"$O/err" &&
	test_grep "^try: passed  ${BB_URL}#/builders/[0-9]*/builds/[0-9]*$" "$O/out" &&
	test_grep "^try-asan: passed  ${BB_URL}#/builders/[0-9]*/builds/[0-9]*$" "$O/out" &&
	test "$(wc -l <"$O/out")" = 2 &&
	test_grep "git-try: 1 file against ${BASE:0:12} (merge-base of HEAD and origin/main) to buildbot" "$O/err" &&
	url=$(sed -n "s/^try: passed  //p" "$O/out") &&
	test "$(build_done "$url")" = 0 &&
	git checkout -q plain.txt
'

test_expect_success 'a failing change exits 1 and names the step' '
	echo "exit 1" >>check.sh &&
	test_exit_code 1 git try >"$O/out" 2>"$O/err" &&
	test_grep "^try: failed (step .test. failed: .sh ./check.sh. (failure))  ${BB_URL}#/builders/" "$O/out" &&
	test_grep "^try-asan: failed (step .test. failed" "$O/out" &&
	git checkout -q check.sh
'

test_expect_success 'a patch the builder cannot apply exits 2, not 1' '
	printf "[apply]\n\twhitespace = error\n" >"$BB_DIR/worker-home/.gitconfig" &&
	printf "trailing white space   \n" >>plain.txt &&
	{ test_exit_code 2 git try >"$O/out" 2>"$O/err"; rc=$?; } &&
	rm -f "$BB_DIR/worker-home/.gitconfig" &&
	test $rc = 0 &&
	test_grep "^try: patch did not apply (step .git. failed: git apply failed: error: 1 line adds whitespace errors.)  ${BB_URL}#/builders/" "$O/out" &&
	test_grep "^try-asan: patch did not apply" "$O/out" &&
	git checkout -q plain.txt
'

test_expect_success 'binary, untracked, renamed, deleted, chmod and symlink arrive intact' '
	printf "new\000binary\377\376" >new.bin &&
	printf "\000\001\002\003changed" >data.bin &&
	echo untracked >untracked.txt &&
	printf "caf\351\n" >latin1.txt &&
	git mv old-name.txt new-name.txt &&
	git rm -q gone.txt &&
	chmod +x script.sh &&
	ln -s plain.txt link &&
	cat >>check.sh <<-EOF &&
	set -e
	test "\$(sha256sum <new.bin)" = "$(sha256sum <new.bin)"
	test "\$(sha256sum <data.bin)" = "$(sha256sum <data.bin)"
	test "\$(sha256sum <latin1.txt)" = "$(sha256sum <latin1.txt)"
	test "\$(cat untracked.txt)" = untracked
	test ! -e old-name.txt && test "\$(cat new-name.txt)" = old
	test ! -e gone.txt
	test -x script.sh
	test -L link && test "\$(readlink link)" = plain.txt
	echo all intact
	EOF
	cp -p .git/index "$TRASH/want-index" &&
	want=$(GIT_INDEX_FILE="$TRASH/want-index" git add -A &&
	       GIT_INDEX_FILE="$TRASH/want-index" git write-tree) &&
	git try --untracked --json >"$O/json" 2>"$O/err" &&
	grep -q "\"result\":\"passed\"" "$O/json" &&
	for b in try try-asan; do
		id=$(buildid_of "$O/json" $b) &&
		bb_build_log "$id" test >"$O/log-$b" &&
		test_grep "^tree: $want$" "$O/log-$b" &&
		test_grep "^all intact$" "$O/log-$b" || return 1
	done &&
	git reset -q --hard && git clean -q -fd
'

test_expect_success 'without --untracked, untracked files stay home' '
	echo untracked >untracked.txt &&
	echo "test ! -e untracked.txt" >>check.sh &&
	git try >"$O/out" 2>"$O/err" &&
	test_grep "^try: passed" "$O/out" &&
	git checkout -q check.sh && rm untracked.txt
'

test_expect_success '--json prints one object with each job' '
	echo more >>plain.txt &&
	git try --json >"$O/json" 2>"$O/err" &&
	test "$(wc -l <"$O/json")" = 1 &&
	"$PY" - "$O/json" "$BASE" "$BB_URL" <<-\EOF &&
	import json, sys
	r = json.load(open(sys.argv[1]))
	assert r["result"] == "passed" and r["exit_code"] == 0, r
	assert r["backend"] == "buildbot" and r["base"] == sys.argv[2], r
	assert r["branch"] == "main" and r["files"] == 1, r
	assert sorted(j["name"] for j in r["jobs"]) == ["try", "try-asan"], r
	for j in r["jobs"]:
	    assert j["state"] == "passed", j
	    assert j["url"].startswith(sys.argv[3] + "#/builders/"), j
	EOF
	git checkout -q plain.txt
'

test_expect_success 'try.builders picks the builders' '
	echo more >>plain.txt &&
	git config try.builders try-asan &&
	git try >"$O/out" 2>"$O/err" &&
	git config --unset try.builders &&
	test "$(cat "$O/out" | cut -d: -f1)" = try-asan &&
	git checkout -q plain.txt
'

test_expect_success '--dry-run sends nothing and shows what it would' '
	echo more >>plain.txt &&
	before=$(requests_count) &&
	git try --dry-run >"$O/patch" 2>"$O/err" &&
	test "$(requests_count)" = "$before" &&
	test_grep "^diff --git a/plain.txt b/plain.txt$" "$O/patch" &&
	test_grep "^backend:  buildbot$" "$O/err" &&
	test_grep "^url:      $BB_URL$" "$O/err" &&
	test_grep "^send:     POST api/v2/forceschedulers/try" "$O/err" &&
	test_grep "^base:     $BASE" "$O/err" &&
	git checkout -q plain.txt
'

test_expect_success '--no-wait prints the URLs and leaves the build running' '
	echo "sleep 1" >>check.sh &&
	git try --no-wait >"$O/out" 2>"$O/err" &&
	test_grep "^try: ${BB_URL}#/buildrequests/[0-9]*$" "$O/out" &&
	test_grep "^try-asan: ${BB_URL}#/buildrequests/[0-9]*$" "$O/out" &&
	test_grep "submitted; follow it at" "$O/err" &&
	for url in $(cut -d" " -f2 "$O/out"); do
		test "$(build_done "$url")" = 0 || return 1
	done &&
	git checkout -q check.sh
'

test_expect_success 'Ctrl-C while waiting prints the URL; the build goes on' '
	echo "sleep 3" >>check.sh &&
	{ git-try >"$O/out" 2>"$O/err" & } &&
	pid=$! &&
	for i in $(seq 100); do
		grep -q "running" "$O/err" && break
		sleep 0.1
	done &&
	kill -INT $pid &&
	test_exit_code 130 wait $pid &&
	test_grep "stopped waiting; the build keeps running:" "$O/err" &&
	url=$(sed -n "s/^  try: //p" "$O/err") &&
	test -n "$url" &&
	test "$(build_done "$url")" = 0 &&
	git checkout -q check.sh
'

test_expect_success 'on a terminal: one status line updated in place, in colour' '
	if ! command -v script >/dev/null
	then
		echo "no script(1)" &&
		return 0
	fi &&
	echo "sleep 1" >>check.sh &&
	script -qfec "git try" /dev/null >"$O/tty" </dev/null &&
	# the line is rewritten: carriage return, erase to the end of line
	test "$(grep -o "$(printf "\r\033\\[K")git-try: 0:0[0-9] " "$O/tty" |
		wc -l)" -ge 2 &&
	grep -q "$(printf "\033\\[33mrunning")" "$O/tty" &&
	grep -q "$(printf "try: \033\\[32mpassed\033\\[m  ")" "$O/tty" &&
	! grep -q "^git-try: try: running" "$O/tty" &&
	NO_COLOR=1 script -qfec "git try" /dev/null >"$O/tty" </dev/null &&
	grep -q "$(printf "\r\033\\[K")git-try: " "$O/tty" &&
	! grep -q "$(printf "\033\\[3")" "$O/tty" &&
	grep -q "try: passed  " "$O/tty" &&
	git checkout -q check.sh
'

test_expect_success 'an unknown scheduler is a clear error' '
	echo more >>plain.txt &&
	git config try.scheduler nope &&
	test_exit_code 128 git try >"$O/out" 2>"$O/err" &&
	git config --unset try.scheduler &&
	test_grep "no force scheduler .nope." "$O/err" &&
	git checkout -q plain.txt
'

test_expect_success 'a builder the scheduler does not have is a clear error' '
	echo more >>plain.txt &&
	before=$(requests_count) &&
	git config try.builders try-mac &&
	test_exit_code 128 git try >"$O/out" 2>"$O/err" &&
	git config --unset try.builders &&
	test "$(requests_count)" = "$before" &&
	test_grep "builder .try-mac. (-b or try.builders) is not one of scheduler .try.: try, try-asan" "$O/err" &&
	git checkout -q plain.txt
'

test_expect_success 'the CI server down: 128 within the timeout, a clear message' '
	echo more >>plain.txt &&
	port=$(free_port) &&
	start=$(date +%s) &&
	git config try.url "http://127.0.0.1:$port/" &&
	test_exit_code 128 git try >"$O/out" 2>"$O/err" &&
	git config try.url "$BB_URL" &&
	test $(( $(date +%s) - start )) -lt 30 &&
	test_grep "git-try: cannot submit: buildbot: cannot connect to http://127.0.0.1:$port/api/v2/forceschedulers/try" "$O/err" &&
	git checkout -q plain.txt
'

test_expect_success 'losing the server while waiting: 128 and the URL' '
	echo "sleep 5" >>check.sh &&
	{ git-try >"$O/out" 2>"$O/err" & } &&
	pid=$! &&
	for i in $(seq 100); do
		grep -q "running" "$O/err" && break
		sleep 0.1
	done &&
	bb_stop &&
	start=$(date +%s) &&
	test_exit_code 128 wait $pid &&
	test $(( $(date +%s) - start )) -lt 30 &&
	test_grep "git-try: lost contact: buildbot: " "$O/err" &&
	test_grep "the build may still be running:" "$O/err" &&
	test_grep "^  try: ${BB_URL}#/builders/" "$O/err" &&
	git checkout -q check.sh
'

test_done
