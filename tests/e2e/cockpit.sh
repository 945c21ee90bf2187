# Helpers for the cockpit tests (git lanes serve): start the server on a
# free loopback port, stopped at exit whatever happens.

# cockpit_start [<serve options>...] <repository>...: sets COCKPIT_PORT,
# COCKPIT_URL and COCKPIT_PID; the server's output goes to $TRASH/serve.log.
# Call it outside test bodies (they run in subshells).
cockpit_start() {
	COCKPIT_PORT=$(free_port)
	setsid git lanes serve --listen "127.0.0.1:$COCKPIT_PORT" "$@" \
		>"$TRASH/serve.log" 2>&1 &
	COCKPIT_PID=$!
	at_exit "kill $COCKPIT_PID"
	COCKPIT_URL="http://127.0.0.1:$COCKPIT_PORT"
	local i=0
	while [ $i -lt 100 ]; do
		grep -q '^git-lanes: serving' "$TRASH/serve.log" 2>/dev/null &&
			return 0
		kill -0 "$COCKPIT_PID" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	cat "$TRASH/serve.log" >&2
	return 1
}

# cockpit_stop: stops the server started last.
cockpit_stop() {
	kill "$COCKPIT_PID" 2>/dev/null
	wait "$COCKPIT_PID" 2>/dev/null
	:
}

# http_status <curl args>...: prints the HTTP status only.
http_status() {
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 "$@"
}

CHROMIUM_FLAGS="--headless --no-sandbox --disable-gpu --disable-quic
	--no-first-run --disable-background-networking --disable-component-update
	--disable-sync --disable-dev-shm-usage"

# browser_start: a headless Chromium with the DevTools protocol on a port of
# its own (written to $BROWSER_DIR/DevToolsActivePort), stopped at exit.
# Drive it with tests/e2e/servers/browser.py "$BROWSER_DIR" <url> <step>...
browser_start() {
	BROWSER_DIR="$TRASH/chromium"
	rm -rf "$BROWSER_DIR" && mkdir -p "$BROWSER_DIR" || return 1
	# shellcheck disable=SC2086
	setsid chromium $CHROMIUM_FLAGS --user-data-dir="$BROWSER_DIR" \
		--remote-debugging-port=0 --window-size=1200,900 about:blank \
		>"$TRASH/chromium.log" 2>&1 &
	BROWSER_PID=$!
	at_exit "kill -- -$BROWSER_PID"
}

# browser_dump <url> <file> [<flags>...]: the DOM after scripts ran, from a
# Chromium of its own (--dump-dom prints nothing with scripts off: use
# browser.py's nojs step for that).
browser_dump() {
	local url=$1 file=$2 dir="$TRASH/chromium-dump.$$"
	shift 2
	rm -rf "$dir" && mkdir -p "$dir" &&
	# shellcheck disable=SC2086
	timeout 60 chromium $CHROMIUM_FLAGS --user-data-dir="$dir" "$@" \
		--dump-dom "$url" >"$file" 2>"$dir.log"
}
