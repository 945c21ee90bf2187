#!/bin/bash
# git try --backend jenkins against tests/e2e/servers/fake-jenkins.py, a
# loopback server that answers as Jenkins' documented REST API does (a real
# Jenkins cannot run here).  Its job runs a real build: clone, check out
# $BASE, git apply --index the patch.diff file parameter, make check.
# Results, exit codes, the console URL, the TRY-PATCH-FAILED convention,
# crumbs, credentials (TRY_TOKEN, a git credential helper), 4xx, 5xx, slow
# answers, a server that is not there.
. "$(dirname "$0")/lib.sh"

. "$SRC_DIR/tests/e2e/servers/lib.sh"
TOKEN=11aaaabbbbccccddddeeeeffff00001111

try_project || exit 1

# The Jenkins job: what its shell step would be (docs/try.md ("`jenkins` and `webhook`: over HTTP")).
# CHECKOUT lets a test build on another commit than the base.
cat >"$TRASH/job.sh" <<\EOF
#!/bin/sh
git clone -q "$TRY_REPO" src && cd src &&
git checkout -q "${CHECKOUT:-$BASE}" || exit 3
if ! git apply --index "$PATCH" 2>../apply.err; then
	cat ../apply.err
	echo "TRY-PATCH-FAILED: $(head -n 1 ../apply.err)"
	exit 1
fi
echo "TREE $(git write-tree)"
make check && exit 0
# a failing test says why: the line git try must bring back
test ! -e fail.t || cat fail.t
exit 1
EOF
chmod +x "$TRASH/job.sh"

# jenkins_start <name> <options>...: a fake-jenkins.py in $TRASH/<name>.
jenkins_start() {
	local name=$1
	shift
	server_start fake-jenkins.py "$name" --script "$TRASH/job.sh" "$@"
}

# console <name> <build>: the build's console log.
console() {
	curl -sf -u "alice:$TOKEN" \
		"http://127.0.0.1:$(port "$1")/job/try/$2/logText/progressiveText"
}

jenkins_start jenkins --user alice --token "$TOKEN"
P=$(port jenkins)
git config try.backend jenkins
git config try.url "http://alice@127.0.0.1:$P/"
git config try.job try
git config try.pollInterval 100ms
export TRY_TOKEN="$TOKEN"

test_expect_success 'a passing change exits 0 with the console URL' '
	printf "\\000\\001binary\\377" >bin.dat &&
	echo two >>a && git add a bin.dat &&
	git try >out 2>err &&
	echo "try: passed  http://127.0.0.1:$P/job/try/1/console" >expect &&
	test_cmp expect out &&
	test_grep "^git-try: 2 files against ${BASE:0:12} .* to jenkins" err &&
	console jenkins 1 >log &&
	test_grep "^TREE $(git write-tree)\$" log &&
	test_grep "^checked\$" log &&
	test "$(requests jenkins POST /job/try/buildWithParameters)" = 1 &&
	test "$(requests jenkins GET /crumbIssuer)" = 0 &&
	test_grep "\"base\": \"$BASE\", \"branch\": \"main\"" \
		"$TRASH/jenkins/state/1/params.json"
'

test_expect_success 'a failing change exits 1 with the end of consoleText' '
	echo "JENKINS-MARKER fail.t says no" >fail.t && git add fail.t &&
	test_exit_code 1 git try >out 2>err &&
	cat >expect <<-EOF &&
	try: failed  http://127.0.0.1:$P/job/try/2/console
	--- try: http://127.0.0.1:$P/job/try/2/consoleText
	EOF
	head -n 2 out >actual &&
	test_cmp expect actual &&
	test_grep "^    JENKINS-MARKER fail.t says no\$" out &&
	test_grep "^    Finished: FAILURE\$" out &&
	test "$(requests jenkins GET /job/try/2/consoleText)" = 1
'

