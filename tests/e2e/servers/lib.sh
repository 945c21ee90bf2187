# The loopback CI servers of tests/e2e/servers/, for e2e scripts: sourced
# after lib.sh.  Servers are started inside tests, which run in subshells:
# their pids live in files, and every one is stopped at exit, whatever
# happens.
SERVERS="$SRC_DIR/tests/e2e/servers"
at_exit 'for f in "$TRASH"/*/pid; do kill $(cat "$f"); done'

# server_start <program> <name> <options>...: runs servers/<program> in
# $TRASH/<name> (its log, state and port file there) and waits for its port.
server_start() {
	local prog=$1 d="$TRASH/$2"
	shift 2
	mkdir -p "$d"
	rm -f "$d/port"
	/usr/bin/python3 "$SERVERS/$prog" --port-file "$d/port" \
		--log "$d/log" --state "$d/state" "$@" </dev/null >>"$d/out" 2>&1 &
	echo $! >"$d/pid"
	n=0
	while [ ! -s "$d/port" ] && [ $n -lt 200 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	test -s "$d/port"
}

port() { cat "$TRASH/$1/port"; }

# requests <name> <METHOD> <path prefix>: how many reached the server.
requests() {
	grep -v '"answer"' "$TRASH/$1/log" |
		grep -c "\"method\": \"$2\", \"path\": \"$3" || :
}

# faults <name> <rules>: the server's fault rules from now on.
faults() {
	curl -sf --data-binary "$2" "http://127.0.0.1:$(port "$1")/__faults" \
		>/dev/null
}

# try_project: a bare server.git and its clone ./work, entered, with one
# pushed commit: $BASE, the base of every try; $TRY_REPO for the builds.
# `make check` there fails while a file fail.t exists.
try_project() {
	git init -q --bare server.git &&
	git clone -q server.git work 2>/dev/null &&
	cd work &&
	printf 'check:\n\t@sh ./check.sh\n' >Makefile &&
	printf 'set -e\ntest ! -e fail.t\necho checked\n' >check.sh &&
	echo one >a &&
	git add . && git commit -q -m base && git push -q origin main &&
	BASE=$(git rev-parse HEAD) &&
	TRY_REPO="$TRASH/server.git" &&
	export TRY_REPO
}

# try_with <key=value>... -- <git try options>: git try with these settings
# for once, as `git -c` gives them.
try_with() {
	local opts=()
	while [ "$1" != "--" ]; do
		opts+=(-c "$1")
		shift
	done
	shift
	git "${opts[@]}" try "$@"
}
