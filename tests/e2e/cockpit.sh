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
