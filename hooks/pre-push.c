/*
 * try-pre-push: the server's trunk-only rules and lane summary, applied on
 * the developer's machine to the refs being pushed, so a rejection shows
 * before anything crosses the network.
 *
 * Exit codes: 0 fine, 1 rejected, 128 error.
 */
#include "libtry/buf.h"
#include "libtry/classify.h"
#include "libtry/config.h"
#include "libtry/error.h"
#include "libtry/hold.h"
#include "libtry/hooks.h"
#include "libtry/lanespolicy.h"
#include "libtry/policy.h"
#include "libtry/repo.h"
#include "libtry/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT (16u << 20)
#define SHOW_COMMITS 20

static const char usage_text[] =
	"usage: try-pre-push <remote> <url> < <local ref> <local id> "
	"<remote ref> <remote id> lines\n"
	"\n"
	"git's pre-push hook: the server's trunk-only rules and lanes, checked\n"
	"before the push.  TRY_HOOKS=0 turns it off; git push --no-verify\n"
	"skips it.\n";

/*
 * A remote name (not a URL) names its tracking refs.  git passes the URL as
 * the name when the push named no remote.
 */
static void known_prefix(struct try_buf *out, const char *remote,
			 const char *url)
{
	int valid = 0;

	if (strcmp(remote, url) &&
	    git_remote_name_is_valid(&valid, remote) == 0 && valid)
		try_buf_addf(out, "refs/remotes/%s/", remote);
	else
		try_buf_adds(out, "refs/remotes/");
}

#define HOLDS_TIMEOUT_MS 3000

/*
 * The server's holds, fetched once per push within HOLDS_TIMEOUT_MS: a
 * trunk update of a held lane is told what the server will say, before
 * the network push.  Only told: a fix (-o lanes.fix, which this hook does
 * not see) may pass, and an unreachable server lets git try.
 */
static void tell_holds(struct try_buf *out, git_repository *repo,
		       const char *remote, enum try_lane lane,
		       struct try_holds *holds, int *state)
{
	struct try_buf prefix = TRY_BUF_INIT;
	const struct try_hold *h;

	if (*state == 0) {
		*state = -1;
		/* a URL has no place to keep holds: only named remotes */
		if (strpbrk(remote, "/:") ||
		    try_holds_fetch_within(repo, remote, HOLDS_TIMEOUT_MS)) {
			try_buf_addf(out, "pre-push: cannot read the holds of "
				     "'%s' (%s); pushing anyway\n", remote,
				     strpbrk(remote, "/:") ? "not a named remote" :
				     try_error_last());
			return;
		}
		try_buf_addf(&prefix, "%s%s/", TRY_HOLD_REMOTE_REFS, remote);
		if (try_holds_load(holds, repo, prefix.ptr) == 0)
			*state = 1;
		try_buf_release(&prefix);
	}
	if (*state != 1)
		return;
	h = try_holds_blocking(holds, lane);
	if (!h)
		return;
	if (h->scope == TRY_HOLD_ALL)
		try_buf_adds(out, "pre-push: all lanes are ");
	else
		try_buf_addf(out, "pre-push: lane %s is ", try_lane_name(lane));
	try_hold_describe(out, h);
	try_buf_adds(out, "\npre-push:   the server will refuse this [held], "
		     "unless one of lanes.fixers pushes it with -o lanes.fix\n");
}

int main(int argc, char **argv)
{
	int holds_state = 0; /* tell_holds(): 0 not read, 1 read, -1 none */
	struct try_holds holds = TRY_HOLDS_INIT;
	char *warning = NULL; /* a refused .lanes */
	git_repository *repo = NULL;
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_classifier *classifier = NULL;
	struct try_buf input = TRY_BUF_INIT, out = TRY_BUF_INIT;
	struct try_buf prefix = TRY_BUF_INIT;
	struct try_update *updates = NULL;
	struct try_policy policy;
	git_odb *odb = NULL;
	size_t nr = 0, i;
	int rc = 0;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("try-pre-push %s\n", TRY_VERSION);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc != 3) {
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
	    try_buf_read_fd(&input, 0, MAX_INPUT) < 0 ||
	    try_updates_parse_push(&updates, &nr, input.ptr, input.len) < 0)
		goto fail;
	if (git_repository_odb(&odb, repo) < 0) {
		try_error_from_git("cannot open the object database");
		goto fail;
	}
	known_prefix(&prefix, argv[1], argv[2]);
	memset(&policy, 0, sizeof(policy));
	policy.repo = repo;
	policy.cfg = &cfg;
	policy.classifier = classifier;
	policy.show = SHOW_COMMITS;
	policy.known_prefix = prefix.ptr;

	for (i = 0; i < nr; i++) {
		struct try_ref_result r = TRY_REF_RESULT_INIT;
		const struct try_update *u = &updates[i];

		if (try_policy_ref_kind(&cfg, u->ref) == TRY_REF_TRUNK &&
		    !try_oid_is_zero(&u->old) && !try_oid_is_zero(&u->new) &&
		    !git_odb_exists(odb, &u->old)) {
			try_buf_addf(&out, "pre-push: %s: rejected: the remote "
				     "has commits you do not have\n", u->ref);
			try_buf_addf(&out, "pre-push:   fetch, rebase onto "
				     "%s/%s, and push again\n", argv[1],
				     cfg.trunk_branch);
			rc = 1;
			continue;
		}
		if (try_policy_check(&r, &policy, u) < 0) {
			try_ref_result_release(&r);
			goto fail;
		}
		try_report_ref(&out, "pre-push: ", "pre-push: ", u, &r);
		if (r.rejected)
			rc = 1;
		else if (r.kind == TRY_REF_TRUNK && r.lane != TRY_LANE_NONE)
			tell_holds(&out, repo, argv[1], r.lane, &holds,
				   &holds_state);
		try_ref_result_release(&r);
	}
	goto done;
fail:
	try_buf_addf(&out, "pre-push: error: %s\n", try_error_last());
	rc = 128;
done:
	if (warning)
		fprintf(stderr, "pre-push: warning: %s\n", warning);
	free(warning);
	fputs(out.ptr, stderr);
	try_holds_release(&holds);
	git_odb_free(odb);
	try_updates_free(updates, nr);
	try_buf_release(&input);
	try_buf_release(&prefix);
	try_buf_release(&out);
	try_classifier_free(classifier);
	try_config_release(&cfg);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}
