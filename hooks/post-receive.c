/*
 * try-post-receive: after every accepted trunk update, one lane event per
 * ref, and for every hold set or released a hold or release event (the
 * hold made the server's record first: try_hold_vouch()), goes to the journal (lanes.journal) and to every webhook
 * (lanes.webhook); events a webhook does not take now wait in a spool under
 * the git directory and go out, in order, on the next push or with
 * `git lanes flush`.
 *
 * The refs have moved already: nothing here can fail the push, and webhook
 * delivery waits at most lanes.webhookTimeout seconds.  Every failure is
 * told to the pusher.
 *
 * Exit codes: 0 done, 128 an event could not be journaled or spooled.
 */
#include "libtry/buf.h"
#include "libtry/classify.h"
#include "libtry/config.h"
#include "libtry/deploy.h"
#include "libtry/error.h"
#include "libtry/events.h"
#include "libtry/hold.h"
#include "libtry/http.h"
#include "libtry/identity.h"
#include "libtry/lanespolicy.h"
#include "libtry/policy.h"
#include "libtry/queue.h"
#include "libtry/repo.h"
#include "libtry/report.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HOOK_INPUT (64u << 20)

static const char usage_text[] =
	"usage: try-post-receive < <old> <new> <ref> lines\n"
	"\n"
	"git's post-receive hook: appends one JSON lane event per accepted\n"
	"trunk update to the journal (lanes.journal, default\n"
	"<git dir>/lanes/events.jsonl) and posts it to every lanes.webhook,\n"
	"spooling what cannot be delivered for 'git lanes flush'.\n"
	"Install it with 'git trunk install --server <repository>'.\n"
	"\n"
	"exit codes: 0 done, 128 an event was not journaled or spooled\n";

static void say(const char *level, const char *what)
{
	struct try_buf b = TRY_BUF_INIT;

	try_buf_addf(&b, "try: %s: ", level);
	try_report_add_safe(&b, what, strlen(what), 0);
	try_buf_addch(&b, '\n');
	fputs(b.ptr, stderr);
	try_buf_release(&b);
}

static int fail(const char *what)
{
	say("error", what);
	return 128;
}

/*
 * A change of refs/lanes/holds/<lane>: a new hold becomes the server's
 * record (held by the pusher, not by whom the client claims), then its
 * event.  Nothing is appended for a ref that is not a lane's hold.
 */
static int hold_event(struct try_buf *out, git_repository *repo,
		      const struct try_update *u, const char *pusher)
{
	const char *name = u->ref + strlen(TRY_HOLD_REFS);
	enum try_hold_scope scope;
	git_oid id;

	if (try_hold_scope_parse(&scope, name) < 0 ||
	    strcmp(name, try_hold_scope_key(scope)))
		return 0;
	git_oid_cpy(&id, &u->new);
	if (!try_oid_is_zero(&u->new) &&
	    try_hold_vouch(&id, repo, scope, &u->new, pusher) < 0)
		return -1;
	return try_hold_event(out, repo, scope, &u->old, &id, pusher);
}

static void record_failed(const char *msg, void *payload)
{
	fail(msg);
}

static void deliver(git_repository *repo, const struct try_config *cfg,
		    const char *url, int64_t deadline)
{
	struct try_delivery d = TRY_DELIVERY_INIT;
	struct try_buf msg = TRY_BUF_INIT;
	char *shown = try_http_url_display(url);

	if (try_webhook_flush(&d, repo, cfg, url, deadline) < 0) {
		try_buf_addf(&msg, "webhook %s: %s", shown, try_error_last());
		say("warning", msg.ptr);
	} else if (d.waiting && !d.busy) {
		/* busy: another push is delivering, ours included */
		try_buf_addf(&msg, "%s; %zu event%s for %s kept in the spool "
			     "(next push, or 'git lanes flush')",
			     d.error ? d.error : "webhook: not delivered",
			     d.waiting, d.waiting == 1 ? "" : "s", shown);
		say("warning", msg.ptr);
	}
	free(shown);
	try_buf_release(&msg);
	try_delivery_release(&d);
}

