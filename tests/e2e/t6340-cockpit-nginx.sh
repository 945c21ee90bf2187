#!/bin/sh
# contrib/nginx/lanes-cockpit.conf with the real nginx: basic auth in
# front, the user passed on to git lanes serve, a forged header replaced.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/e2e/cockpit.sh"

SERVER="$TRASH/server.git"
server_repo "$SERVER" &&
git -C "$SERVER" config lanes.serveUserHeader X-Remote-User &&
git -C "$SERVER" config lanes.serveTrustProxy true &&
git -C "$SERVER" config lanes.holders alice &&
cockpit_start "$SERVER" || {
	echo "not ok - could not start git lanes serve"
	exit 1
}

NGX="$TRASH/nginx"
NGINX_PORT=$(free_port)
mkdir -p "$NGX/logs" "$NGX/tmp" &&
printf "alice:%s\nbob:%s\n" "$(openssl passwd -apr1 alice-pw)" \
	"$(openssl passwd -apr1 bob-pw)" >"$NGX/htpasswd" &&
if [ "$(id -u)" = 0 ]; then user_line="user root;"; else user_line=; fi &&
sed -e "s|LISTEN_ADDRESS|127.0.0.1:$NGINX_PORT|" \
	-e "s|HTPASSWD_FILE|$NGX/htpasswd|" \
	-e "s|COCKPIT_ADDRESS|127.0.0.1:$COCKPIT_PORT|" \
	"$SRC_DIR/contrib/nginx/lanes-cockpit.conf" >"$NGX/cockpit.conf" &&
cat >"$NGX/nginx.conf" <<EOF &&
$user_line
daemon off;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log info;
events { worker_connections 64; }
http {
	access_log $NGX/logs/access.log;
	client_body_temp_path $NGX/tmp/body;
	proxy_temp_path $NGX/tmp/proxy;
	fastcgi_temp_path $NGX/tmp/fastcgi;
	scgi_temp_path $NGX/tmp/scgi;
	uwsgi_temp_path $NGX/tmp/uwsgi;
	include $NGX/cockpit.conf;
}
EOF
[ $? = 0 ] || {
	echo "not ok - could not set up the server configuration"
	exit 1
}
setsid /usr/sbin/nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/logs/error.log" \
	</dev/null >"$NGX/logs/out" 2>&1 &
at_exit "kill -- -$!"
URL="http://127.0.0.1:$NGINX_PORT"
i=0
until curl -s -o /dev/null "$URL/" || [ $i -gt 100 ]; do sleep 0.05; i=$((i + 1)); done

token() {
	curl -sf -u "$1:$1-pw" "$URL/r/server/" |
		sed -n "s/.*name=\"csrf\" value=\"\([0-9a-f]*\)\".*/\1/p" | head -n 1
}

test_expect_success 'without a password nginx answers 401' '
	http_status "$URL/r/server/" >actual &&
	echo 401 >expect && test_cmp expect actual
'

test_expect_success 'alice signs in through nginx and sees the forms' '
	curl -sf -u alice:alice-pw "$URL/r/server/" >page.html &&
	test_grep "signed in as <b id=\"user\">alice</b>" page.html &&
	test_grep "name=\"csrf\"" page.html
'

test_expect_success 'a forged X-Remote-User is replaced by the proxy' '
	curl -sf -u bob:bob-pw -H "X-Remote-User: alice" "$URL/r/server/" >page.html &&
	test_grep "signed in as <b id=\"user\">bob</b>" page.html
'

test_expect_success 'alice holds code through nginx; bob may not release' '
	curl -s -o held.html -w "%{http_code}\n" -u alice:alice-pw \
		-H "Origin: $URL" -d "lane=code&reason=smoke&csrf=$(token alice)" \
		"$URL/r/server/hold" >status &&
	echo 200 >expect && test_cmp expect status &&
	git -C "$SERVER" log -1 --format=%B refs/lanes/holds/code >msg &&
	test_grep "^Held-By: alice$" msg &&
	http_status -u bob:bob-pw -H "Origin: $URL" \
		-d "lane=code&csrf=$(token bob)" "$URL/r/server/release" >status &&
	echo 403 >expect && test_cmp expect status &&
	git -C "$SERVER" rev-parse -q --verify refs/lanes/holds/code
'

test_done
