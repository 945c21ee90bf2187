#!/bin/sh
# gitolite itself (Debian's gitolite3) behind an sshd the test starts on
# 127.0.0.1: a throwaway hosting account, `gitolite setup` with an admin key,
# alice and bob pushing over ssh with their own keys, our hooks installed by
# `git trunk install --server` next to gitolite's update hook.  The journal
# names the gitolite user (GL_USER), not the hosting account, and
# lanes.holders = alice lets alice hold and refuses bob.  The steps are the
# ones docs/platforms.md lists.  Needs root (useradd, sshd).
. "$(dirname "$0")/lib.sh"

command -v gitolite >/dev/null 2>&1 && [ -x /usr/sbin/sshd ] &&
command -v ssh-keygen >/dev/null 2>&1 || {
	echo "not ok - gitolite3 or openssh-server is missing (tests/deps.sh installs them)"
	exit 1
}
[ "$(id -u)" = 0 ] || {
	echo "not ok - needs root: it creates the hosting account and runs sshd"
	exit 1
}

GLUSER="trygl$$"		# the hosting account, removed at exit
GLHOME="$TRASH/gl"
REPO="$GLHOME/repositories/shop.git"
JOURNAL="$REPO/lanes/events.jsonl"
PORT=$(free_port)
TRY="$TRASH/try"		# what `make install` puts on the host, in small

# as <user> <git args>...: git as a gitolite user, over ssh with its own key
as() {
	local user=$1
	shift
	env GIT_SSH_COMMAND="ssh -F /dev/null -p $PORT -i $TRASH/keys/$user \
-o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no \
-o UserKnownHostsFile=$TRASH/known_hosts -o LogLevel=ERROR" git "$@"
}

# hosting <cmd>...: a command as the hosting account, in its home
hosting() {
	runuser -u "$GLUSER" -- env HOME="$GLHOME" \
		PATH="$TRY/cmd:$TRY/hooks:/usr/bin:/bin" "$@"
}

url() { echo "ssh://$GLUSER@127.0.0.1:$PORT/$1"; }

# last <python expression over e>: from the journal's last event
last() {
	python3 -c 'import json,sys; e=json.loads(open(sys.argv[1]).read().splitlines()[-1]); print(eval(sys.argv[2]))' \
		"$JOURNAL" "$1"
}

at_exit "userdel -r -f $GLUSER"
at_exit '[ -f "$TRASH/sshd/pid" ] && kill "$(cat "$TRASH/sshd/pid")"'

test_expect_success 'setup: hosting account, our programs, keys' '
	chmod 755 "$TRASH" &&
	useradd -M -d "$GLHOME" -s /bin/sh -p "*" "$GLUSER" &&
	mkdir -p "$GLHOME" "$TRY/cmd" "$TRY/hooks" "$TRASH/keys" &&
	chown "$GLUSER" "$GLHOME" &&
	cp "$SRC_DIR"/cmd/git-trunk "$SRC_DIR"/cmd/git-lanes "$TRY/cmd/" &&
	cp "$SRC_DIR"/hooks/try-* "$TRY/hooks/" &&
	chmod -R a+rX "$TRY" &&
	for u in admin alice bob carol
	do
		ssh-keygen -q -t ed25519 -N "" -C "$u" -f "$TRASH/keys/$u" ||
		exit 1
	done &&
	cp "$TRASH/keys/admin.pub" "$GLHOME/admin.pub" &&
	chmod a+r "$GLHOME/admin.pub"
'

test_expect_success 'setup: gitolite setup with the admin key' '
	hosting gitolite setup -pk "$GLHOME/admin.pub" >out 2>&1 &&
	test -d "$GLHOME/repositories/gitolite-admin.git" &&
	grep -q "gitolite-shell.* admin" "$GLHOME/.ssh/authorized_keys"
'