/* The deploy or rollback event of a record the referee let in. */
static int deploy_line(struct try_buf *out, git_repository *repo,
		       const char *pusher, const struct try_update *u)
{
	struct try_deploy d, prev;
	git_commit *c = NULL, *p = NULL;
	int ret = -1, has_prev = 0;

	memset(&d, 0, sizeof(d));
	memset(&prev, 0, sizeof(prev));
	if (git_commit_lookup(&c, repo, &u->new) < 0) {
		try_error_from_git("deploy record");
		goto done;
	}
	if (try_deploy_parse(&d, c) < 0)
		goto done;
	if (!try_oid_is_zero(&u->old) &&
	    git_commit_lookup(&p, repo, &u->old) == 0 &&
	    try_deploy_parse(&prev, p) == 0)
		has_prev = 1;
	git_error_clear();
	ret = try_deploy_event(out, repo, pusher, &d,
			       has_prev ? &prev.commit : NULL);
done:
	git_commit_free(p);
	git_commit_free(c);
	try_deploy_release(&prev);
	try_deploy_release(&d);
	return ret;
}

/*
 * A recorded deploy of the default environment moves that lane's push
 * train: when the deployer drives its head car, the car is verifying
 * (queue.h).  Anyone else's deploy leaves the queue as it is.
 */
static void deploy_moves_queue(git_repository *repo,
			       const struct try_config *cfg,
			       const struct try_update *u, const char *pusher)
{
	struct try_deploy d;
	git_commit *c = NULL;

	memset(&d, 0, sizeof(d));
	if (git_commit_lookup(&c, repo, &u->new) == 0 &&
	    try_deploy_parse(&d, c) == 0 && !d.rollback &&
	    !strcmp(d.env, cfg->default_env))
		try_queue_deployed(repo, cfg, d.lane, pusher);
	git_error_clear();
	try_error_clear();
	git_commit_free(c);
	try_deploy_release(&d);
}

