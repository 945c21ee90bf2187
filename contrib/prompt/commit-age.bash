# git commit-age in a bash prompt.
#
# Source this file from ~/.bashrc, then use __commit_age_ps1 in PS1:
#
#   . /path/to/contrib/prompt/commit-age.bash
#   PS1='\u@\h:\w$(__commit_age_ps1)\$ '
#
# It prints nothing outside a working tree and under the first level
# (commitAge.levels), " ⏱ 65m" past it, then "!", "!!" and " stash" as the
# levels rise: yellow for the first level, red after (COMMIT_AGE_COLOR=0
# for none).  An optional argument is a printf format: "[%s]".
#
# Cost: `git commit-age --prompt` answers from a scan of the last 30 s when
# nothing it saw has moved (about 3 ms), else scans the tree: about 7 ms
# for 5,000 files, about half of `git status` for big trees.

__commit_age_ps1() {
	local out color reset
	out=$(git commit-age --prompt 2>/dev/null)
	[ -n "$out" ] || return 0
	if [ "${COMMIT_AGE_COLOR:-1}" != 0 ]; then
		case $out in
		*!*|*stash*) color='\001\033[31m\002' ;;
		*) color='\001\033[33m\002' ;;
		esac
		reset='\001\033[0m\002'
	fi
	# shellcheck disable=SC2059
	printf "${1:- %s}" "$(printf "$color")$out$(printf "$reset")"
}
