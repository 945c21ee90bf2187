# A real Buildbot master and worker for the end-to-end tests, from Debian's
# packages, on 127.0.0.1, with the try builders of contrib/buildbot/master.cfg
# over a bare repository.  Source it after lib.sh.
#
#   bb_start <bare-repo> [<builder>...]
#                   create and start a master and one worker; the builders
#                   (default: "try") run $TRY_BB_COMMAND (default
#                   "sh ./check.sh") after the "git" step has checked out
#                   the revision and applied the patch.  Exports BB_URL
#                   (http://127.0.0.1:PORT/) and BB_DIR; returns once the
#                   worker is connected, or fails after BB_START_TIMEOUT
#                   seconds (60) with the logs shown.  Both are stopped at
#                   exit (at_exit).
#   bb_stop         stop them now (idempotent)
#   bb_proxy_start <user> <password>
#                   an nginx reverse proxy in front of the master that asks
#                   for basic credentials and passes the user name in the
#                   X-Remote-User header (start the master with
#                   TRY_BB_REMOTE_USER=X-Remote-User and TRY_BB_USERS=<user>);
#                   exports BB_PROXY_URL (http://127.0.0.1:PORT/); stopped by
#                   bb_stop
#   bb_get <path>   GET $BB_URL/api/v2/<path> to stdout
#   bb_build_log <buildid> <step name>
#                   the stdio log of a step of a build, to stdout
#
# The worker runs with HOME=$BB_DIR/worker-home: a test may put a .gitconfig
# there to change how the worker's git behaves.
#
# Call bb_start at the top level of a test script, not inside
# test_expect_success: that runs in a subshell, which would lose the pids and
# the at_exit registration.  Everything the servers write stays in
# $TRASH/buildbot.

BB_DIR=
BB_URL=
BB_PROXY_URL=
_bb_proxy_pid=
_bb_master_pid=
_bb_worker_pid=
BB_PYTHON=/usr/bin/python3
[ -x "$BB_PYTHON" ] || BB_PYTHON=python3

