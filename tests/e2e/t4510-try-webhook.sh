#!/bin/bash
# git try --backend webhook against tests/e2e/servers/fake-webhook-ci.py, a
# receiver that speaks the protocol of docs/try.md ("`jenkins` and `webhook`: over HTTP"): it checks
# X-Try-Signature with the shared secret, runs a real build of the try
# (clone, check out the base, git apply --index, make check) and answers
# the status URL.  Results, exit codes, several jobs, a wrong or missing
# secret, 5xx, slow answers, dropped connections, a receiver that is down.
. "$(dirname "$0")/lib.sh"

. "$SRC_DIR/tests/e2e/servers/lib.sh"

try_project || exit 1

# The CI's build of a try: exit 0 passed, 1 failed, 2 not applied (the
# receiver reports the last line of output as the detail).
cat >"$TRASH/build.sh" <<\EOF
#!/bin/sh
git clone -q "$TRY_REPO" src && cd src &&
git checkout -q "${CHECKOUT:-$BASE}" || exit 3
if ! git apply --index "$PATCH" 2>../apply.err; then
	cat ../apply.err
	head -n 1 ../apply.err
	exit 2
fi
echo "TREE $(git write-tree)" >"$TRY_REPO/../tree.$TRY_ID"
make check || { echo "make check failed"; exit 1; }
EOF
chmod +x "$TRASH/build.sh"

echo 'a shared secret' >"$HOME/try.secret"

# ci_start <name> <options>...: a fake-webhook-ci.py in $TRASH/<name>.
ci_start() {
	local name=$1
	shift
	server_start fake-webhook-ci.py "$name" --script "$TRASH/build.sh" \
		--secret-file "$HOME/try.secret" "$@"
}

ci_start ci
P=$(port ci)
git config try.backend webhook
git config try.url "http://127.0.0.1:$P/try"
git config try.secretFile "~/try.secret"
git config try.pollInterval 100ms
git config user.name "A U Thor"
git config user.email author@example.com

# the id of the newest try the receiver took
last_id() {
	ls -t "$TRASH/$1/state/"*.json | head -n 1 | xargs basename -s .json
}

