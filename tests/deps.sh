#!/bin/sh
# Installs the Debian packages the build and the tests need, when something is
# missing.  Prints nothing when everything is there.
missing=
need_pkg() { # <pkg-config module> <debian package>
	pkg-config --exists "$1" 2>/dev/null || missing="$missing $2"
}
need_cmd() { # <command> <debian package>
	command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] ||
		missing="$missing $2"
}
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
need_cmd make make
need_pkg libgit2 libgit2-dev
need_pkg libpcre2-8 libpcre2-dev
need_pkg libcurl libcurl4-openssl-dev
need_pkg jansson libjansson-dev
need_pkg libcrypto libssl-dev
need_pkg nettle nettle-dev
need_pkg check check
need_cmd git git
need_cmd nginx nginx-light
need_cmd fcgiwrap fcgiwrap
need_cmd htpasswd apache2-utils
need_cmd openssl openssl
need_cmd python3 python3
need_cmd buildbot buildbot
need_cmd buildbot-worker buildbot-worker
need_cmd curl curl
need_cmd jq jq
need_cmd man man-db
# the cockpit (git lanes serve) and its tests
need_pkg libmicrohttpd libmicrohttpd-dev
need_cmd chromium chromium
need_cmd prometheus prometheus
need_cmd promtool prometheus
# t6040-gitolite: gitolite3 behind an sshd the test starts
need_cmd gitolite gitolite3
need_cmd sshd openssh-server
need_cmd ssh openssh-client
[ -f /usr/lib/git-core/git-http-backend ] || missing="$missing git"
# `make fuzz` only (tests/deps.sh fuzz): clang and its libFuzzer runtime
if [ "$1" = fuzz ]; then
	need_cmd clang clang
	echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
		clang -fsanitize=fuzzer -x c -o /dev/null - 2>/dev/null ||
		missing="$missing libclang-rt-14-dev"
fi
[ -z "$missing" ] && exit 0

echo "deps: installing missing Debian packages:$missing"
sudo=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "deps: not root and no sudo; install:$missing" >&2
		exit 1
	}
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null &&
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
	echo "deps: apt-get install failed for:$missing" >&2
	exit 1
}
echo "deps: installed$missing"
