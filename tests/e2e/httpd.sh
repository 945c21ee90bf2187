# A smart-HTTP git server for the end-to-end tests: nginx + fcgiwrap +
# git-http-backend on 127.0.0.1, with basic auth.  Source it after lib.sh.
#
#   httpd_start <project-root>   serve the repositories below <project-root>
#                                and export HTTPD_URL (http://127.0.0.1:PORT);
#                                the servers are stopped at exit (at_exit)
#   httpd_stop                   stop them now (idempotent)
#   httpd_url <user> <repo>      http://<user>:<user>-pw@127.0.0.1:PORT/<repo>
#   httpd_serve <bare-repo>      allow pushes to it (http.receivepack true)
#
# Call httpd_start at the top level of a test script, not inside
# test_expect_success: that runs in a subshell, which would lose the pids and
# the at_exit registration.
#
# Users: alice/alice-pw and bob/bob-pw, and <u>/<u>-pw for every <u> in
# $HTTPD_USERS (set before httpd_start).  A push runs the repository's hooks
# with REMOTE_USER set to the authenticated user, PATH=/usr/bin:/bin (the
# build directories are deliberately not on it: hooks must be installed by
# absolute path), HOME=$TRASH/home and GIT_CONFIG_NOSYSTEM=1, like the tests.
# Everything the servers write (logs, pid files, temp files, the socket) stays
# in $TRASH/httpd.

HTTPD_DIR=
HTTPD_URL=
HTTPD_PORT=
_httpd_fcgi_pid=
_httpd_nginx_pid=

httpd_start() {
	local root port i user_line
	root=$(cd "$1" && pwd) || {
		echo "httpd_start: no such directory '$1'" >&2
		return 1
	}
	for cmd in nginx fcgiwrap setsid openssl; do
		command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || {
			echo "httpd_start: '$cmd' not found" >&2
			return 1
		}
	done
	[ -x /usr/lib/git-core/git-http-backend ] || {
		echo "httpd_start: /usr/lib/git-core/git-http-backend not found" >&2
		return 1
	}
	HTTPD_DIR="$TRASH/httpd"
	mkdir -p "$HTTPD_DIR/tmp" "$HTTPD_DIR/logs" || return 1

	: >"$HTTPD_DIR/htpasswd"
	for u in alice bob ${HTTPD_USERS:-}; do
		printf '%s:%s\n' "$u" \
			"$(openssl passwd -apr1 "$u-pw")" >>"$HTTPD_DIR/htpasswd" ||
			return 1
	done

	# fcgiwrap in its own session, so that it and the CGI processes it
	# forks can be stopped as one process group.  Its stdio goes to files:
	# an inherited pipe would keep run.sh's $(...) waiting for ever.
	setsid /usr/sbin/fcgiwrap -c 4 -s "unix:$HTTPD_DIR/fcgiwrap.sock" \
		</dev/null >"$HTTPD_DIR/logs/fcgiwrap.log" 2>&1 &
	_httpd_fcgi_pid=$!
	at_exit httpd_stop

	# nginx workers connect to the socket as the "user" of the config:
	# running as root, make that root (the socket is root's); otherwise
	# the directive is ignored anyway, so leave it out.
	if [ "$(id -u)" = 0 ]; then
		user_line="user root;"
	else
		user_line=
	fi

	for i in 1 2 3 4 5; do
		port=$(free_port) || return 1
		cat >"$HTTPD_DIR/nginx.conf" <<-EOF
		$user_line
		daemon off;
		master_process on;
		worker_processes 1;
		pid $HTTPD_DIR/nginx.pid;
		error_log $HTTPD_DIR/logs/error.log info;
		events { worker_connections 64; }
		http {
			access_log $HTTPD_DIR/logs/access.log;
			client_body_temp_path $HTTPD_DIR/tmp/body;
			fastcgi_temp_path $HTTPD_DIR/tmp/fastcgi;
			proxy_temp_path $HTTPD_DIR/tmp/proxy;
			scgi_temp_path $HTTPD_DIR/tmp/scgi;
			uwsgi_temp_path $HTTPD_DIR/tmp/uwsgi;
			client_max_body_size 0;
			server {
				listen 127.0.0.1:$port;
				server_name localhost;
				location / {
					auth_basic "try test server";
					auth_basic_user_file $HTTPD_DIR/htpasswd;
					include /etc/nginx/fastcgi_params;
					fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
					fastcgi_param GIT_PROJECT_ROOT $root;
					fastcgi_param GIT_HTTP_EXPORT_ALL "";
					fastcgi_param PATH_INFO \$uri;
					fastcgi_param PATH /usr/bin:/bin;
					fastcgi_param HOME $HOME;
					fastcgi_param GIT_CONFIG_NOSYSTEM 1;
					fastcgi_param TZ UTC;
					fastcgi_param LC_ALL C;
					fastcgi_pass unix:$HTTPD_DIR/fcgiwrap.sock;
					fastcgi_buffering off;
					fastcgi_request_buffering off;
					fastcgi_read_timeout 600s;
				}
			}
		}
		EOF
		setsid /usr/sbin/nginx -p "$HTTPD_DIR" -c "$HTTPD_DIR/nginx.conf" \
			-e "$HTTPD_DIR/logs/error.log" \
			</dev/null >"$HTTPD_DIR/logs/nginx.out" 2>&1 &
		_httpd_nginx_pid=$!
		if _httpd_wait "$port"; then
			HTTPD_PORT=$port
			HTTPD_URL="http://127.0.0.1:$port"
			export HTTPD_URL HTTPD_PORT HTTPD_DIR
			return 0
		fi
		# Lost a race for the port, or a real failure: stop and retry.
		kill -TERM "$_httpd_nginx_pid" 2>/dev/null
		wait "$_httpd_nginx_pid" 2>/dev/null
		_httpd_nginx_pid=
		grep -q 'Address already in use' "$HTTPD_DIR/logs/error.log" \
			"$HTTPD_DIR/logs/nginx.out" 2>/dev/null || break
	done
	echo "httpd_start: nginx did not come up on 127.0.0.1:$port" >&2
	cat "$HTTPD_DIR/logs/nginx.out" "$HTTPD_DIR/logs/error.log" \
		"$HTTPD_DIR/logs/fcgiwrap.log" >&2 2>/dev/null
	httpd_stop
	return 1
}