test_expect_success 'a passing change exits 0; the receiver checked the signature' '
	printf "\\000\\001binary\\377" >bin.dat &&
	echo two >>a && git add a bin.dat &&
	git try >out 2>err &&
	id=$(last_id ci) &&
	echo "build: passed  http://127.0.0.1:$P/builds/$id/build" >expect &&
	test_cmp expect out &&
	test_grep "^git-try: 2 files against ${BASE:0:12} .* to webhook" err &&
	echo "TREE $(git write-tree)" >expect &&
	test_cmp expect "$TRASH/tree.$id" &&
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d[\"base\"], d[\"branch\"], d[\"author\"], d[\"version\"], d[\"patch_encoding\"])" \
		"$TRASH/ci/state/$id.json" >doc &&
	echo "$BASE main A U Thor <author@example.com> 1 base64" >expect &&
	test_cmp expect doc &&
	test "$(requests ci POST /try)" = 1
'

test_expect_success 'a failing change exits 1' '
	touch fail.t && git add fail.t &&
	test_exit_code 1 git try >out 2>err &&
	id=$(last_id ci) &&
	echo "build: failed (make check failed)  http://127.0.0.1:$P/builds/$id/build" >expect &&
	head -n 1 out >first &&
	test_cmp expect first &&
	test_grep "^--- build: http://127.0.0.1:$P/builds/$id/build/log$" out &&
	test_grep "^    make check failed$" out &&
	curl -sS "http://127.0.0.1:$P/builds/$id/build/log" >log &&
	test_grep "^make check failed$" log &&
	test_exit_code 1 git try --json >json 2>err &&
	python3 -c "import json,sys; j=json.load(open(sys.argv[1]))[\"jobs\"][0]; assert \"make check failed\" in j[\"log\"] and j[\"log_url\"].endswith(\"/build/log\"), j" json &&
	git rm -q --cached fail.t && rm fail.t
'

test_expect_success 'a patch that does not apply exits 2, with the reason' '
	git clone -q "$TRY_REPO" "$TRASH/other" &&
	(cd "$TRASH/other" && echo other >a && git commit -q -am other &&
	 git push -q origin HEAD:refs/heads/other) &&
	CHECKOUT=other ci_start elsewhere &&
	Q=$(port elsewhere) &&
	test_exit_code 2 try_with try.url=http://127.0.0.1:$Q/try -- \
		>out 2>err &&
	id=$(last_id elsewhere) &&
	echo "build: patch did not apply (error: patch failed: a:1)  http://127.0.0.1:$Q/builds/$id/build" >expect &&
	head -n 1 out >first &&
	test_cmp expect first &&
	test_grep "^    error: a: patch does not apply$" out
'

test_expect_success 'several jobs: each one reported, the worst decides' '
	ci_start jobs --jobs lint,test --job-result test=failed \
		--absolute-status &&
	Q=$(port jobs) &&
	test_exit_code 1 try_with try.url=http://127.0.0.1:$Q/try -- \
		>out 2>err &&
	id=$(last_id jobs) &&
	cat >expect <<-EOF &&
	lint: passed  http://127.0.0.1:$Q/builds/$id/lint
	test: failed  http://127.0.0.1:$Q/builds/$id/test
	EOF
	test_cmp expect out
'

test_expect_success 'jobs the receiver names only after the submission' '
	ci_start late --jobs a,b,c,d,e --late-jobs --absolute-status &&
	Q=$(port late) &&
	test_exit_code 0 try_with try.url=http://127.0.0.1:$Q/try -- \
		>out 2>err &&
	test_line_count=$(wc -l <out) &&
	test "$test_line_count" = 5 &&
	test_grep "^e: passed  http://127.0.0.1:$Q/builds/" out
'

test_expect_success 'a wrong secret: HTTP 401 in the receiver words, asked once, 128' '
	echo "not the secret" >"$HOME/wrong.secret" &&
	before=$(requests ci POST /try) &&
	test_exit_code 128 try_with try.secretFile=$HOME/wrong.secret -- \
		>out 2>err &&
	test_grep "^git-try: cannot submit: webhook: HTTP 401: signature mismatch: X-Try-Signature does not match the shared secret\$" err &&
	test "$(requests ci POST /try)" = $((before + 1)) &&
	test ! -s out
'

test_expect_success 'a missing secret file is a clear error; nothing is sent' '
	before=$(requests ci POST /try) &&
	test_exit_code 128 try_with try.secretFile=$HOME/nope.secret -- \
		>out 2>err &&
	test_grep "^git-try: cannot submit: webhook: cannot read try.secretFile: cannot open .$HOME/nope.secret.: No such file or directory\$" err &&
	chmod 000 "$HOME/try.secret" &&
	if test -r "$HOME/try.secret"; then :; else
		test_exit_code 128 git try >out 2>err &&
		test_grep "cannot read try.secretFile: cannot open .$HOME/try.secret.: Permission denied" err
	fi &&
	chmod 600 "$HOME/try.secret" &&
	test "$(requests ci POST /try)" = $before
'

test_expect_success 'a dropped connection or a 502 on the submission: sent again, built once' '
	faults ci "POST /try drop x1
POST /try 502:proxy error x1" &&
	before=$(requests ci POST /try) &&
	tries=$(ls "$TRASH/ci/state/"*.json | wc -l) &&
	git try >out 2>err &&
	test_grep "^build: passed " out &&
	test "$(requests ci POST /try)" = $((before + 3)) &&
	test "$(ls "$TRASH/ci/state/"*.json | wc -l)" = $((tries + 1))
'

test_expect_success 'the status URL fails: retried, then lost contact, 128' '
	faults ci "GET /status 500:database is down" &&
	start=$(date +%s) &&
	test_exit_code 128 git try >out 2>err &&
	end=$(date +%s) &&
	faults ci "" &&
	test_grep "^git-try: lost contact: webhook: HTTP 500: database is down (4 attempts)\$" err &&
	test_grep "^git-try: the build may still be running:" err &&
	test_grep "^  build: http://127.0.0.1:$P/builds/.*/build\$" err &&
	test $((end - start)) -ge 3 && test $((end - start)) -le 10
'

test_expect_success 'a receiver that answers too slowly: 128 within the timeouts' '
	faults ci "POST /try slow:10" &&
	start=$(date +%s) &&
	test_exit_code 128 try_with try.requestTimeout=300ms -- >out 2>err &&
	end=$(date +%s) &&
	faults ci "" &&
	test_grep "^git-try: cannot submit: webhook: no answer from http://127.0.0.1:$P/try within 300 ms (4 attempts)\$" err &&
	test $((end - start)) -le 10
'

test_expect_success 'a receiver that is down: 128 at once' '
	start=$(date +%s) &&
	test_exit_code 128 try_with try.url=http://127.0.0.1:$(free_port)/try \
		-- >out 2>err &&
	test_grep "^git-try: cannot submit: webhook: cannot connect to http://127.0.0.1:[0-9]*/try: .* (4 attempts)\$" err &&
	test $(($(date +%s) - start)) -le 8
'

test_expect_success '--dry-run sends nothing' '
	before=$(requests ci POST /try) &&
	git try --dry-run >out 2>err &&
	test "$(requests ci POST /try)" = $before
'

test_expect_success 'one Ctrl-C to `git try` (git passes it on too) stops waiting once: JSON, 130' '
	ci_start slow --queue 30 &&
	Q=$(port slow) &&
	git config try.url "http://127.0.0.1:$Q/try" &&
	(
		set -m
		git try --json >"$TRASH/int.json" 2>"$TRASH/int.err" &
		pid=$!
		n=0
		while [ "$(requests slow POST /try)" = 0 ] && [ $n -lt 100 ]; do
			sleep 0.1; n=$((n + 1))
		done
		sleep 0.5
		kill -INT -$pid
		wait $pid
		echo $? >"$TRASH/int.rc"
	) &&
	git config try.url "http://127.0.0.1:$P/try" &&
	test "$(cat "$TRASH/int.rc")" = 130 &&
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"result\"] == \"interrupted\", d" \
		"$TRASH/int.json"
'

test_done
