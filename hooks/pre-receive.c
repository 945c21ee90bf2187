/*
 * try-pre-receive: the server's trunk-only hook.  Reads `<old> <new> <ref>`
 * lines, applies the rules of libtry/policy.h and tells the pusher the lane
 * of every trunk update.  Fails closed.
 *
 * Exit codes: 0 accepted, 1 rejected by policy, 128 could not decide.
 */
#include "libtry/buf.h"
#include "libtry/classify.h"
#include "libtry/config.h"
#include "libtry/error.h"
#include "libtry/events.h"
#include "libtry/hold.h"
#include "libtry/identity.h"
#include "libtry/lanespolicy.h"
#include "libtry/policy.h"
#include "libtry/repo.h"
#include "libtry/report.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_INPUT (64u << 20)
#define SHOW_COMMITS 20

static const char usage_text[] =
	"usage: try-pre-receive < <old> <new> <ref> lines\n"
	"\n"
	"git's pre-receive hook: accepts fast-forwards of the trunk and refs\n"
	"matching trunk.allow, rejects everything else, and tells the pusher\n"
	"the deploy lane (DARK, CONFIG, CODE) of the new commits.  A lane held\n"
	"with 'git lanes hold' takes no trunk update unless it is pushed with\n"
	"-o lanes.fix; refs/lanes/holds/<lane> take pushes from lanes.holders.\n"
	"Install it with 'git trunk install --server <repository>'.\n"
	"\n"
	"exit codes: 0 accepted, 1 rejected, 128 internal error\n";

static char alarm_msg[256];
static size_t alarm_len;

static void on_alarm(int sig)
{
	ssize_t ignored = write(2, alarm_msg, alarm_len);
	(void)sig;
	(void)ignored;
	_exit(128);
}

static const char *prefix_reject(void)
{
	const char *gl = getenv("GL_ID");
	return gl && *gl ? "GL-HOOK-ERR: try: " : "try: ";
}

static int fail(const char *what)
{
	struct try_buf b = TRY_BUF_INIT;

	try_buf_adds(&b, prefix_reject());
	try_buf_adds(&b, "error: ");
	try_report_add_safe(&b, what, strlen(what), 0);
	try_buf_adds(&b, "; push rejected\n");
	fputs(b.ptr, stderr);
	try_buf_release(&b);
	return 128;
}

static void report(const struct try_update *u, const struct try_ref_result *r,
		   const char *help_url)
{
	struct try_buf b = TRY_BUF_INIT;

	try_report_ref_help(&b, "try: ", prefix_reject(), u, r, help_url);
	if (r->fix_passed) {
		try_buf_addf(&b, "try: %s: passing the hold on %s (lanes.fix): ",
			     u->ref, try_hold_scope_key(r->hold->scope));
		try_hold_describe(&b, r->hold);
		try_buf_addch(&b, '\n');
	}
	fputs(b.ptr, stderr);
	try_buf_release(&b);
}

/*
 * The team's .lanes from the trunk as it is before the push: a push
 * cannot change the rules it is judged by.
 */
static int lanes_policy(struct try_config *cfg, git_repository *repo)
{
	char *warning = NULL;
	git_oid tip;
	int found = git_reference_name_to_id(&tip, repo, cfg->trunk_ref) == 0;

	git_error_clear();
	if (try_lanespolicy_load_at(cfg, repo, found ? &tip : NULL,
				    cfg->trunk_ref, &warning) < 0)
		return -1;
	if (warning) {
		struct try_buf b = TRY_BUF_INIT;
		try_buf_adds(&b, "try: warning: ");
		try_report_add_safe(&b, warning, strlen(warning), 0);
		try_buf_addch(&b, '\n');
		fputs(b.ptr, stderr);
		try_buf_release(&b);
	}
	free(warning);
	return 0;
}

int main(int argc, char **argv)
{
	git_repository *repo = NULL;
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_classifier *classifier = NULL;
	struct try_policy policy;
	struct try_buf input = TRY_BUF_INIT;
	struct try_update *updates = NULL;
	struct try_holds holds = TRY_HOLDS_INIT;
	char *pusher = NULL;
	size_t nr = 0, i;
	int rc = 0;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("try-pre-receive %s\n", TRY_VERSION);
		return 0;
	}
	if (argc > 1) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			fputs(usage_text, stdout);
			return 0;
		}
		fputs(usage_text, stderr);
		return 129;
	}

	git_libgit2_init();
	/* bound memory on huge pushes; the walk needs few objects at once */
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(16 << 20));

	if (try_repo_open(&repo, NULL, TRY_REPO_HOOK) < 0 ||
	    try_config_load(&cfg, repo) < 0) {
		rc = fail(try_error_last());
		goto done;
	}

	/* git has no hook timeout: keep our own, and fail closed */
	snprintf(alarm_msg, sizeof(alarm_msg),
		 "%serror: deadline of %d s passed (trunk.timeout); push "
		 "rejected\n", prefix_reject(), cfg.timeout);
	alarm_len = strlen(alarm_msg);
	signal(SIGALRM, on_alarm);
	alarm((unsigned)cfg.timeout);

	if (lanes_policy(&cfg, repo) < 0 ||
	    try_classifier_new(&classifier, repo, &cfg) < 0 ||
	    try_buf_read_fd(&input, 0, MAX_INPUT) < 0 ||
	    try_updates_parse(&updates, &nr, input.ptr, input.len) < 0 ||
	    try_holds_load(&holds, repo, TRY_HOLD_REFS) < 0) {
		rc = fail(try_error_last());
		goto done;
	}
	try_identity_pusher(&pusher, &cfg);

	memset(&policy, 0, sizeof(policy));
	policy.repo = repo;
	policy.cfg = &cfg;
	policy.classifier = classifier;
	policy.deadline_ms = try_now_ms() + (int64_t)cfg.timeout * 1000;
	policy.show = SHOW_COMMITS;
	policy.holds = &holds;
	policy.fix = try_events_push_option("lanes.fix");
	policy.pusher = pusher;
	policy.platform_internal = getenv("GITEA_IS_INTERNAL") &&
				   !strcmp(getenv("GITEA_IS_INTERNAL"), "true");

	for (i = 0; i < nr; i++) {
		struct try_ref_result r = TRY_REF_RESULT_INIT;

		if (try_policy_check(&r, &policy, &updates[i]) < 0) {
			struct try_buf msg = TRY_BUF_INIT;
			try_buf_addf(&msg, "%s: %s", updates[i].ref,
				     try_error_last());
			rc = fail(msg.ptr);
			try_buf_release(&msg);
			try_ref_result_release(&r);
			goto done;
		}
		report(&updates[i], &r, cfg.help_url);
		if (r.rejected)
			rc = 1;
		try_ref_result_release(&r);
	}
done:
	alarm(0);
	free(pusher);
	try_holds_release(&holds);
	try_updates_free(updates, nr);
	try_buf_release(&input);
	try_classifier_free(classifier);
	try_config_release(&cfg);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}
