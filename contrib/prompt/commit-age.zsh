# git commit-age in a zsh prompt.
#
# Source this file from ~/.zshrc; it sets $commit_age_prompt before each
# prompt, for PROMPT or RPROMPT:
#
#   source /path/to/contrib/prompt/commit-age.zsh
#   setopt prompt_subst
#   RPROMPT='${commit_age_prompt}'"$RPROMPT"
#
# The variable is empty outside a working tree and under the first level
# (commitAge.levels), "⏱ 65m" past it, then "!", "!!" and " stash" as the
# levels rise: yellow for the first level, red after (COMMIT_AGE_COLOR=0
# for none).  `git commit-age --prompt` may answer from a scan of the last
# 30 s (about 3 ms).

autoload -Uz add-zsh-hook

_commit_age_precmd() {
	local out color
	out=$(git commit-age --prompt 2>/dev/null)
	commit_age_prompt=
	[[ -n $out ]] || return 0
	out=${out//\%/%%}
	if [[ ${COMMIT_AGE_COLOR:-1} == 0 ]]; then
		commit_age_prompt="$out "
		return 0
	fi
	case $out in
	*'!'*|*stash*) color=red ;;
	*) color=yellow ;;
	esac
	commit_age_prompt="%F{$color}$out%f "
}

add-zsh-hook precmd _commit_age_precmd