test_expect_success 'try.logLines bounds the tail; --log brings all of it' '
	test_exit_code 1 try_with try.logLines=2 -- >out 2>err &&
	sed -n "3,\$p" out >actual &&
	printf "    JENKINS-MARKER fail.t says no\n    Finished: FAILURE\n" \
		>expect &&
	test_cmp expect actual &&
	test_exit_code 1 try_with try.logLines=2 -- --log >out 2>err &&
	test_grep "^    Started by user alice\$" out &&
	test_grep "^    JENKINS-MARKER fail.t says no\$" out
'

test_expect_success '--json has the log and its URL' '
	test_exit_code 1 git try --json >out 2>err &&
	python3 -c "
import json, sys
d = json.load(open(\"out\"))
j = d[\"jobs\"][0]
assert \"JENKINS-MARKER fail.t says no\n\" in j[\"log\"], j
assert j[\"log_url\"].endswith(\"/consoleText\"), j
" &&
	git rm -q --cached fail.t && rm fail.t
'

test_expect_success 'a patch that does not apply exits 2, with the reason' '
	# the job builds on a commit where a says something else
	git clone -q "$TRY_REPO" "$TRASH/other" &&
	(cd "$TRASH/other" && echo other >a && git commit -q -am other &&
	 git push -q origin HEAD:refs/heads/other) &&
	CHECKOUT=other jenkins_start elsewhere --user alice --token "$TOKEN" &&
	Q=$(port elsewhere) &&
	test_exit_code 2 try_with try.url=http://alice@127.0.0.1:$Q/ -- \
		>out 2>err &&
	echo "try: patch did not apply (error: patch failed: a:1)  http://127.0.0.1:$Q/job/try/1/console" >expect &&
	head -n 1 out >actual &&
	test_cmp expect actual &&
	test_grep "^    TRY-PATCH-FAILED: error: patch failed: a:1\$" out
'

test_expect_success 'a wrong token: HTTP 401 in Jenkins words, asked once, 128' '
	before=$(requests jenkins POST /job/try/) &&
	test_exit_code 128 env TRY_TOKEN=11ffffffffffffffffffffffffffffffff \
		git try >out 2>err &&
	test_grep "^git-try: cannot submit: jenkins: HTTP 401: Invalid password/token for user: alice\$" err &&
	test "$(requests jenkins POST /job/try/)" = $((before + 1)) &&
	test ! -s out
'

test_expect_success 'no credentials at all: HTTP 403 and where to put them' '
	test_exit_code 128 env -u TRY_TOKEN git try >out 2>err &&
	test_grep "jenkins: HTTP 403: Authentication required (no credentials for http://127.0.0.1:$P/: set TRY_TOKEN or a git credential helper)" err
'

test_expect_success 'no such job: HTTP 404, never retried' '
	before=$(requests jenkins POST /job/) &&
	test_exit_code 128 try_with try.job=nope -- >out 2>err &&
	test_grep "jenkins: HTTP 404: Not Found (is try.job .nope. a job at http://127.0.0.1:$P/?)" err &&
	test "$(requests jenkins POST /job/)" = $((before + 1))
'

test_expect_success 'credentials from a git credential helper; a password gets a crumb' '
	jenkins_start secured --user robot --password "correct horse" &&
	Q=$(port secured) &&
	# a store of secrets, as a keyring would be
	echo "correct horse" >"$TRASH/keyring" &&
	git config --global credential.helper \
		"!f() { cat >\"$TRASH/helper.in\"; echo username=robot; echo password=\$(cat \"$TRASH/keyring\"); }; f" &&
	rc=0 &&
	{
		(unset TRY_TOKEN; export GIT_TRACE="$TRASH/trace";
		 try_with try.url=http://127.0.0.1:$Q/ -- >out 2>err) || rc=$?
	} &&
	git config --global --unset credential.helper &&
	test $rc = 0 &&
	echo "try: passed  http://127.0.0.1:$Q/job/try/1/console" >expect &&
	test_cmp expect out &&
	printf "protocol=http\\nhost=127.0.0.1:$Q\\n" >expect &&
	test_cmp expect "$TRASH/helper.in" &&
	test "$(requests secured GET /crumbIssuer)" = 1 &&
	test "$(requests secured POST /job/try/buildWithParameters)" = 1 &&
	grep -v "\"answer\"" "$TRASH/secured/log" >arrivals &&
	! grep -v "\"user\": \"robot\"" arrivals &&
	# git ran the helper; the password was on no command line
	test_grep "credential fill" "$TRASH/trace" &&
	test_grep ! "horse" "$TRASH/trace" &&
	test_grep ! "horse" err
'

test_expect_success '5xx: retried with backoff, then 128 with the server text' '
	faults jenkins "POST /buildWithParameters 503:Jenkins is going to shut down" &&
	before=$(requests jenkins POST /job/try/) &&
	start=$(date +%s) &&
	test_exit_code 128 git try >out 2>err &&
	end=$(date +%s) &&
	faults jenkins "" &&
	test_grep "^git-try: cannot submit: jenkins: HTTP 503: Jenkins is going to shut down (4 attempts)\$" err &&
	test "$(requests jenkins POST /job/try/)" = $((before + 4)) &&
	# backoff 0.5 + 1 + 2 s
	test $((end - start)) -ge 3 && test $((end - start)) -le 10
'

test_expect_success '5xx while waiting, then answers again: the try goes on' '
	faults jenkins "GET /queue/item 502:Bad Gateway x2
GET /job/try/[0-9]+/api 500:oops x1" &&
	git try >out 2>err &&
	test_grep "^try: passed  http://127.0.0.1:$P/job/try/[0-9]*/console\$" out
'

test_expect_success 'a Jenkins that stops answering: lost contact, 128, the build URL' '
	faults jenkins "GET /job/try/[0-9]+/api slow:30" &&
	start=$(date +%s) &&
	test_exit_code 128 try_with try.requestTimeout=300ms -- >out 2>err &&
	end=$(date +%s) &&
	faults jenkins "" &&
	test_grep "^git-try: lost contact: jenkins: no answer from http://127.0.0.1:$P/job/try/[0-9]*/api/json within 300 ms (4 attempts)\$" err &&
	test_grep "^git-try: the build may still be running:" err &&
	test_grep "^  try: http://127.0.0.1:$P/job/try/[0-9]*/console\$" err &&
	# 4 x 0.3 s and backoff 0.5 + 1 + 2 s
	test $((end - start)) -le 10
'

test_expect_success 'a slow answer to the submission is not sent again' '
	faults jenkins "POST /buildWithParameters slow:5" &&
	before=$(requests jenkins POST /job/try/) &&
	test_exit_code 128 try_with try.requestTimeout=300ms -- >out 2>err &&
	faults jenkins "" &&
	test_grep "^git-try: cannot submit: jenkins: no answer from http://127.0.0.1:$P/job/try/buildWithParameters within 300 ms\$" err &&
	test "$(requests jenkins POST /job/try/)" = $((before + 1))
'

test_expect_success 'nobody listening: 128 at once' '
	start=$(date +%s) &&
	test_exit_code 128 try_with try.url=http://127.0.0.1:$(free_port)/ -- \
		>out 2>err &&
	test_grep "^git-try: cannot submit: jenkins: cannot connect to http://127.0.0.1:[0-9]*/job/try/buildWithParameters: .* (4 attempts)\$" err &&
	test $(($(date +%s) - start)) -le 8
'

test_expect_success '-v shows the exchange with the credentials masked' '
	git try -v >out 2>err &&
	test_grep "^> POST /job/try/buildWithParameters?delay=0sec HTTP/1.1\$" err &&
	test_grep "^> Authorization: Basic \*\*\*\$" err &&
	test_grep "^< HTTP/1.1 201 Created" err &&
	test_grep ! "$TOKEN" err &&
	test_grep ! "$(printf "alice:%s" "$TOKEN" | base64 -w0)" err
'

test_expect_success '--no-wait prints where to follow it' '
	git try --no-wait >out 2>err &&
	echo "try: http://127.0.0.1:$P/job/try/" >expect &&
	test_cmp expect out
'

test_done