# _httpd_wait <port>: until nginx answers on the port and the fcgiwrap
# socket exists (at most about 10 s); fails when nginx has exited.
_httpd_wait() {
	local n=0
	while [ $n -lt 200 ]; do
		if ! _httpd_alive "$_httpd_nginx_pid"; then
			return 1
		fi
		if [ -S "$HTTPD_DIR/fcgiwrap.sock" ] &&
		   (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
		n=$((n + 1))
	done
	return 1
}

httpd_stop() {
	local pid
	if [ -n "$_httpd_nginx_pid" ]; then
		pid=$_httpd_nginx_pid
		_httpd_nginx_pid=
		# The master is its own session leader: signal the group, then
		# make sure the master has gone (it waits for its workers).
		kill -QUIT -- "-$pid" 2>/dev/null
		_httpd_reap "$pid"
	fi
	if [ -n "$_httpd_fcgi_pid" ]; then
		pid=$_httpd_fcgi_pid
		_httpd_fcgi_pid=
		kill -TERM -- "-$pid" 2>/dev/null
		_httpd_reap "$pid"
	fi
	HTTPD_URL=
	HTTPD_PORT=
	return 0
}

# _httpd_reap <pid>: wait up to 2 s for a process group leader to go, then
# kill its group.
_httpd_reap() {
	local n=0
	while _httpd_alive "$1" && [ $n -lt 40 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	kill -KILL -- "-$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# _httpd_alive <pid>: the process runs (a zombie does not count).
_httpd_alive() {
	local state
	state=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null) ||
		return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# httpd_url <user> <repo>: URL of a served repository with credentials.
httpd_url() {
	printf '%s\n' "http://$1:$1-pw@127.0.0.1:$HTTPD_PORT/$2"
}

# httpd_serve <bare-repo>: let authenticated users push to it.
httpd_serve() {
	git -C "$1" config http.receivepack true
}