test_expect_success 'setup: sshd on 127.0.0.1 with its own host key' '
	mkdir -p "$TRASH/sshd" /run/sshd &&
	ssh-keygen -q -t ed25519 -N "" -f "$TRASH/sshd/host_key" &&
	cat >"$TRASH/sshd/config" <<-EOF &&
	ListenAddress 127.0.0.1
	HostKey $TRASH/sshd/host_key
	PidFile $TRASH/sshd/pid
	UsePAM no
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	PubkeyAuthentication yes
	AuthorizedKeysFile .ssh/authorized_keys
	AllowUsers $GLUSER
	StrictModes no
	PermitUserEnvironment no
	EOF
	{ /usr/sbin/sshd -D -f "$TRASH/sshd/config" -p "$PORT" \
		-E "$TRASH/sshd/log" </dev/null >/dev/null 2>&1 & } &&
	for i in 1 2 3 4 5 6 7 8 9 10
	do
		as admin ls-remote "$(url gitolite-admin)" >/dev/null 2>&1 &&
		break
		sleep 0.5
	done &&
	as admin ls-remote "$(url gitolite-admin)" >out &&
	test_grep "refs/heads/master" out
'

test_expect_success 'setup: the admin adds repo shop, alice, bob and carol' '
	as admin clone -q "$(url gitolite-admin)" admin 2>/dev/null &&
	cp "$TRASH/keys/alice.pub" "$TRASH/keys/bob.pub" \
		"$TRASH/keys/carol.pub" admin/keydir/ &&
	cat >>admin/conf/gitolite.conf <<-EOF &&

	repo shop
	    RW+ = alice bob
	    R   = carol
	EOF
	git -C admin add conf keydir &&
	git -C admin commit -q -m "shop for alice and bob; carol reads" &&
	as admin -C admin push -q origin master 2>/dev/null &&
	test -d "$REPO" &&
	test -L "$REPO/hooks/update"
'

test_expect_success 'setup: our hooks in the gitolite repository, holders' '
	hosting git -C "$REPO" symbolic-ref HEAD refs/heads/main &&
	hosting git trunk install --server "$REPO" >out &&
	hosting git -C "$REPO" config lanes.holders alice &&
	test -x "$REPO/hooks/pre-receive" &&
	test -x "$REPO/hooks/post-receive" &&
	test -L "$REPO/hooks/update"
'

test_expect_success 'alice pushes over ssh: the journal names alice' '
	as alice clone -q "$(url shop)" alice 2>/dev/null &&
	(cd alice && test_commit init src/a.c) &&
	as alice -C alice push origin main >out 2>&1 &&
	test_grep "try: refs/heads/main: accepted" out &&
	test "$(last "e[\"type\"]")" = push &&
	test "$(last "e[\"pusher\"]")" = alice
'

test_expect_success 'bob pushes: the journal names bob, not the hosting account' '
	as bob clone -q "$(url shop)" bob 2>/dev/null &&
	(cd bob && test_commit second src/b.c) &&
	as bob -C bob push -q origin main 2>/dev/null &&
	test "$(last "e[\"pusher\"]")" = bob &&
	python3 -c "import json,sys; print(*[json.loads(l)[\"pusher\"] for l in open(sys.argv[1])], sep=\"\\n\")" \
		"$JOURNAL" >pushers &&
	printf "alice\nbob\n" >expect &&
	test_cmp expect pushers
'

test_expect_success 'gitolite update hook still works: carol may read, not write' '
	as carol clone -q "$(url shop)" carol 2>/dev/null &&
	(cd carol && test_commit third src/c.c) &&
	test_must_fail as carol -C carol push origin main >out 2>&1 &&
	test_grep "W any shop carol DENIED" out &&
	test "$(last "e[\"pusher\"]")" = bob
'

test_expect_success 'lanes.holders = alice: alice holds over ssh' '
	as alice -C alice pull -q --ff-only 2>/dev/null &&
	as alice -C alice lanes hold code -m "checkout is down" >out 2>&1 &&
	hosting git -C "$REPO" log -1 --format=%B refs/lanes/holds/code >msg &&
	test_grep "^Held-By: alice$" msg &&
	test "$(last "e[\"type\"]")" = hold &&
	test "$(last "e[\"pusher\"]")" = alice
'

test_expect_success 'bob is refused: he is not a holder' '
	as bob -C bob fetch -q origin 2>/dev/null &&
	test_exit_code 1 as bob -C bob lanes hold all -m "panic" 2>err &&
	test_grep "rejected: bob may not hold or release lanes (lanes.holders) \[not-a-holder\]" err &&
	test_must_fail hosting git -C "$REPO" rev-parse -q --verify refs/lanes/holds/all &&
	test "$(last "e[\"pusher\"]")" = alice
'

test_done
