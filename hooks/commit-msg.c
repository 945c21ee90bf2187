/*
 * try-commit-msg: checks the DARK marker of a commit message and tells the
 * developer which deploy lane the commit will take, with the classifier the
 * server uses.  Rejects a DARK commit that changes config paths (the server
 * would), and near misses of the marker when lanes.strictDark is set.
 *
 * Exit codes: 0 fine, 1 rejected, 128 error.
 */
#include "libtry/buf.h"
#include "libtry/classify.h"
#include "libtry/config.h"
#include "libtry/error.h"
#include "libtry/hooks.h"
#include "libtry/lanespolicy.h"
#include "libtry/repo.h"
#include "libtry/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: try-commit-msg <message file>\n"
	"\n"
	"git's commit-msg hook: checks the DARK marker and shows the lane the\n"
	"commit will take.  TRY_HOOKS=0 turns it off.\n";

/* The staged tree: the index git is committing ($GIT_INDEX_FILE for
 * `git commit -a` and `git commit <paths>`). */
static int staged_tree(git_tree **out, git_repository *repo)
{
	const char *path = getenv("GIT_INDEX_FILE");
	git_index *index = NULL;
	git_oid id;
	int ret = -1;

	*out = NULL;
	if (path && *path) {
		if (git_index_open(&index, path) < 0)
			goto fail;
	} else if (git_repository_index(&index, repo) < 0) {
		goto fail;
	}
	/* writes the tree objects git is about to write anyway; never the
	 * index itself */
	if (git_index_write_tree_to(&id, index, repo) < 0 ||
	    git_tree_lookup(out, repo, &id) < 0)
		goto fail;
	ret = 0;
	goto done;
fail:
	try_error_from_git("cannot read the staged changes");
done:
	git_index_free(index);
	return ret;
}

static int head_tree(git_tree **out, git_repository *repo)
{
	git_object *obj = NULL;
	int error;

	*out = NULL;
	error = git_revparse_single(&obj, repo, "HEAD^{tree}");
	if (error == GIT_ENOTFOUND || error == GIT_EUNBORNBRANCH) {
		git_error_clear();
		return 0; /* the first commit: against the empty tree */
	}
	if (error < 0) {
		try_error_from_git("cannot read HEAD");
		return -1;
	}
	*out = (git_tree *)obj;
	return 0;
}

static char comment_char(git_repository *repo)
{
	git_config *cfg = NULL;
	git_buf v = GIT_BUF_INIT;
	char c = '#';

	if (try_config_snapshot(&cfg, repo) == 0 &&
	    git_config_get_string_buf(&v, cfg, "core.commentChar") == 0 &&
	    v.size == 1)
		c = v.ptr[0];
	git_error_clear();
	git_buf_dispose(&v);
	git_config_free(cfg);
	return c;
}

int main(int argc, char **argv)
{
	char *warning = NULL; /* a refused .lanes */
	git_repository *repo = NULL;
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_classifier *classifier = NULL;
	struct try_buf msg = TRY_BUF_INIT, out = TRY_BUF_INIT;
	struct try_buf fixed = TRY_BUF_INIT;
	struct try_commit_lane cl = TRY_COMMIT_LANE_INIT;
	git_tree *old = NULL, *new = NULL;
	const char *subject;
	size_t len;
	int rc = 0;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("try-commit-msg %s\n", TRY_VERSION);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc != 2) {
		fputs(usage_text, stderr);
		return 129;
	}
	if (!try_hooks_enabled())
		return 0;

	git_libgit2_init();
	if (try_repo_open(&repo, NULL, 0) < 0 ||
	    try_config_load(&cfg, repo) < 0 ||
	    try_lanespolicy_load_client(&cfg, repo, &warning) < 0 ||
	    try_classifier_new(&classifier, repo, &cfg) < 0 ||
	    try_buf_read_file(&msg, argv[1], 64u << 20) < 0)
		goto fail;
	try_hooks_message_subject(&subject, &len, msg.ptr, msg.len,
				  comment_char(repo));
	if (!len)
		goto done; /* git refuses an empty message itself */

	if (try_classifier_dark_near_miss(classifier, &fixed, subject, len)) {
		try_buf_adds(&out, "commit-msg: '");
		try_report_add_safe(&out, subject, len, 60);
		try_buf_addf(&out, "' looks like a DARK marker but does not "
			     "match lanes.darkPattern (%s)\n", cfg.dark_pattern);
		try_buf_adds(&out, "commit-msg: write the subject as: ");
		try_report_add_safe(&out, fixed.ptr, fixed.len, 100);
		try_buf_addch(&out, '\n');
		if (cfg.strict_dark) {
			try_buf_adds(&out, "commit-msg: rejected "
				     "(lanes.strictDark is true)\n");
			rc = 1;
			goto done;
		}
	}

	if (head_tree(&old, repo) < 0 || staged_tree(&new, repo) < 0 ||
	    try_classify_trees(&cl, classifier, old, new, subject, len) < 0)
		goto fail;
	if (cl.flags & TRY_COMMIT_DARK_CONFIG) {
		try_buf_adds(&out, "commit-msg: rejected: ");
		try_commit_lane_reason(&out, &cl);
		try_buf_adds(&out, "\ncommit-msg:   a flag flip must travel in "
			     "its own commit; the server would reject this one\n");
		rc = 1;
		goto done;
	}
	try_buf_addf(&out, "commit-msg: this commit takes the %s lane (",
		     try_lane_name(cl.lane));
	try_commit_lane_reason(&out, &cl);
	try_buf_adds(&out, ")\n");
	goto done;
fail:
	try_buf_addf(&out, "commit-msg: %s\n", try_error_last());
	rc = 128;
done:
	if (warning)
		fprintf(stderr, "commit-msg: warning: %s\n", warning);
	free(warning);
	fputs(out.ptr, stderr);
	try_commit_lane_release(&cl);
	git_tree_free(old);
	git_tree_free(new);
	try_buf_release(&fixed);
	try_buf_release(&out);
	try_buf_release(&msg);
	try_classifier_free(classifier);
	try_config_release(&cfg);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}
