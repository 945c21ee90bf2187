# Shared set-up for the end-to-end tests (git's t/test-lib.sh in small).
# A test script sources this file, then calls test_expect_success and friends;
# it ends with test_done.
set -u

TEST_NAME=$(basename "$0" .sh)
SRC_DIR=$(cd "$(dirname "$0")/../.." && pwd)
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/try-$TEST_NAME.XXXXXX")
export TRASH SRC_DIR

# Cleanup functions registered by tests (servers to stop), run at exit.
_cleanups=
at_exit() { _cleanups="$1
$_cleanups"; }
_run_cleanups() {
	local IFS='
'
	for c in $_cleanups; do eval "$c" >/dev/null 2>&1; done
	if [ -z "${TEST_KEEP:-}" ]; then rm -rf "$TRASH"; fi
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

export HOME="$TRASH/home"
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY \
	GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_QUARANTINE_PATH GL_ID \
	GIT_CONFIG_PARAMETERS TRY_HOOKS NO_COLOR 2>/dev/null
export GIT_AUTHOR_NAME="A U Thor" GIT_AUTHOR_EMAIL="author@example.com"
export GIT_COMMITTER_NAME="C O Mitter" GIT_COMMITTER_EMAIL="committer@example.com"
export GIT_AUTHOR_DATE="1700000000 +0000" GIT_COMMITTER_DATE="1700000000 +0000"
export TZ=UTC LC_ALL=C
export PATH="$SRC_DIR/cmd:$SRC_DIR/hooks:$PATH"
git config --global init.defaultBranch main
git config --global advice.detachedHead false
git config --global protocol.file.allow always
cd "$TRASH" || exit 1

_tests=0 _failed=0
say() { printf '%s\n' "$*"; }

LF='
'

# _chain_lint <shell code>: succeeds when the code is one unbroken && chain
# (git's t/test-lib.sh trick).  "(exit 117) && <code>" then skips every
# command and leaves status 117.  A line that does not end in && starts a new
# list: it runs and overwrites the status.  A here-doc whose end marker is
# missing swallows the "echo" behind it, so nothing is printed.  The body's
# own output is discarded; only fd 3 reaches the check.  Set
# TEST_CHAIN_LINT=0 to skip the check.
_chain_lint() {
	[ "${TEST_CHAIN_LINT:-1}" = 0 ] && return 0
	[ "$( (eval "(exit 117) && $1${LF}${LF}echo OK-\$? >&3") \
		3>&1 >/dev/null 2>&1 </dev/null)" = OK-117 ]
}

# test_expect_success <title> <shell code>
# The code runs in a subshell; its status is the status of its last command,
# so a test body must be one && chain: a body that is not is reported as a
# failure ("broken &&-chain") even when its last command succeeds.
test_expect_success() {
	_tests=$((_tests + 1))
	local lint=ok
	_chain_lint "$2" || lint=
	if (eval "$2") >"$TRASH/.out" 2>&1 </dev/null && [ -n "$lint" ]; then
		say "ok $_tests - $1"
	else
		_failed=$((_failed + 1))
		say "not ok $_tests - $1"
		[ -n "$lint" ] || say "#	broken &&-chain or run-away here-doc"
		sed 's/^/#	/' "$TRASH/.out" | tail -n 40
	fi
}

test_done() {
	say "# $TEST_NAME: $_tests tests, $_failed failed"
	[ "$_failed" = 0 ]
	exit $?
}

# test_must_fail <cmd>...: the command must exit non-zero but not by a signal
# or a sanitizer abort.
test_must_fail() {
	"$@"
	local rc=$?
	if [ $rc = 0 ]; then
		echo "test_must_fail: command succeeded: $*" >&2
		return 1
	elif [ $rc -gt 129 ] && [ $rc -ne 255 ]; then
		echo "test_must_fail: command died with $rc: $*" >&2
		return 1
	fi
	return 0
}

# test_exit_code <expected> <cmd>...
test_exit_code() {
	local want=$1
	shift
	"$@"
	local rc=$?
	[ $rc = "$want" ] && return 0
	echo "test_exit_code: wanted $want, got $rc: $*" >&2
	return 1
}

# test_cmp <expected> <actual>
test_cmp() { diff -u "$1" "$2"; }

# test_grep <pattern> <file>: like grep, but shows the file on failure.
test_grep() {
	if [ "$1" = "!" ]; then
		shift
		if grep -q -e "$1" "$2"; then
			echo "test_grep: '$1' found in $2:" >&2
			cat "$2" >&2
			return 1
		fi
		return 0
	fi
	grep -q -e "$1" "$2" && return 0
	echo "test_grep: '$1' not found in $2:" >&2
	cat "$2" >&2
	return 1
}

# test_commit <message> [<file> [<content>]]: commit in the current repo.
test_commit() {
	local file=${2:-$(printf '%s' "$1" | tr -c 'A-Za-z0-9' '_').t}
	mkdir -p "$(dirname "$file")"
	printf '%s\n' "${3:-$1}" >"$file"
	git add -- "$file" && git commit -q -m "$1"
}

# strip_remote <file>: the pusher's view of hook output without "remote: "
# prefixes and trailing spaces.
strip_remote() {
	sed -e 's/^remote: //' -e 's/[[:space:]]*$//' "$1"
}

# free_port: a TCP port nobody listens on at 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# server_repo <path> [<trunk>]: a bare repository with the try hook
# installed by `git trunk install --server`.
server_repo() {
	git init -q --bare "$1" &&
	git -C "$1" symbolic-ref HEAD "refs/heads/${2:-main}" &&
	git trunk install --server "$1" >/dev/null
}

# try_lines <push-output> <out>: the try hook's lines as the pusher saw them
# ("remote: " and trailing spaces removed; other git chatter dropped).
try_lines() {
	strip_remote "$1" | grep -E '^(GL-HOOK-ERR: )?try:' >"$2" || :
}

# commit_line <lane> <commit>: the hook's and git lanes' per-commit line,
# "<7-char id> <LANE padded to 6> <subject>", without any prefix.
commit_line() {
	printf '%s %-6s %s\n' "$(git rev-parse "$2" | cut -c1-7)" "$1" \
		"$(git log -1 --format=%s "$2")"
}

# a single quote, for test bodies that are themselves single-quoted
SQ="'"
