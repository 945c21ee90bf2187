/*
 * try-post-commit: a commit restarts the commit-age clock, so the stored
 * "dirty since" time is forgotten (files still changed keep bounding the
 * age by their modification times).
 *
 * Exit codes: 0 done, 128 error (git ignores a post-commit's status).
 */
#include "libtry/age.h"
#include "libtry/error.h"
#include "libtry/hooks.h"

#include <stdio.h>
#include <string.h>

static const char usage_text[] =
	"usage: try-post-commit\n"
	"\n"
	"git's post-commit hook: restarts the commit-age clock.\n"
	"TRY_HOOKS=0 turns it off.\n";

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("try-post-commit %s\n", TRY_VERSION);
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

	/* libgit2 is started only when the fast path cannot answer */
	if (try_age_clear_state_at(NULL) < 0) {
		fprintf(stderr, "post-commit: %s\n", try_error_last());
		rc = 128;
	}
	return rc;
}
