/*
 * try-pre-commit: keeps commits on the trunk.  Committing on another branch
 * warns, is refused, or passes silently, as trunk.localBranches says (warn,
 * deny, allow).  Also tells how long the work has waited when past the
 * first commit-age level (commitAge.levels).
 *
 * Exit codes: 0 fine, 1 refused, 128 error.
 */
#include "libtry/age.h"
#include "libtry/buf.h"
#include "libtry/config.h"
#include "libtry/error.h"
#include "libtry/gitfast.h"
#include "libtry/hooks.h"
#include "libtry/repo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: try-pre-commit\n"
	"\n"
	"git's pre-commit hook: warns about (or refuses, with\n"
	"trunk.localBranches=deny) commits on a branch other than the trunk.\n"
	"TRY_HOOKS=0 turns it off; git commit --no-verify skips it.\n";

/* The branch HEAD names, or NULL when detached; borrowed from `head`. */
static const char *current_branch(git_reference *head)
{
	const char *target;

	if (git_reference_type(head) != GIT_REFERENCE_SYMBOLIC)
		return NULL;
	target = git_reference_symbolic_target(head);
	return strncmp(target, "refs/heads/", 11) ? NULL : target + 11;
}

/*
 * The branch, trunk and settings without libgit2 (git_libgit2_init() alone
 * takes longer than this hook may): 0, or TRY_GITFAST_FALLBACK when
 * libgit2 must answer.  `*branch` is NULL when HEAD is detached.
 */
static int fast_setup(char **branch, struct try_config *cfg)
{
	struct try_gitfast_repo repo = TRY_GITFAST_REPO_INIT;
	int ret = TRY_GITFAST_FALLBACK;

	*branch = NULL;
	if (try_gitfast_discover(&repo, NULL) ||
	    try_config_load_fast(cfg, repo.commondir) ||
	    try_gitfast_head_branch(branch, repo.gitdir))
		goto done;
	ret = 0;
done:
	try_gitfast_repo_release(&repo);
	return ret;
}

int main(int argc, char **argv)
{
	git_repository *repo = NULL;
	git_reference *head = NULL;
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_buf out = TRY_BUF_INIT;
	struct try_age age = TRY_AGE_INIT;
	char *fast_branch = NULL;
	const char *branch;
	int rc = 0, lib = 0;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("try-pre-commit %s\n", TRY_VERSION);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc != 1) {
		fputs(usage_text, stderr);
		return 129;
	}
	if (!try_hooks_enabled())
		return 0;

	if (!fast_setup(&fast_branch, &cfg)) {
		branch = fast_branch;
	} else {
		try_config_release(&cfg);
		free(fast_branch);
		fast_branch = NULL;
		git_libgit2_init();
		lib = 1;
		if (try_repo_open(&repo, NULL, 0) < 0 ||
		    try_config_load(&cfg, repo) < 0)
			goto fail;
		if (git_reference_lookup(&head, repo, "HEAD") < 0) {
			try_error_from_git("cannot read HEAD");
			goto fail;
		}
		/* a detached HEAD (rebase, bisect) is git's business */
		branch = current_branch(head);
	}
	if (branch && strcmp(branch, cfg.trunk_branch) &&
	    strcmp(cfg.local_branches, "allow")) {
		int deny = !strcmp(cfg.local_branches, "deny");
		try_buf_addf(&out, "pre-commit: %s on branch '%s', not on the "
			     "trunk '%s'\n", deny ? "refused: committing" :
			     "committing", branch, cfg.trunk_branch);
		try_buf_addf(&out, "pre-commit:   trunk-based development lands "
			     "small commits on %s, unfinished work behind a flag "
			     "as DARK commits (trunk.localBranches=%s)\n",
			     cfg.trunk_branch, cfg.local_branches);
		if (deny)
			rc = 1;
	}
	/*
	 * work that waited too long: say so, never block on it.  Without an
	 * open repository try_age_measure() finds the same one ($GIT_DIR,
	 * $GIT_INDEX_FILE) and starts libgit2 only if it must.
	 */
	if ((repo ? try_age_measure_repo(&age, repo, 0) :
		    try_age_measure(&age, NULL, 0)) < 0)
		goto fail;
	if (age.level > TRY_AGE_FINE) {
		try_buf_adds(&out, "pre-commit: uncommitted work has waited ");
		try_age_format_duration(&out, age.age);
		try_buf_addf(&out, " (%s): %s\n", try_age_level_name(age.level),
			     try_age_level_advice(age.level));
	}
	goto done;
fail:
	try_buf_addf(&out, "pre-commit: %s\n", try_error_last());
	rc = 128;
done:
	fputs(out.ptr, stderr);
	try_age_release(&age);
	try_buf_release(&out);
	free(fast_branch);
	git_reference_free(head);
	try_config_release(&cfg);
	git_repository_free(repo);
	if (lib)
		git_libgit2_shutdown();
	return rc;
}