int main(int argc, char **argv)
{
	git_repository *repo = NULL;
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_classifier *classifier = NULL;
	struct try_buf input = TRY_BUF_INIT, msg = TRY_BUF_INIT;
	struct try_update *updates = NULL;
	struct try_holds holds = TRY_HOLDS_INIT;
	struct try_buf *lines = NULL;
	char *pusher = NULL, *repository = NULL;
	size_t nr = 0, nlines = 0, i, j;
	int fix = 0, rc = 0;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("try-post-receive %s\n", TRY_VERSION);
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
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(16 << 20));

	if (try_buf_read_fd(&input, 0, MAX_HOOK_INPUT) < 0 ||
	    try_updates_parse(&updates, &nr, input.ptr, input.len) < 0 ||
	    try_repo_open(&repo, NULL, TRY_REPO_HOOK) < 0 ||
	    try_config_load(&cfg, repo) < 0) {
		try_buf_addf(&msg, "no lane events recorded: %s",
			     try_error_last());
		rc = fail(msg.ptr);
		goto done;
	}
	lines = try_xcalloc(nr ? nr : 1, sizeof(*lines));
	try_identity_pusher(&pusher, &cfg);
	/* the lanes as pre-receive judged them: .lanes before the push */
	for (i = 0; i < nr; i++) {
		char *warning = NULL;

		if (strcmp(updates[i].ref, cfg.trunk_ref))
			continue;
		if (try_lanespolicy_load_at(&cfg, repo,
					    try_oid_is_zero(&updates[i].old) ?
					    NULL : &updates[i].old,
					    cfg.trunk_ref, &warning) < 0) {
			try_buf_addf(&msg, "no lane events recorded: %s",
				     try_error_last());
			rc = fail(msg.ptr);
			goto done;
		}
		free(warning); /* pre-receive said it */
		break;
	}
	for (i = 0; i < nr; i++) {
		if (!strncmp(updates[i].ref, TRY_HOLD_REFS,
			     strlen(TRY_HOLD_REFS))) {
			if (hold_event(&lines[nlines], repo, &updates[i],
				       pusher) < 0)
				goto event_fail;
			if (lines[nlines].len)
				nlines++;
			continue;
		}
		if (!strncmp(updates[i].ref, TRY_DEPLOY_REFS,
			     strlen(TRY_DEPLOY_REFS))) {
			if (try_oid_is_zero(&updates[i].new))
				continue;
			if (deploy_line(&lines[nlines], repo, pusher,
					&updates[i]) < 0)
				goto event_fail;
			nlines++;
			continue;
		}
		if (strcmp(updates[i].ref, cfg.trunk_ref) ||
		    try_oid_is_zero(&updates[i].new))
			continue;
		if (!classifier) {
			if (try_classifier_new(&classifier, repo, &cfg) < 0 ||
			    try_holds_load(&holds, repo, TRY_HOLD_REFS) < 0)
				goto event_fail;
			try_events_repository(&repository, repo);
			fix = try_events_push_option("lanes.fix");
		}
		{
			struct try_event ev;
			const struct try_hold *h;

			memset(&ev, 0, sizeof(ev));
			ev.repository = try_xstrdup(repository);
			ev.pusher = try_xstrdup(pusher);
			ev.fix = fix;
			if (try_event_stamp(&ev) < 0 ||
			    try_event_build(&ev, repo, classifier, &updates[i],
					    updates, nr,
					    TRY_EVENT_MAX_COMMITS) < 0) {
				try_event_release(&ev);
				goto event_fail;
			}
			/* a fix says which hold it passed */
			h = fix && ev.lane != TRY_LANE_NONE ?
			    try_holds_blocking(&holds, ev.lane) : NULL;
			if (h) {
				ev.passed_lane = try_hold_scope_key(h->scope);
				git_oid_cpy(&ev.passed_hold, &h->id);
				ev.passed_by = h->who;
			}
			if (try_event_to_json(&lines[nlines], &ev) < 0) {
				try_event_release(&ev);
				goto event_fail;
			}
			try_event_release(&ev);
			nlines++;
		}
		continue;
event_fail:
		try_buf_reset(&lines[nlines]);
		try_buf_reset(&msg);
		try_buf_addf(&msg, "%s: no lane event recorded: %s",
			     updates[i].ref, try_error_last());
		rc = fail(msg.ptr);
	}
	/* queue changes: their events, as the referee saw them */
	for (i = 0; i < nr; i++) {
		struct try_queue_update up;

		if (try_policy_ref_kind(&cfg, updates[i].ref) != TRY_REF_QUEUE)
			continue;
		if (try_queue_check(&up, repo, &cfg, &updates[i], NULL, 0) < 0 ||
		    try_queue_events(&lines, &nlines, repo, pusher, &up) < 0) {
			try_buf_reset(&msg);
			try_buf_addf(&msg, "%s: no queue event recorded: %s",
				     updates[i].ref, try_error_last());
			rc = fail(msg.ptr);
		}
		try_queue_update_release(&up);
	}
	if (!nlines)
		goto done;

	/*
	 * Journal and spool under the journal's lock, so that every webhook
	 * gets the events in journal order.
	 */
	if (try_events_record(repo, &cfg, lines, nlines, record_failed,
			      NULL) < 0)
		rc = 128;

	for (i = 0; i < nr; i++)
		if (!strncmp(updates[i].ref, TRY_DEPLOY_REFS,
			     strlen(TRY_DEPLOY_REFS)) &&
		    !try_oid_is_zero(&updates[i].new))
			deploy_moves_queue(repo, &cfg, &updates[i], pusher);

	/*
	 * Deliver what waits for each webhook, ours last, within
	 * lanes.webhookTimeout: what is not taken stays for the next push.
	 */
	if (cfg.webhooks.nr) {
		int64_t deadline = try_now_ms() +
				   (int64_t)cfg.webhook_timeout * 1000;

		curl_global_init(CURL_GLOBAL_DEFAULT);
		for (j = 0; j < cfg.webhooks.nr; j++)
			deliver(repo, &cfg, cfg.webhooks.items[j], deadline);
		curl_global_cleanup();
	}
done:
	for (i = 0; i < nlines; i++)
		try_buf_release(&lines[i]);
	free(lines);
	free(pusher);
	free(repository);
	try_buf_release(&msg);
	try_updates_free(updates, nr);
	try_buf_release(&input);
	try_classifier_free(classifier);
	try_holds_release(&holds);
	try_config_release(&cfg);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}