# _bb_wait <seconds> <shell condition>: poll every 0.1 s.
_bb_wait() {
	local deadline=$(( $(date +%s) + $1 ))
	while ! eval "$2" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

_bb_logs() {
	local f
	for f in "$BB_DIR/master/twistd.log" "$BB_DIR/master.out" \
		"$BB_DIR/worker/twistd.log" "$BB_DIR/worker.out"; do
		[ -f "$f" ] || continue
		echo "--- $f" >&2
		tail -n 30 "$f" >&2
	done
}

bb_get() {
	curl -sS --max-time 10 "${BB_URL}api/v2/$1"
}

# _bb_connected: stdin (GET workers) shows a worker connected to a master.
_bb_connected() {
	"$BB_PYTHON" -c '
import json, sys
sys.exit(0 if any(w["connected_to"] for w in json.load(sys.stdin)["workers"])
         else 1)'
}

bb_build_log() {
	"$BB_PYTHON" - "${BB_URL}api/v2" "$1" "$2" <<-'EOF'
	import json, sys, urllib.request
	api, build, step = sys.argv[1:]
	def get(path):
	    with urllib.request.urlopen(api + path, timeout=10) as r:
	        return r.read()
	steps = json.loads(get("/builds/%s/steps" % build))["steps"]
	for s in steps:
	    if s["name"] == step:
	        sys.stdout.write(get("/steps/%d/logs/stdio/raw" % s["stepid"])
	                         .decode("utf-8", "replace"))
	        sys.exit(0)
	sys.exit("no step %r in build %s" % (step, build))
	EOF
}

bb_start() {
	local repo web_port worker_port i builders
	repo=$(cd "$1" && pwd) || {
		echo "bb_start: no such repository '$1'" >&2
		return 1
	}
	shift
	builders=${*:-try}
	for cmd in buildbot buildbot-worker setsid curl; do
		command -v "$cmd" >/dev/null 2>&1 || {
			echo "bb_start: '$cmd' not found" >&2
			return 1
		}
	done
	BB_DIR="$TRASH/buildbot"
	rm -rf "$BB_DIR"
	mkdir -p "$BB_DIR/worker-home" || return 1
	at_exit bb_stop

	buildbot create-master -r "$BB_DIR/master" >"$BB_DIR/create.out" 2>&1 || {
		cat "$BB_DIR/create.out" >&2
		return 1
	}
	cp "$SRC_DIR/contrib/buildbot/master.cfg" "$BB_DIR/master/" || return 1

	# Ports are picked free, but another process may take one before the
	# master binds it: try a few times.
	for i in 1 2 3; do
		web_port=$(free_port) && worker_port=$(free_port) || return 1
		[ "$web_port" != "$worker_port" ] || continue
		BB_URL="http://127.0.0.1:$web_port/"
		# The master in its own session, so that it can be stopped as a
		# process group; stdio to files (an inherited pipe would keep
		# run.sh's $(...) waiting for ever).
		(
			cd "$BB_DIR/master" &&
			PYTHONPATH="$SRC_DIR/contrib/buildbot/www-stub${PYTHONPATH:+:$PYTHONPATH}" \
			TRY_BB_REPO="$repo" \
			TRY_BB_COMMAND="${TRY_BB_COMMAND:-sh ./check.sh}" \
			TRY_BB_BUILDERS="$builders" \
			TRY_BB_WEB_PORT="$web_port" \
			TRY_BB_WORKER_PORT="$worker_port" \
			TRY_BB_WORKER_PASS=try-worker-pw \
			exec setsid "$BB_PYTHON" /usr/bin/buildbot start \
				--nodaemon "$BB_DIR/master"
		) </dev/null >"$BB_DIR/master.out" 2>&1 &
		_bb_master_pid=$!
		if _bb_wait "${BB_START_TIMEOUT:-60}" \
			'curl -sf --max-time 2 "${BB_URL}api/v2/builders" ||
			 ! kill -0 $_bb_master_pid'
		then
			kill -0 "$_bb_master_pid" 2>/dev/null && break
		fi
		bb_stop
		grep -q "Address already in use" "$BB_DIR/master/twistd.log" \
			"$BB_DIR/master.out" 2>/dev/null || {
			echo "bb_start: the master did not start" >&2
			_bb_logs
			return 1
		}
	done
	[ -n "$_bb_master_pid" ] || {
		echo "bb_start: no free ports for the master" >&2
		return 1
	}

	buildbot-worker create-worker -r "$BB_DIR/worker" \
		"127.0.0.1:$worker_port" try-worker try-worker-pw \
		>"$BB_DIR/create-worker.out" 2>&1 || {
		cat "$BB_DIR/create-worker.out" >&2
		return 1
	}
	(
		HOME="$BB_DIR/worker-home" \
		exec setsid "$BB_PYTHON" /usr/bin/buildbot-worker start \
			--nodaemon "$BB_DIR/worker"
	) </dev/null >"$BB_DIR/worker.out" 2>&1 &
	_bb_worker_pid=$!
	_bb_wait "${BB_START_TIMEOUT:-60}" \
		'bb_get workers | _bb_connected' || {
		echo "bb_start: the worker did not connect" >&2
		_bb_logs
		return 1
	}
	export BB_URL BB_DIR
}

bb_proxy_start() {
	local port i user_line
	[ -n "$BB_URL" ] || {
		echo "bb_proxy_start: start the master first" >&2
		return 1
	}
	mkdir -p "$BB_DIR/proxy/tmp" || return 1
	printf '%s:%s\n' "$1" "$(openssl passwd -apr1 "$2")" \
		>"$BB_DIR/proxy/htpasswd" || return 1
	# nginx's workers run as the configured user; as root keep root
	user_line=
	[ "$(id -u)" = 0 ] && user_line="user root;"
	for i in 1 2 3; do
		port=$(free_port) || return 1
		cat >"$BB_DIR/proxy/nginx.conf" <<-EOF
		$user_line
		daemon off;
		worker_processes 1;
		pid $BB_DIR/proxy/nginx.pid;
		error_log $BB_DIR/proxy/error.log info;
		events { worker_connections 64; }
		http {
			access_log $BB_DIR/proxy/access.log;
			client_body_temp_path $BB_DIR/proxy/tmp/body;
			proxy_temp_path $BB_DIR/proxy/tmp/proxy;
			fastcgi_temp_path $BB_DIR/proxy/tmp/fastcgi;
			scgi_temp_path $BB_DIR/proxy/tmp/scgi;
			uwsgi_temp_path $BB_DIR/proxy/tmp/uwsgi;
			client_max_body_size 0;
			server {
				listen 127.0.0.1:$port;
				location / {
					auth_basic "buildbot";
					auth_basic_user_file $BB_DIR/proxy/htpasswd;
					proxy_set_header X-Remote-User \$remote_user;
					proxy_pass ${BB_URL};
				}
			}
		}
		EOF
		setsid /usr/sbin/nginx -p "$BB_DIR/proxy" \
			-c "$BB_DIR/proxy/nginx.conf" -e "$BB_DIR/proxy/error.log" \
			</dev/null >"$BB_DIR/proxy/nginx.out" 2>&1 &
		_bb_proxy_pid=$!
		BB_PROXY_URL="http://127.0.0.1:$port/"
		if _bb_wait 10 'curl -s -o /dev/null --max-time 2 "$BB_PROXY_URL" ||
			! kill -0 $_bb_proxy_pid'; then
			kill -0 "$_bb_proxy_pid" 2>/dev/null && {
				export BB_PROXY_URL
				return 0
			}
		fi
		_bb_proxy_pid=
	done
	echo "bb_proxy_start: nginx did not start" >&2
	cat "$BB_DIR/proxy/nginx.out" "$BB_DIR/proxy/error.log" >&2 2>/dev/null
	return 1
}

bb_stop() {
	local pid
	for pid in $_bb_proxy_pid $_bb_worker_pid $_bb_master_pid; do
		kill -TERM "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
	done
	for pid in $_bb_proxy_pid $_bb_worker_pid $_bb_master_pid; do
		# twistd shuts down cleanly within a second or two; then force
		_bb_wait 10 "! kill -0 $pid" ||
			kill -KILL "-$pid" 2>/dev/null
	done
	_bb_proxy_pid= _bb_worker_pid= _bb_master_pid=
	return 0
}
