/*
 * git-lanes: the deploy lane of a range of commits, with the classifier the
 * server's hook uses.  `git lanes` shows what the next push holds;
 * `git lanes <deployed>..main` what the next deploy holds.
 *
 * Exit codes: 0 shown, 128 error, 129 usage.
 */
#include "libtry/buf.h"
#include "libtry/classify.h"
#include "libtry/cockpit.h"
#include "libtry/config.h"
#include "libtry/deploy.h"
#include "libtry/error.h"
#include "libtry/events.h"
#include "libtry/hold.h"
#include "libtry/http.h"
#include "libtry/identity.h"
#include "libtry/journal.h"
#include "libtry/lanespolicy.h"
#include "libtry/next.h"
#include "libtry/repo.h"
#include "libtry/policy.h"
#include "libtry/queue.h"
#include "libtry/report.h"
#include "libtry/serve.h"
#include "libtry/walk.h"

#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: git lanes [--json] [--timeout=<seconds>] [<revision range>...]\n"
	"   or: git lanes policy\n"
	"   or: git lanes log [-n <n>] [--json] [--type <type>] [--lane <lane>]\n"
	"                     [--env <name>] [--since <YYYY-MM-DD>]\n"
	"   or: git lanes hold <code|config|dark|all> -m <reason> [--force]\n"
	"   or: git lanes release <code|config|dark|all>\n"
	"   or: git lanes status [--remote]\n"
	"   or: git lanes flush\n"
	"   or: git lanes deployed <code|config> [<commit>] [--env <name>]\n"
	"                          [-m <note>] [--rollback] [--fix]\n"
	"                          [-F <file>] [--force -m <why>] [--no-fetch]\n"
	"   or: git lanes next [--env <name>] [--json]\n"
	"   or: git lanes queue <action> [--lane code|config] ... (docs/train.md)\n"
	"   or: git lanes serve [--listen <addr:port>] [--timeout <s>] <repo>...\n"
	"\n"
	"Shows the deploy lane (DARK, CONFIG, CODE) of every commit in the\n"
	"range and of the range as a whole.  Default range: the trunk's\n"
	"remote-tracking branch ..HEAD (what you are about to push).\n"
	"\n"
	"    --json    one JSON object: {\"lane\",\"reason\",\"commits\":[{\"id\",\n"
	"              \"lane\",\"reason\",\"subject\",\"author\"}]}\n"
	"    --timeout=<seconds>  give up (exit 128) when classifying takes\n"
	"              longer, as the server hook does at trunk.timeout\n"
	"\n"
	"    policy    every lane setting in effect and where it comes from:\n"
	"              git config, the .lanes file of the trunk, or default\n"
	"              (exit 1 when .lanes is refused)\n"
	"    log       the server's history: pushes, holds, releases, deploys,\n"
	"              rollbacks and queue changes, newest first (20 events\n"
	"              unless -n); --json: an array of them\n"
	"    hold      stops a lane: the server rejects trunk updates of it\n"
	"              (all: of every lane) unless pushed with -o lanes.fix;\n"
	"              --force replaces a hold that is there\n"
	"    release   lifts the hold on a lane\n"
	"    status    the holds (--remote: fetched from the remote first)\n"
	"              and, in the server's repository, the webhook spool\n"
	"    flush     delivers the events waiting for webhooks, in order\n"
	"    deployed  records that a lane of a trunk commit (default: the\n"
	"              tip) is live in an environment (default: production,\n"
	"              lanes.defaultEnv); see docs/deploys.md.  In a clone\n"
	"              it fetches first (--no-fetch: as last fetched)\n"
	"    next      what each lane can ship now, and where it stops\n"
	"    queue, q  the push train: 'git lanes queue -h'\n"
	"    serve     the cockpit: a web page, /api/ and /metrics for the\n"
	"              server repositories (default 127.0.0.1:8080; see\n"
	"              docs/cockpit.md)\n"
	"\n"
	"In a clone, hold and release push to the remote (try.remote, default\n"
	"origin); in the server's bare repository they write the ref there.\n"
	"A revision named like a command goes after '--'.\n"
	"\n"
	"exit codes: 0 shown or done, 1 refused (a hold is there, the server\n"
	"said no), 128 error (flush: events still waiting), 129 usage\n";

struct entry {
	struct try_commit_lane cl;
	const char *subject; /* borrowed from the walk */
	const char *author;
};

struct lanes {
	struct entry *items;
	size_t nr, alloc;
	struct try_lane_tally tally;
};

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "git-lanes: %s '%s'\n", what, arg);
	fputs(usage_text, stderr);
	return 129;
}

static int add_rev(struct try_walk *walk, git_repository *repo,
		   const char *arg)
{
	git_revspec spec;
	git_object *from = NULL, *to = NULL;
	int hide = 0, ret = -1;

	if (arg[0] == '^') {
		hide = 1;
		arg++;
	}
	if (git_revparse(&spec, repo, arg) < 0) {
		try_error_set("bad revision '%s'", arg);
		return -1;
	}
	if (spec.flags & GIT_REVSPEC_MERGE_BASE) {
		try_error_set("'%s': symmetric ranges (...) are not supported",
			      arg);
		goto done;
	}
	if ((spec.flags & GIT_REVSPEC_RANGE) && hide) {
		try_error_set("bad revision '^%s'", arg);
		goto done;
	}
	if (git_object_peel(&from, spec.from, GIT_OBJECT_COMMIT) < 0 ||
	    (spec.to && git_object_peel(&to, spec.to, GIT_OBJECT_COMMIT) < 0)) {
		try_error_set("'%s' is not a commit", arg);
		goto done;
	}
	if (spec.flags & GIT_REVSPEC_RANGE)
		ret = try_walk_push(walk, git_object_id(to)) < 0 ||
		      try_walk_hide(walk, git_object_id(from)) < 0 ? -1 : 0;
	else if (hide)
		ret = try_walk_hide(walk, git_object_id(from));
	else
		ret = try_walk_push(walk, git_object_id(from));
done:
	git_object_free(from);
	git_object_free(to);
	git_object_free(spec.from);
	git_object_free(spec.to);
	return ret;
}

static int default_range(struct try_walk *walk, git_repository *repo,
			 const struct try_config *cfg)
{
	struct try_buf ref = TRY_BUF_INIT;
	git_oid upstream, head;
	int ret = -1;

	try_buf_addf(&ref, "refs/remotes/%s/%s", cfg->remote, cfg->trunk_branch);
	if (try_repo_ref_commit(&upstream, repo, ref.ptr) < 0) {
		try_error_set("no remote-tracking branch '%s/%s' to compare "
			      "with; give a range, e.g. 'git lanes A..B'",
			      cfg->remote, cfg->trunk_branch);
		goto done;
	}
	if (git_reference_name_to_id(&head, repo, "HEAD") < 0) {
		try_error_set("HEAD does not point at a commit yet");
		goto done;
	}
	if (try_walk_push(walk, &head) < 0 ||
	    try_walk_hide(walk, &upstream) < 0)
		goto done;
	ret = 0;
done:
	try_buf_release(&ref);
	return ret;
}

static int collect(struct lanes *out, struct try_classifier *c,
		   struct try_walk *walk, int timeout)
{
	int64_t deadline = timeout ? try_now_ms() + (int64_t)timeout * 1000 : 0;
	size_t i, n;

	if (try_walk_run(walk) < 0)
		return -1;
	n = try_walk_count(walk);
	out->items = try_xcalloc(n ? n : 1, sizeof(*out->items));
	out->alloc = n;
	for (i = 0; i < n; i++) {
		const struct try_walk_commit *wc = try_walk_get(walk, i);
		struct entry *e = &out->items[i];

		/* the hook's deadline logic (policy.c), here on request */
		if (deadline && try_now_ms() > deadline) {
			try_error_set("deadline of %d s passed (--timeout)",
				      timeout);
			return -1;
		}
		if (try_walk_classify(&e->cl, walk, c, i) < 0)
			return -1;
		out->nr++;
		try_lane_tally_add(&out->tally, &e->cl);
		e->subject = wc->subject;
		e->author = wc->author;
	}
	return 0;
}

static void print_human(const struct lanes *l)
{
	struct try_buf b = TRY_BUF_INIT;
	const char *reason;
	enum try_lane lane = try_lane_tally_lane(&l->tally, &reason);
	size_t i;

	try_buf_addf(&b, "%s: %s (%zu commit%s)\n", try_lane_name(lane), reason,
		     l->nr, l->nr == 1 ? "" : "s");
	fwrite(b.ptr, 1, b.len, stdout);
	for (i = 0; i < l->nr; i++) {
		try_buf_reset(&b);
		try_report_commit_line(&b, &l->items[i].cl.id,
				       l->items[i].cl.lane, l->items[i].subject);
		try_buf_addch(&b, '\n');
		fwrite(b.ptr, 1, b.len, stdout);
	}
	try_buf_release(&b);
}

static int print_json(const struct lanes *l)
{
	const char *reason;
	enum try_lane lane = try_lane_tally_lane(&l->tally, &reason);
	json_t *root = json_object(), *commits = json_array();
	struct try_buf b = TRY_BUF_INIT;
	size_t i;
	int ret;

	json_object_set_new(root, "lane", json_string(try_lane_key(lane)));
	json_object_set_new(root, "reason", json_string(reason));
	for (i = 0; i < l->nr; i++) {
		const struct entry *e = &l->items[i];
		char hex[GIT_OID_HEXSZ + 1];
		json_t *c = json_object();

		git_oid_tostr(hex, sizeof(hex), &e->cl.id);
		try_buf_reset(&b);
		try_commit_lane_reason(&b, &e->cl);
		json_object_set_new(c, "id", json_string(hex));
		json_object_set_new(c, "lane", json_string(try_lane_key(e->cl.lane)));
		json_object_set_new(c, "reason", try_report_json_string(b.ptr));
		json_object_set_new(c, "subject", try_report_json_string(e->subject));
		json_object_set_new(c, "author", try_report_json_string(e->author));
		json_array_append_new(commits, c);
	}
	json_object_set_new(root, "commits", commits);
	ret = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(root);
	try_buf_release(&b);
	if (ret < 0)
		try_error_set("cannot write JSON");
	return ret;
}

/*
 * Subcommands: holds, the deploy log and the webhook spool.  They work on
 * the server's repository (the journal and the spool live there, holds are
 * refs there) or, for holds, from a clone through its remote.
 */

static int sub_usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "git-lanes: %s\n", msg);
	fputs(usage_text, stderr);
	return 129;
}

static int sub_fail(void)
{
	fprintf(stderr, "git-lanes: %s\n", try_error_last());
	return 128;
}

/* Opens the repository and its configuration for a subcommand. */
static int sub_open(git_repository **repo, struct try_config *cfg)
{
	if (try_repo_open(repo, NULL, 0) < 0 || try_config_load(cfg, *repo) < 0)
		return -1;
	return 0;
}

static int parse_scope(enum try_hold_scope *out, const char *arg)
{
	if (try_hold_scope_parse(out, arg) < 0) {
		fprintf(stderr, "git-lanes: no lane '%s': hold code, config, "
			"dark or all\n", arg);
		return -1;
	}
	return 0;
}

/*
 * In the bare repository `git lanes hold/release` moves the ref itself, so
 * it records the event post-receive would have recorded, and delivers it.
 */
static int record_hold(git_repository *repo, const struct try_config *cfg,
		       enum try_hold_scope scope, const git_oid *old,
		       const git_oid *new, const char *who)
{
	struct try_buf line = TRY_BUF_INIT;
	int64_t deadline = try_now_ms() + (int64_t)cfg->webhook_timeout * 1000;
	size_t k;
	int ret = -1;

	if (try_hold_event(&line, repo, scope, old, new, who) < 0 ||
	    try_events_record(repo, cfg, &line, 1, NULL, NULL) < 0)
		goto done;
	for (k = 0; k < cfg->webhooks.nr; k++) {
		struct try_delivery d = TRY_DELIVERY_INIT;
		if (try_webhook_flush(&d, repo, cfg, cfg->webhooks.items[k],
				      deadline) == 0 && d.error && d.waiting)
			fprintf(stderr, "git-lanes: warning: %s; the event "
				"waits in the spool ('git lanes flush')\n",
				d.error);
		try_delivery_release(&d);
	}
	ret = 0;
done:
	try_buf_release(&line);
	return ret;
}

/* The hold refs/lanes/holds/<scope> names now, or zero. */
static void hold_ref_id(git_oid *out, git_repository *repo,
			enum try_hold_scope scope)
{
	struct try_buf name = TRY_BUF_INIT;

	memset(out, 0, sizeof(*out));
	try_buf_addf(&name, "%s%s", TRY_HOLD_REFS, try_hold_scope_key(scope));
	if (git_reference_name_to_id(out, repo, name.ptr) < 0) {
		memset(out, 0, sizeof(*out));
		git_error_clear();
	}
	try_buf_release(&name);
}

/* git lanes hold <lane> -m <reason> [--force] */
static int cmd_hold(int argc, char **argv)
{
	git_repository *repo = NULL;
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_holds holds = TRY_HOLDS_INIT;
	struct try_hold hold;
	struct try_buf b = TRY_BUF_INIT, prefix = TRY_BUF_INIT;
	const char *lane = NULL, *reason = NULL;
	const struct try_hold *old = NULL;
	enum try_hold_scope scope;
	char *who = NULL;
	git_oid id, old_id;
	int force = 0, i, rc = 128, bare;
	size_t k;

	memset(&hold, 0, sizeof(hold));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-m") || !strcmp(argv[i], "--message")) {
			if (++i >= argc)
				return sub_usage("-m needs a reason");
			reason = argv[i];
		} else if (!strncmp(argv[i], "--message=", 10)) {
			reason = argv[i] + 10;
		} else if (!strncmp(argv[i], "-m", 2)) {
			reason = argv[i] + 2;
		} else if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force")) {
			force = 1;
		} else if (argv[i][0] == '-') {
			return usage_error("unknown option", argv[i]);
		} else if (!lane) {
			lane = argv[i];
		} else {
			return usage_error("too many arguments", argv[i]);
		}
	}
	if (!lane)
		return sub_usage("hold which lane? code, config, dark or all");
	if (!reason || !reason[strspn(reason, " \t\n")])
		return sub_usage("a hold needs a reason: -m \"<reason>\"");
	if (parse_scope(&scope, lane) < 0)
		return 129;

	if (sub_open(&repo, &cfg) < 0)
		goto fail;
	bare = git_repository_is_bare(repo);
	if (!force) {
		/* say who holds it already, rather than a refused push */
		if (bare) {
			try_buf_adds(&prefix, TRY_HOLD_REFS);
		} else {
			if (try_holds_fetch(repo, cfg.remote) < 0)
				goto fail;
			try_buf_addf(&prefix, "%s%s/", TRY_HOLD_REMOTE_REFS,
				     cfg.remote);
		}
		if (try_holds_load(&holds, repo, prefix.ptr) < 0)
			goto fail;
		for (k = 0; k < holds.nr; k++)
			if (holds.items[k].scope == scope)
				old = &holds.items[k];
		if (old) {
			try_buf_addf(&b, "%s is held already: ",
				     try_hold_scope_key(scope));
			try_hold_describe(&b, old);
			fprintf(stderr, "git-lanes: %s\n", b.ptr);
			fprintf(stderr, "git-lanes: --force replaces the "
				"hold\n");
			rc = 1;
			goto done;
		}
	}
	/*
	 * The bare repository is the server: the hold is the local user's.
	 * A clone names itself; the server's post-receive replaces that
	 * claim with the authenticated pusher (try_hold_vouch()).
	 */
	if (bare)
		try_identity_pusher(&who, &cfg);
	else
		try_hold_who(&who, repo);
	hold_ref_id(&old_id, repo, scope);
	if (try_hold_commit(&id, repo, scope, reason, who,
			    (int64_t)time(NULL)) < 0)
		goto fail;
	switch (try_hold_set(repo, cfg.remote, scope, &id, force)) {
	case 0:
		if (bare && record_hold(repo, &cfg, scope, &old_id, &id,
					who) < 0)
			goto fail;
		/* show the hold as the server recorded it */
		if (!bare && try_holds_fetch(repo, cfg.remote) == 0) {
			try_buf_reset(&prefix);
			try_buf_addf(&prefix, "%s%s/%s", TRY_HOLD_REMOTE_REFS,
				     cfg.remote, try_hold_scope_key(scope));
			if (git_reference_name_to_id(&id, repo,
						     prefix.ptr) < 0)
				git_error_clear();
		}
		break;
	case TRY_HOLD_EREJECTED:
		fprintf(stderr, "git-lanes: %s\n", try_error_last());
		rc = 1;
		goto done;
	default:
		goto fail;
	}
	{
		git_commit *c = NULL;
		if (git_commit_lookup(&c, repo, &id) == 0) {
			hold.scope = scope;
			try_hold_parse(&hold, c);
			try_buf_reset(&b);
			try_hold_describe(&b, &hold);
			if (bare)
				printf("%s: %s\n", try_hold_scope_key(scope),
				       b.ptr);
			else
				printf("%s on %s: %s\n",
				       try_hold_scope_key(scope), cfg.remote,
				       b.ptr);
		}
		git_commit_free(c);
	}
	rc = 0;
	goto done;
fail:
	rc = sub_fail();
done:
	try_hold_release(&hold);
	free(who);
	try_buf_release(&b);
	try_buf_release(&prefix);
	try_holds_release(&holds);
	try_config_release(&cfg);
	git_repository_free(repo);
	return rc;
}

/* git lanes release <lane> */
static int cmd_release(int argc, char **argv)
{
	git_repository *repo = NULL;
	struct try_config cfg = TRY_CONFIG_INIT;
	enum try_hold_scope scope;
	git_oid old_id, zero;
	char *who = NULL;
	int rc = 128;

	if (argc != 2 || argv[1][0] == '-')
		return sub_usage("release which lane? code, config, dark or all");
	if (parse_scope(&scope, argv[1]) < 0)
		return 129;
	if (sub_open(&repo, &cfg) < 0)
		goto fail;
	hold_ref_id(&old_id, repo, scope);
	memset(&zero, 0, sizeof(zero));
	switch (try_hold_set(repo, cfg.remote, scope, NULL, 0)) {
	case 0:
		if (git_repository_is_bare(repo)) {
			try_identity_pusher(&who, &cfg);
			if (record_hold(repo, &cfg, scope, &old_id, &zero,
					who) < 0)
				goto fail;
		}
		if (git_repository_is_bare(repo))
			printf("%s: released\n", try_hold_scope_key(scope));
		else
			printf("%s on %s: released\n",
			       try_hold_scope_key(scope), cfg.remote);
		rc = 0;
		goto done;
	case TRY_ENOTFOUND:
	case TRY_HOLD_EREJECTED:
		fprintf(stderr, "git-lanes: %s\n", try_error_last());
		rc = 1;
		goto done;
	default:
		break;
	}
fail:
	rc = sub_fail();
done:
	free(who);
	try_config_release(&cfg);
	git_repository_free(repo);
	return rc;
}

/* git lanes status [--remote] */
static int cmd_status(int argc, char **argv)
{
	git_repository *repo = NULL;
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_holds holds = TRY_HOLDS_INIT;
	struct try_spool_info *spools = NULL;
	struct try_buf prefix = TRY_BUF_INIT, b = TRY_BUF_INIT;
	size_t nspools = 0, k;
	int remote = 0, i, s, rc = 128, bare;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--remote"))
			remote = 1;
		else
			return usage_error("unknown option", argv[i]);
	}
	if (sub_open(&repo, &cfg) < 0)
		goto fail;
	bare = git_repository_is_bare(repo);
	if (bare) {
		try_buf_adds(&prefix, TRY_HOLD_REFS);
		printf("holds:\n");
	} else {
		if (remote && try_holds_fetch(repo, cfg.remote) < 0)
			goto fail;
		try_buf_addf(&prefix, "%s%s/", TRY_HOLD_REMOTE_REFS, cfg.remote);
		printf("holds on %s%s:\n", cfg.remote,
		       remote ? "" : " (as last fetched; --remote fetches)");
	}
	if (try_holds_load(&holds, repo, prefix.ptr) < 0)
		goto fail;
	for (s = 0; s < TRY_HOLD_SCOPES; s++) {
		const struct try_hold *h = NULL;
		for (k = 0; k < holds.nr; k++)
			if ((int)holds.items[k].scope == s)
				h = &holds.items[k];
		try_buf_reset(&b);
		if (h)
			try_hold_describe(&b, h);
		else
			try_buf_adds(&b, "open");
		printf("  %-7s %s\n", try_hold_scope_key((enum try_hold_scope)s),
		       b.ptr);
	}
	if (bare) {
		if (try_spool_list(&spools, &nspools, repo, &cfg) < 0)
			goto fail;
		for (k = 0; k < cfg.webhooks.nr; k++) {
			size_t waiting = 0, j;
			char *shown = try_http_url_display(cfg.webhooks.items[k]);
			for (j = 0; j < nspools; j++)
				if (!strcmp(spools[j].url, cfg.webhooks.items[k]))
					waiting = spools[j].waiting;
			if (!k)
				printf("webhooks:\n");
			printf("  %s: %zu event%s waiting\n", shown, waiting,
			       waiting == 1 ? "" : "s");
			free(shown);
		}
		for (k = 0; k < nspools; k++) {
			char *shown;
			if (spools[k].configured || !spools[k].waiting)
				continue;
			shown = try_http_url_display(spools[k].url);
			printf("  %s: %zu event%s kept, no longer in "
			       "lanes.webhook\n", shown, spools[k].waiting,
			       spools[k].waiting == 1 ? "" : "s");
			free(shown);
		}
	}
	rc = 0;
	goto done;
fail:
	rc = sub_fail();
done:
	try_spool_info_free(spools, nspools);
	try_buf_release(&b);
	try_buf_release(&prefix);
	try_holds_release(&holds);
	try_config_release(&cfg);
	git_repository_free(repo);
	return rc;
}

struct log_state {
	json_t *events; /* oldest first */
	size_t bad;
	/* filters: NULL or "" for none */
	const char *type, *lane, *env, *since;
};

static int event_matches(const struct log_state *st, json_t *ev)
{
	const char *type = json_string_value(json_object_get(ev, "type"));
	const char *v;

	/* journals from before event types hold pushes only */
	if (st->type && strcmp(st->type, type ? type : "push"))
		return 0;
	v = json_string_value(json_object_get(ev, "lane"));
	if (st->lane && (!v || strcasecmp(st->lane, v)))
		return 0;
	v = json_string_value(json_object_get(ev, "env"));
	if (st->env && (!v || strcmp(st->env, v)))
		return 0;
	v = json_string_value(json_object_get(ev, "time"));
	/* ISO times compare as strings */
	if (st->since && (!v || strcmp(v, st->since) < 0))
		return 0;
	return 1;
}

static int collect_event(const char *line, size_t len, void *payload)
{
	struct log_state *st = payload;
	json_t *ev = json_loadb(line, len, 0, NULL);

	if (!json_is_object(ev)) {
		json_decref(ev);
		st->bad++;
		return 0;
	}
	if (!event_matches(st, ev)) {
		json_decref(ev);
		return 0;
	}
	json_array_append_new(st->events, ev);
	return 0;
}

static const char *jget(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* "2024-05-01T12:00:00.123Z" -> "2024-05-01 12:00:00 UTC" */
static void add_event_time(struct try_buf *b, const char *time)
{
	if (strlen(time) >= 19 && time[10] == 'T') {
		try_buf_add(b, time, 10);
		try_buf_addch(b, ' ');
		try_buf_add(b, time + 11, 8);
		try_buf_adds(b, " UTC");
	} else {
		try_report_add_safe(b, time, strlen(time), 40);
	}
}

/* A deploy or rollback event in one line, its note on the next. */
static void print_deploy_event(json_t *ev, const char *type)
{
	struct try_buf b = TRY_BUF_INIT;
	const char *note = jget(ev, "note"), *from = jget(ev, "from");
	json_int_t count = json_integer_value(json_object_get(ev, "count"));

	add_event_time(&b, jget(ev, "time"));
	try_buf_addch(&b, ' ');
	try_report_add_safe(&b, jget(ev, "pusher"), strlen(jget(ev, "pusher")),
			    60);
	try_buf_addch(&b, ' ');
	try_buf_adds(&b, type);
	try_buf_addch(&b, ' ');
	try_report_add_safe(&b, jget(ev, "lane"), strlen(jget(ev, "lane")), 20);
	try_buf_adds(&b, " in ");
	try_report_add_safe(&b, jget(ev, "env"), strlen(jget(ev, "env")), 64);
	try_buf_addf(&b, ", %.7s%s%.7s, %lld commit%s", from, *from ? ".." : "",
		     jget(ev, "to"), (long long)count, count == 1 ? "" : "s");
	if (json_is_true(json_object_get(ev, "forced")))
		try_buf_adds(&b, ", forced");
	if (json_is_true(json_object_get(ev, "fix")))
		try_buf_adds(&b, ", fix");
	try_buf_addch(&b, '\n');
	if (*note) {
		try_buf_adds(&b, "    ");
		try_report_add_safe(&b, note, strcspn(note, "\n"), 200);
		try_buf_addch(&b, '\n');
	}
	fwrite(b.ptr, 1, b.len, stdout);
	try_buf_release(&b);
}

/* The rest of the line of a hold or release event; 0 for other kinds. */
static int print_hold_event(struct try_buf *b, json_t *ev)
{
	const char *type = jget(ev, "type"), *r = jget(ev, "reason");
	const char *by = jget(ev, "held_by");
	int hold = !strcmp(type, "hold");

	if (!hold && strcmp(type, "release"))
		return 0;
	try_buf_addf(b, " %s %s: ", hold ? "held" : "released",
		     jget(ev, "lane"));
	try_report_add_safe(b, r, strcspn(r, "\n"), 100);
	if (!hold && *by) {
		try_buf_adds(b, " (held by ");
		try_report_add_safe(b, by, strlen(by), 60);
		try_buf_adds(b, " since ");
		try_report_add_safe(b, jget(ev, "since"),
				    strlen(jget(ev, "since")), 30);
		try_buf_addch(b, ')');
	}
	try_buf_addch(b, '\n');
	return 1;
}

static void print_event(json_t *ev)
{
	struct try_buf b = TRY_BUF_INIT;
	const char *time = jget(ev, "time"), *lane = jget(ev, "lane");
	json_t *commits = json_object_get(ev, "commits");
	json_int_t count = json_integer_value(json_object_get(ev, "count"));
	const char *type = jget(ev, "type");
	enum try_lane l;
	size_t i, shown = 0;

	if (!strcmp(type, "deploy") || !strcmp(type, "rollback")) {
		print_deploy_event(ev, type);
		return;
	}
	/* "2024-05-01T12:00:00.123Z" -> "2024-05-01 12:00:00 UTC" */
	if (strlen(time) >= 19 && time[10] == 'T') {
		try_buf_add(&b, time, 10);
		try_buf_addch(&b, ' ');
		try_buf_add(&b, time + 11, 8);
		try_buf_adds(&b, " UTC");
	} else {
		try_report_add_safe(&b, time, strlen(time), 40);
	}
	try_buf_addch(&b, ' ');
	try_report_add_safe(&b, jget(ev, "pusher"), strlen(jget(ev, "pusher")),
			    60);
	if (print_hold_event(&b, ev)) {
		fwrite(b.ptr, 1, b.len, stdout);
		try_buf_release(&b);
		return;
	}
	if (!strcmp(jget(ev, "type"), "queue")) {
		/* the train: its own line, as a chat shows it */
		try_buf_adds(&b, " queue: ");
		try_report_add_safe(&b, jget(ev, "text"),
				    strlen(jget(ev, "text")), 200);
		try_buf_addch(&b, '\n');
		fwrite(b.ptr, 1, b.len, stdout);
		try_buf_release(&b);
		return;
	}
	try_buf_addf(&b, " %s (%s), %lld commit%s",
		     try_lane_parse(&l, lane) == 0 ? try_lane_name(l) : "?",
		     jget(ev, "reason"), (long long)count,
		     count == 1 ? "" : "s");
	try_buf_addf(&b, ", %.7s..%.7s", jget(ev, "old"), jget(ev, "new"));
	if (json_is_true(json_object_get(ev, "fix")))
		try_buf_adds(&b, ", fix");
	if (json_is_object(json_object_get(ev, "hold"))) {
		json_t *h = json_object_get(ev, "hold");
		const char *by = jget(h, "held_by");

		try_buf_addf(&b, " passing the hold on %s (held by ",
			     jget(h, "lane"));
		try_report_add_safe(&b, by, strlen(by), 60);
		try_buf_addch(&b, ')');
	}
	try_buf_addch(&b, '\n');
	for (i = 0; i < json_array_size(commits) && shown < 10; i++, shown++) {
		json_t *c = json_array_get(commits, i);
		const char *subject = jget(c, "subject");

		try_buf_addf(&b, "    %.7s %-6s ", jget(c, "id"),
			     try_lane_parse(&l, jget(c, "lane")) == 0 ?
			     try_lane_name(l) : "?");
		try_report_add_safe(&b, subject, strlen(subject), 100);
		try_buf_addch(&b, '\n');
	}
	if (count > (json_int_t)shown)
		try_buf_addf(&b, "    ... and %lld more\n",
			     (long long)(count - (json_int_t)shown));
	fwrite(b.ptr, 1, b.len, stdout);
	try_buf_release(&b);
}

/* git lanes log [-n <n>] [--json] */
static int cmd_log(int argc, char **argv)
{
	git_repository *repo = NULL;
	struct try_config cfg = TRY_CONFIG_INIT;
	struct log_state st = { NULL, 0, NULL, NULL, NULL, NULL };
	json_t *kept = NULL;
	char *path = NULL, *end;
	size_t max = 20, i;
	int json = 0, rc = 128, ret;
	long n;

	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i], *v = NULL;

		if (!strcmp(a, "--json")) {
			json = 1;
			continue;
		} else if (!strncmp(a, "--type=", 7) || !strncmp(a, "--lane=", 7) ||
			   !strncmp(a, "--env=", 6) || !strncmp(a, "--since=", 8) ||
			   !strcmp(a, "--type") || !strcmp(a, "--lane") ||
			   !strcmp(a, "--env") || !strcmp(a, "--since")) {
			const char *eq = strchr(a, '=');
			const char **slot = a[2] == 't' ? &st.type :
					    a[2] == 'l' ? &st.lane :
					    a[2] == 'e' ? &st.env : &st.since;
			if (eq) {
				*slot = eq + 1;
			} else if (++i < (size_t)argc) {
				*slot = argv[i];
			} else {
				return usage_error("a value is missing for", a);
			}
			if (!**slot)
				return usage_error("empty value for", a);
			continue;
		} else if (!strcmp(a, "-n") || !strcmp(a, "--max-count")) {
			if (++i >= (size_t)argc)
				return sub_usage("-n needs a number");
			v = argv[i];
		} else if (!strncmp(a, "--max-count=", 12)) {
			v = a + 12;
		} else if (!strncmp(a, "-n", 2)) {
			v = a + 2;
		} else if (a[0] == '-' && a[1] >= '0' && a[1] <= '9') {
			v = a + 1;
		} else {
			return usage_error("unknown option", a);
		}
		n = strtol(v, &end, 10);
		if (!*v || *end || n < 0)
			return usage_error("not a number", v);
		max = (size_t)n;
	}
	if (sub_open(&repo, &cfg) < 0)
		goto fail;
	try_journal_path(&path, repo, &cfg);
	st.events = json_array();
	/* with filters every line is read: the last `max` matches are kept */
	ret = !max ? 0 : try_journal_tail(path, st.type || st.lane || st.env ||
					  st.since ? 0 : max, collect_event,
					  &st);
	if (json_array_size(st.events) > max) {
		kept = json_array();
		for (i = json_array_size(st.events) - max;
		     i < json_array_size(st.events); i++)
			json_array_append(kept, json_array_get(st.events, i));
		json_decref(st.events);
		st.events = kept;
		kept = NULL;
	}
	if (ret == TRY_ENOTFOUND) {
		fprintf(stderr, "git-lanes: %s: the server's post-receive hook "
			"writes it (git trunk install --server); run "
			"'git lanes log' there\n", try_error_last());
		rc = 128;
		goto done;
	}
	if (ret < 0)
		goto fail;
	if (st.bad)
		fprintf(stderr, "git-lanes: warning: %zu journal line%s "
			"skipped: not a JSON object\n", st.bad,
			st.bad == 1 ? "" : "s");
	if (json) {
		json_t *out = json_array();
		for (i = json_array_size(st.events); i-- > 0;)
			json_array_append(out, json_array_get(st.events, i));
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(out);
	} else {
		for (i = json_array_size(st.events); i-- > 0;)
			print_event(json_array_get(st.events, i));
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		try_error_set("cannot write output");
		goto fail;
	}
	rc = 0;
	goto done;
fail:
	rc = sub_fail();
done:
	json_decref(st.events);
	free(path);
	try_config_release(&cfg);
	git_repository_free(repo);
	return rc;
}

/* git lanes flush */
static int cmd_flush(int argc, char **argv)
{
	git_repository *repo = NULL;
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_spool_info *spools = NULL;
	size_t nspools = 0, k, left = 0;
	int rc = 128;

	if (argc > 1)
		return usage_error("unknown option", argv[1]);
	if (sub_open(&repo, &cfg) < 0 ||
	    try_spool_list(&spools, &nspools, repo, &cfg) < 0)
		goto fail;
	for (k = 0; k < nspools; k++) {
		struct try_delivery d = TRY_DELIVERY_INIT;
		char *shown = try_http_url_display(spools[k].url);

		if (!spools[k].configured) {
			if (spools[k].waiting)
				printf("%s: %zu event%s kept, no longer in "
				       "lanes.webhook\n", shown,
				       spools[k].waiting,
				       spools[k].waiting == 1 ? "" : "s");
			free(shown);
			continue;
		}
		if (try_webhook_flush(&d, repo, &cfg, spools[k].url, 0) < 0) {
			free(shown);
			try_delivery_release(&d);
			goto fail;
		}
		printf("%s: %zu delivered, %zu waiting\n", shown, d.delivered,
		       d.waiting);
		if (d.error && d.waiting)
			fprintf(stderr, "git-lanes: %s\n", d.error);
		left += d.waiting;
		free(shown);
		try_delivery_release(&d);
	}
	rc = left ? 128 : 0;
	goto done;
fail:
	rc = sub_fail();
done:
	try_spool_info_free(spools, nspools);
	try_config_release(&cfg);
	git_repository_free(repo);
	return rc;
}

static const char queue_usage[] =
	"usage: git lanes queue [status] [--lane <lane>] [--json]\n"
	"   or: git lanes queue join [<user>] [--with <user> | --before <user>]"
	" [-m <what>]\n"
	"   or: git lanes queue (leave | ready | good | deployed | done) "
	"[-m <note>]\n"
	"   or: git lanes queue uhoh -m <what is wrong>\n"
	"   or: git lanes queue (drive | kick) <user>\n"
	"\n"
	"The push train of a lane (code by default; --lane config): cars of\n"
	"lanes.carSize riders, the first car deploys, its first rider drives.\n"
	"join at the back (--with: in that user's car, --before: a car just\n"
	"before that user's), ready when your change is in the trunk, good\n"
	"when it is verified in production, uhoh to stop the train (holds the\n"
	"lane).  The driver (or lanes.holders) drives <user>, says deployed,\n"
	"done, and kicks.  In a clone each action fetches the queue and pushes\n"
	"it back (the server referees); in the bare repository it writes the\n"
	"ref.  Alias: git lanes q.\n"
	"\n"
	"exit codes: 0 done, 1 refused, 128 error, 129 usage\n";

static int queue_usage_error(const char *msg, const char *arg)
{
	if (arg)
		fprintf(stderr, "git-lanes: %s '%s'\n", msg, arg);
	else
		fprintf(stderr, "git-lanes: %s\n", msg);
	fputs(queue_usage, stderr);
	return 129;
}

static int queue_colour(void)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	return isatty(1) && !(no && *no) && !(term && !strcmp(term, "dumb"));
}

/* git lanes queue status: both lanes unless one is asked for. */
static int queue_status(git_repository *repo, const struct try_config *cfg,
			int have_lane, enum try_lane lane, int json)
{
	static const enum try_lane lanes[] = { TRY_LANE_CODE, TRY_LANE_CONFIG };
	struct try_holds holds = TRY_HOLDS_INIT;
	struct try_buf prefix = TRY_BUF_INIT, b = TRY_BUF_INIT;
	json_t *all = json_array();
	int bare = git_repository_is_bare(repo), fetched = 0, rc = 128;
	size_t i;

	for (i = 0; i < 2; i++) {
		struct try_queue q;
		const struct try_hold *h;

		if (have_lane && lanes[i] != lane)
			continue;
		if (try_queue_load(&q, repo, cfg, lanes[i], !fetched) < 0) {
			try_queue_release(&q);
			goto done;
		}
		if (!fetched) {
			if (bare)
				try_buf_adds(&prefix, TRY_HOLD_REFS);
			else
				try_buf_addf(&prefix, "%s%s/",
					     TRY_HOLD_REMOTE_REFS, cfg->remote);
			if (try_holds_load(&holds, repo, prefix.ptr) < 0) {
				try_queue_release(&q);
				goto done;
			}
			fetched = 1;
		}
		h = try_holds_blocking(&holds, lanes[i]);
		if (json)
			json_array_append_new(all, try_queue_status_json(&q, h));
		else
			try_queue_status_text(&b, &q, h, queue_colour());
		try_queue_release(&q);
	}
	if (json) {
		json_dumpf(have_lane ? json_array_get(all, 0) : all, stdout,
			   JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		fwrite(b.ptr, 1, b.len, stdout);
	}
	rc = 0;
done:
	json_decref(all);
	try_buf_release(&b);
	try_buf_release(&prefix);
	try_holds_release(&holds);
	return rc;
}

/* Delivers what the bare repository's queue change spooled. */
static void queue_flush(git_repository *repo, const struct try_config *cfg)
{
	int64_t deadline = try_now_ms() + (int64_t)cfg->webhook_timeout * 1000;
	size_t i;

	for (i = 0; i < cfg->webhooks.nr; i++) {
		struct try_delivery d = TRY_DELIVERY_INIT;
		if (try_webhook_flush(&d, repo, cfg, cfg->webhooks.items[i],
				      deadline) == 0 && d.waiting && d.error)
			fprintf(stderr, "git-lanes: warning: %s; events kept "
				"for 'git lanes flush'\n", d.error);
		try_delivery_release(&d);
	}
}

/* git lanes queue <action> ... */
static int cmd_queue(int argc, char **argv)
{
	git_repository *repo = NULL;
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_queue q;
	struct try_queue_result res = TRY_QUEUE_RESULT_INIT;
	struct try_queue_action a;
	struct try_buf b = TRY_BUF_INIT;
	enum try_lane lane = TRY_LANE_CODE;
	const char *verb = "status", *lane_arg = NULL;
	char *actor = NULL;
	int i, json = 0, rc = 128, ret, status;

	memset(&a, 0, sizeof(a));
	try_queue_init(&q, TRY_LANE_CODE);
	for (i = 1; i < argc; i++) {
		const char *o = argv[i], **v = NULL, *val = NULL;

		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			fputs(queue_usage, stdout);
			return 0;
		} else if (!strcmp(o, "--json")) {
			json = 1;
			continue;
		} else if (!strcmp(o, "--lane") || !strncmp(o, "--lane=", 7)) {
			v = &lane_arg;
		} else if (!strcmp(o, "-m") || !strcmp(o, "--message") ||
			   !strncmp(o, "--message=", 10)) {
			v = &a.note;
		} else if (!strcmp(o, "--with") || !strncmp(o, "--with=", 7)) {
			v = &a.with;
		} else if (!strcmp(o, "--before") ||
			   !strncmp(o, "--before=", 9)) {
			v = &a.before;
		} else if (o[0] == '-' && o[1] == 'm') {
			a.note = o + 2;
			continue;
		} else if (o[0] == '-') {
			return queue_usage_error("unknown option", o);
		} else if (i == 1) {
			verb = o;
			continue;
		} else if (!a.user) {
			a.user = o;
			continue;
		} else {
			return queue_usage_error("too many arguments", o);
		}
		val = strchr(o, '=');
		if (val && o[1] == '-') {
			val++;
		} else {
			if (++i >= argc)
				return queue_usage_error("a value is missing "
							 "after", o);
			val = argv[i];
		}
		*v = val;
	}
	if (lane_arg && try_queue_lane_parse(&lane, lane_arg) < 0) {
		fprintf(stderr, "git-lanes: no queue for lane '%s': code or "
			"config\n", lane_arg);
		return 129;
	}
	status = !strcmp(verb, "status");
	if (!status && try_queue_verb_parse(&a.verb, verb) < 0)
		return queue_usage_error("unknown queue action", verb);
	if (status && (a.user || a.note || a.with || a.before))
		return queue_usage_error("status takes only --lane and --json",
					 NULL);
	if (!status && json)
		return queue_usage_error("--json is for status", NULL);
	if ((a.with || a.before) && a.verb != TRY_QUEUE_JOIN)
		return queue_usage_error("--with and --before are for join",
					 NULL);
	if (!a.user && (a.verb == TRY_QUEUE_DRIVE ||
			a.verb == TRY_QUEUE_KICK) && !status)
		return queue_usage_error("whom? give a user", NULL);
	if (a.verb == TRY_QUEUE_UHOH && !status &&
	    (!a.note || !a.note[strspn(a.note, " \t")]))
		return queue_usage_error("uhoh needs -m \"<what is wrong>\"",
					 NULL);

	if (sub_open(&repo, &cfg) < 0)
		goto fail;
	if (status) {
		rc = queue_status(repo, &cfg, lane_arg != NULL, lane, json);
		if (rc)
			goto fail;
		goto done;
	}
	try_queue_whoami(&actor, repo, &cfg);
	a.actor = actor;
	ret = try_queue_change(&q, &res, repo, &cfg, lane, &a);
	if (ret == TRY_QUEUE_EREFUSED) {
		fprintf(stderr, "git-lanes: %s\n", try_error_last());
		rc = 1;
		goto done;
	}
	if (ret < 0)
		goto fail;
	try_queue_describe(&b, &q, &a, &res);
	printf("%s\n", b.ptr);
	if (git_repository_is_bare(repo))
		queue_flush(repo, &cfg);
	rc = 0;
	goto done;
fail:
	rc = sub_fail();
done:
	free(actor);
	try_buf_release(&b);
	try_queue_result_release(&res);
	try_queue_release(&q);
	try_config_release(&cfg);
	git_repository_free(repo);
	return rc;
}

static void serve_log(const char *msg)
{
	fprintf(stderr, "git-lanes: serve: %s\n", msg);
}

/* git lanes serve [--listen <addr:port>] [--timeout <s>] <repository>... */
static int cmd_serve(int argc, char **argv)
{
	struct try_cockpit **cockpits = NULL;
	struct try_serve *server = NULL;
	const char *listen = TRY_SERVE_DEFAULT_LISTEN;
	unsigned long timeout = 10;
	size_t n = 0, k;
	sigset_t sigs;
	char *end;
	int i, sig, rc = 128;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "--listen") && i + 1 < argc) {
			listen = argv[++i];
		} else if (!strncmp(argv[i], "--listen=", 9)) {
			listen = argv[i] + 9;
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			timeout = strtoul(argv[++i], &end, 10);
			if (!*argv[i] || *end || !timeout || timeout > 3600)
				return usage_error("not a timeout", argv[i]);
		} else {
			return usage_error("unknown option", argv[i]);
		}
	}
	if (i >= argc)
		return sub_usage("serve which repositories?");
	cockpits = try_xcalloc((size_t)(argc - i), sizeof(*cockpits));
	for (; i < argc; i++) {
		if (try_cockpit_open(&cockpits[n], argv[i]) < 0) {
			fprintf(stderr, "git-lanes: '%s': %s\n", argv[i],
				try_error_last());
			goto done;
		}
		for (k = 0; k < n; k++)
			if (!strcmp(try_cockpit_name(cockpits[k]),
				    try_cockpit_name(cockpits[n]))) {
				fprintf(stderr, "git-lanes: two repositories "
					"named '%s'\n",
					try_cockpit_name(cockpits[n]));
				n++;
				rc = 129;
				goto done;
			}
		n++;
	}
	/* read the journals and classify what waits before the first
	 * visitor comes, not while they wait */
	for (k = 0; k < n; k++) {
		json_t *state = NULL;
		if (try_cockpit_state(&state, cockpits[k], NULL) < 0) {
			fprintf(stderr, "git-lanes: '%s': %s\n",
				try_cockpit_name(cockpits[k]), try_error_last());
			goto done;
		}
		json_decref(state);
	}
	/* the signals are waited for here, not delivered to server threads */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (try_serve_start(&server, listen, cockpits, n, (unsigned)timeout,
			    serve_log) < 0)
		goto fail;
	printf("git-lanes: serving %zu repositor%s on port %u\n", n,
	       n == 1 ? "y" : "ies", try_serve_port(server));
	fflush(stdout);
	sigwait(&sigs, &sig);
	rc = 0;
	goto done;
fail:
	rc = sub_fail();
done:
	try_serve_stop(server);
	for (k = 0; k < n; k++)
		try_cockpit_free(cockpits[k]);
	free(cockpits);
	return rc;
}

/* The records and trunk `deployed` and `next` read: the server's own, or a
 * clone's copies of the remote's, fetched first. */
struct deploy_view {
	int bare;
	struct try_buf prefix;      /* of the deploy records */
	struct try_buf hold_prefix;
	git_oid tip;                /* the trunk */
};

static int deploy_view_open(struct deploy_view *v, git_repository *repo,
			    const struct try_config *cfg, int fetch)
{
	struct try_buf ref = TRY_BUF_INIT;
	int ret = -1;

	v->bare = git_repository_is_bare(repo);
	try_buf_init(&v->prefix);
	try_buf_init(&v->hold_prefix);
	if (v->bare) {
		try_buf_adds(&v->prefix, TRY_DEPLOY_REFS);
		try_buf_adds(&v->hold_prefix, TRY_HOLD_REFS);
		try_buf_adds(&ref, cfg->trunk_ref);
	} else {
		const char *args[] = { "fetch", "--quiet", "--no-tags",
				       cfg->remote, NULL };
		if (fetch && try_repo_git(repo, args, NULL) != 0) {
			try_error_set("cannot fetch '%s' (git fetch failed)",
				      cfg->remote);
			goto done;
		}
		if (fetch && (try_deploys_fetch(repo, cfg->remote) < 0 ||
			      try_holds_fetch(repo, cfg->remote) < 0))
			goto done;
		try_buf_addf(&v->prefix, "%s%s/", TRY_DEPLOY_REMOTE_REFS,
			     cfg->remote);
		try_buf_addf(&v->hold_prefix, "%s%s/", TRY_HOLD_REMOTE_REFS,
			     cfg->remote);
		try_buf_addf(&ref, "refs/remotes/%s/%s", cfg->remote,
			     cfg->trunk_branch);
	}
	if (try_repo_ref_commit(&v->tip, repo, ref.ptr) < 0) {
		try_error_set("no trunk '%s' to deploy from", ref.ptr);
		goto done;
	}
	ret = 0;
done:
	try_buf_release(&ref);
	return ret;
}

static void deploy_view_release(struct deploy_view *v)
{
	try_buf_release(&v->prefix);
	try_buf_release(&v->hold_prefix);
}

static int parse_env(const char *env)
{
	if (!try_deploy_env_valid(env)) {
		fprintf(stderr, "git-lanes: '%s' is not a valid environment "
			"name: letters, digits, '-', '_' and '.'\n", env);
		return -1;
	}
	return 0;
}

static void short_id(char *out, const git_oid *id)
{
	git_oid_tostr(out, 8, id);
}

static void print_failed(const char *msg, void *payload)
{
	fprintf(stderr, "git-lanes: %s\n", msg);
}

/* git lanes deployed <lane> [<commit>] [--env <name>] [-m <note>]
 * [--rollback] [--force] [--fix] */
static int cmd_deployed(int argc, char **argv)
{
	git_repository *repo = NULL;
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_classifier *classifier = NULL;
	struct try_holds holds = TRY_HOLDS_INIT;
	struct deploy_view v;
	struct try_deploy d, prev;
	const char *lane_arg = NULL, *rev = NULL, *env = NULL, *note = NULL;
	git_object *obj = NULL;
	char *pusher = NULL, *reason = NULL, *hint = NULL;
	char a[16], b[16];
	int i, rc = 128, has_prev = 0, ret, fetch = 1;
	struct try_buf notebuf = TRY_BUF_INIT;

	memset(&d, 0, sizeof(d));
	memset(&prev, 0, sizeof(prev));
	memset(&v, 0, sizeof(v));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-m") || !strcmp(argv[i], "--message")) {
			if (++i >= argc)
				return sub_usage("-m needs a note");
			note = argv[i];
		} else if (!strcmp(argv[i], "--env")) {
			if (++i >= argc)
				return sub_usage("--env needs a name");
			env = argv[i];
		} else if (!strncmp(argv[i], "--env=", 6)) {
			env = argv[i] + 6;
		} else if (!strcmp(argv[i], "--rollback")) {
			d.rollback = 1;
		} else if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f")) {
			d.forced = 1;
		} else if (!strcmp(argv[i], "--fix")) {
			d.fix = 1;
		} else if (!strcmp(argv[i], "--no-fetch")) {
			fetch = 0;
		} else if (!strcmp(argv[i], "-F") || !strcmp(argv[i], "--file")) {
			if (++i >= argc)
				return sub_usage("-F needs a file");
			try_buf_reset(&notebuf);
			if (try_buf_read_file(&notebuf, argv[i],
					      TRY_DEPLOY_NOTE_MAX) < 0) {
				fprintf(stderr, "git-lanes: %s\n",
					try_error_last());
				try_buf_release(&notebuf);
				return 129;
			}
			note = notebuf.ptr;
		} else if (argv[i][0] == '-') {
			return usage_error("unknown option", argv[i]);
		} else if (!lane_arg) {
			lane_arg = argv[i];
		} else if (!rev) {
			rev = argv[i];
		} else {
			return usage_error("too many arguments", argv[i]);
		}
	}
	if (!lane_arg)
		return sub_usage("deployed which lane? code or config");
	if (try_deploy_lane_parse(&d.lane, lane_arg) < 0) {
		fprintf(stderr, "git-lanes: no lane '%s' to deploy: code or "
			"config (DARK commits ride with either)\n", lane_arg);
		return 129;
	}
	if (env && parse_env(env) < 0)
		return 129;
	if (note && strlen(note) > TRY_DEPLOY_NOTE_MAX) {
		fprintf(stderr, "git-lanes: the note is longer than %d bytes, "
			"the most a deploy note takes\n", TRY_DEPLOY_NOTE_MAX);
		try_buf_release(&notebuf);
		return 129;
	}
	if (d.forced && (!note || !note[strspn(note, " \t\n")])) {
		try_buf_release(&notebuf);
		return sub_usage("a forced deploy needs a note: --force -m "
				 "\"<why>\"");
	}

	if (sub_open(&repo, &cfg) < 0)
		goto fail;
	if (!env && parse_env(cfg.default_env) < 0) {
		rc = 128;
		goto done;
	}
	d.env = try_xstrdup(env ? env : cfg.default_env);
	d.note = try_xstrdup(note ? note : "");
	if (deploy_view_open(&v, repo, &cfg, fetch) < 0)
		goto fail;
	if (rev) {
		git_object *any = NULL;
		int bad = git_revparse_single(&any, repo, rev) < 0 ||
			  git_object_peel(&obj, any, GIT_OBJECT_COMMIT) < 0;

		git_object_free(any);
		if (bad) {
			git_error_clear();
			fprintf(stderr, "git-lanes: no commit '%s'\n", rev);
			goto done;
		}
		git_oid_cpy(&d.commit, git_object_id(obj));
	} else {
		git_oid_cpy(&d.commit, &v.tip);
	}
	ret = try_deploy_load(&prev, repo, v.prefix.ptr, d.env, d.lane);
	if (ret < 0 && ret != TRY_ENOTFOUND)
		goto fail;
	has_prev = ret == 0;
	try_hold_who(&d.who, repo);
	d.when = (int64_t)time(NULL);
	if (try_deploy_commit(&d, repo, has_prev ? &prev.record : NULL) < 0)
		goto fail;

	if (v.bare) {
		/* no hook runs here: the referee's rules, then the CAS */
		try_identity_pusher(&pusher, &cfg);
		if (try_classifier_new(&classifier, repo, &cfg) < 0 ||
		    try_holds_load(&holds, repo, TRY_HOLD_REFS) < 0)
			goto fail;
		{
			struct try_buf ref = TRY_BUF_INIT;
			try_buf_addf(&ref, "%s%s/%s", TRY_DEPLOY_REFS, d.env,
				     try_lane_key(d.lane));
			ret = try_deploy_check(&reason, &hint, repo, &cfg,
					       classifier, &holds, pusher,
					       ref.ptr, has_prev ?
					       &prev.record : NULL,
					       &d.record);
			try_buf_release(&ref);
		}
		if (ret < 0)
			goto fail;
		if (reason) {
			fprintf(stderr, "git-lanes: %s\n", reason);
			if (hint)
				fprintf(stderr, "git-lanes: %s\n", hint);
			rc = 1;
			goto done;
		}
	}
	switch (try_deploy_set(repo, cfg.remote, &d,
			       has_prev ? &prev.record : NULL)) {
	case 0:
		break;
	case TRY_DEPLOY_ERACE:
	case TRY_DEPLOY_EREJECTED:
		fprintf(stderr, "git-lanes: %s\n", try_error_last());
		rc = 1;
		goto done;
	default:
		goto fail;
	}
	rc = 0;
	if (v.bare && try_deploy_announce(repo, &cfg, pusher, &d,
					  has_prev ? &prev.commit : NULL,
					  print_failed, NULL) < 0)
		rc = 128; /* recorded, but the event may be lost: say so */
	/* the driver's deploy moves the push train (a clone's: post-receive) */
	if (v.bare && !d.rollback && !strcmp(d.env, cfg.default_env) &&
	    try_queue_deployed(repo, &cfg, d.lane, pusher) < 0)
		try_error_clear(); /* not the driver, or no train: nothing */
	short_id(a, &d.commit);
	if (has_prev) {
		short_id(b, &prev.commit);
		printf("%s in %s: %s %s (was %s)\n", try_lane_key(d.lane),
		       d.env, d.rollback ? "rolled back to" : "deployed", a,
		       b);
	} else {
		printf("%s in %s: deployed %s\n", try_lane_key(d.lane), d.env,
		       a);
	}
	goto done;
fail:
	rc = sub_fail();
done:
	free(reason);
	free(hint);
	free(pusher);
	try_buf_release(&notebuf);
	git_object_free(obj);
	try_holds_release(&holds);
	try_classifier_free(classifier);
	deploy_view_release(&v);
	try_deploy_release(&prev);
	try_deploy_release(&d);
	try_config_release(&cfg);
	git_repository_free(repo);
	return rc;
}

static json_t *jid(const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), id);
	return json_string(hex);
}

/* git lanes next [--env <name>] [--json] */
static int cmd_next(int argc, char **argv)
{
	static const enum try_lane lanes[] = { TRY_LANE_CODE,
					       TRY_LANE_CONFIG };
	git_repository *repo = NULL;
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_classifier *classifier = NULL;
	struct try_holds holds = TRY_HOLDS_INIT;
	struct deploy_view v;
	struct try_deploy rec[2];
	int has[2] = { 0, 0 };
	struct try_buf out = TRY_BUF_INIT, tmp = TRY_BUF_INIT;
	const char *env = NULL;
	json_t *root = NULL, *jl = NULL;
	char a[16];
	int i, json = 0, rc = 128, ret;
	size_t k;

	memset(rec, 0, sizeof(rec));
	memset(&v, 0, sizeof(v));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--env")) {
			if (++i >= argc)
				return sub_usage("--env needs a name");
			env = argv[i];
		} else if (!strncmp(argv[i], "--env=", 6)) {
			env = argv[i] + 6;
		} else {
			return usage_error("unknown option", argv[i]);
		}
	}
	if (env && parse_env(env) < 0)
		return 129;
	if (sub_open(&repo, &cfg) < 0)
		goto fail;
	if (!env)
		env = cfg.default_env;
	if (parse_env(env) < 0)
		goto done;
	if (deploy_view_open(&v, repo, &cfg, 1) < 0 ||
	    try_classifier_new(&classifier, repo, &cfg) < 0 ||
	    try_holds_load(&holds, repo, v.hold_prefix.ptr) < 0)
		goto fail;
	for (k = 0; k < 2; k++) {
		ret = try_deploy_load(&rec[k], repo, v.prefix.ptr, env,
				      lanes[k]);
		if (ret < 0 && ret != TRY_ENOTFOUND)
			goto fail;
		has[k] = ret == 0;
	}
	root = json_object();
	jl = json_array();
	json_object_set_new(root, "env", json_string(env));
	json_object_set_new(root, "trunk", jid(&v.tip));
	short_id(a, &v.tip);
	try_buf_addf(&out, "%s (%s at %s):\n", env, cfg.trunk_branch, a);
	for (k = 0; k < 2; k++) {
		struct try_next nx;
		const struct try_hold *h = try_holds_blocking(&holds, lanes[k]);
		json_t *o = json_object();

		if (try_next_compute(&nx, repo, classifier, lanes[k], &v.tip,
				     has[0] ? &rec[0].commit : NULL,
				     has[1] ? &rec[1].commit : NULL) < 0) {
			json_decref(o);
			goto fail;
		}
		json_object_set_new(o, "lane", json_string(try_lane_key(lanes[k])));
		try_buf_addf(&out, "  %-7s ", try_lane_key(lanes[k]));
		if (has[k]) {
			json_t *dj = json_object();
			short_id(a, &rec[k].commit);
			json_object_set_new(dj, "commit", jid(&rec[k].commit));
			json_object_set_new(dj, "by", try_report_json_string(rec[k].who));
			try_buf_reset(&tmp);
			try_report_add_time(&tmp, rec[k].when, 1);
			json_object_set_new(dj, "at", json_string(tmp.ptr));
			json_object_set_new(dj, "note", try_report_json_string(rec[k].note));
			json_object_set_new(dj, "rollback", json_boolean(rec[k].rollback));
			json_object_set_new(o, "deployed", dj);
			try_buf_addf(&out, "deployed %s by ", a);
			try_report_add_safe(&out, rec[k].who,
					    strlen(rec[k].who), 60);
			try_buf_adds(&out, " at ");
			try_report_add_time(&out, rec[k].when, 0);
			if (rec[k].rollback)
				try_buf_adds(&out, " (rollback)");
			try_buf_addch(&out, '\n');
		} else {
			json_object_set_new(o, "deployed", json_null());
			try_buf_adds(&out, "no deploy recorded\n");
		}
		try_buf_adds(&out, "          ");
		if (nx.has_next) {
			short_id(a, &nx.next);
			json_object_set_new(o, "next", jid(&nx.next));
			try_buf_addf(&out, "next %s: %zu of %zu waiting "
				     "commit%s can ship", a, nx.shippable,
				     nx.waiting, nx.waiting == 1 ? "" : "s");
		} else {
			json_object_set_new(o, "next", json_null());
			try_buf_addf(&out, "nothing can ship: %zu commit%s "
				     "waiting", nx.waiting,
				     nx.waiting == 1 ? "" : "s");
		}
		json_object_set_new(o, "waiting", json_integer((json_int_t)nx.waiting));
		json_object_set_new(o, "shippable", json_integer((json_int_t)nx.shippable));
		if (nx.has_stop || nx.why) {
			json_t *sj = json_object();
			if (nx.has_stop) {
				short_id(a, &nx.stop);
				json_object_set_new(sj, "commit", jid(&nx.stop));
				json_object_set_new(sj, "lane", json_string(try_lane_key(nx.stop_lane)));
				json_object_set_new(sj, "subject", try_report_json_string(nx.stop_subject));
				try_buf_addf(&out, "; stops at %s \"", a);
				try_report_add_safe(&out, nx.stop_subject,
						    strlen(nx.stop_subject),
						    60);
				try_buf_adds(&out, "\"");
			}
			json_object_set_new(sj, "why", json_string(nx.why ? nx.why : ""));
			json_object_set_new(o, "stop", sj);
			if (nx.why)
				try_buf_addf(&out, ": %s", nx.why);
		} else {
			json_object_set_new(o, "stop", json_null());
		}
		try_buf_addch(&out, '\n');
		if (h) {
			try_buf_reset(&tmp);
			try_hold_describe(&tmp, h);
			json_object_set_new(o, "held", try_report_json_string(tmp.ptr));
			try_buf_addf(&out, "          %s; rollbacks and "
				     "--fix deploys only\n", tmp.ptr);
		} else {
			json_object_set_new(o, "held", json_null());
		}
		json_array_append_new(jl, o);
		try_next_release(&nx);
	}
	json_object_set_new(root, "lanes", jl);
	jl = NULL;
	if (json) {
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		fwrite(out.ptr, 1, out.len, stdout);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		try_error_set("cannot write output");
		goto fail;
	}
	rc = 0;
	goto done;
fail:
	rc = sub_fail();
done:
	json_decref(jl);
	json_decref(root);
	try_buf_release(&tmp);
	try_buf_release(&out);
	for (k = 0; k < 2; k++)
		try_deploy_release(&rec[k]);
	try_holds_release(&holds);
	try_classifier_free(classifier);
	deploy_view_release(&v);
	try_config_release(&cfg);
	git_repository_free(repo);
	return rc;
}

static int cmd_policy(int argc, char **argv);

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} subcommands[] = {
	{ "hold", cmd_hold },
	{ "release", cmd_release },
	{ "status", cmd_status },
	{ "log", cmd_log },
	{ "flush", cmd_flush },
	{ "policy", cmd_policy },
	{ "deployed", cmd_deployed },
	{ "next", cmd_next },
	{ "queue", cmd_queue },
	{ "q", cmd_queue },
	{ "serve", cmd_serve },
};

/* Runs the subcommand argv[1] when it is one; -1 when it is not. */
static int run_subcommand(int argc, char **argv)
{
	size_t i;
	int rc;

	for (i = 0; i < sizeof(subcommands) / sizeof(*subcommands); i++) {
		if (strcmp(argv[1], subcommands[i].name))
			continue;
		if (argc > 2 && subcommands[i].fn != cmd_queue &&
		    (!strcmp(argv[2], "-h") ||
				 !strcmp(argv[2], "--help"))) {
			fputs(usage_text, stdout);
			return 0;
		}
		git_libgit2_init();
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = subcommands[i].fn(argc - 1, argv + 1);
		curl_global_cleanup();
		git_libgit2_shutdown();
		return rc;
	}
	return -1;
}

/* The team's .lanes on top of git config, as the server will see it. */
static int lanes_policy(struct try_config *cfg, git_repository *repo)
{
	char *warning = NULL;

	if (try_lanespolicy_load_client(cfg, repo, &warning) < 0)
		return -1;
	if (warning)
		fprintf(stderr, "git-lanes: warning: %s\n", warning);
	free(warning);
	return 0;
}

/* git lanes policy: every effective value and where it came from */
static int cmd_policy(int argc, char **argv)
{
	git_repository *repo = NULL;
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_lanespolicy p = TRY_LANESPOLICY_INIT;
	struct try_buf b = TRY_BUF_INIT;
	int rc = 128;

	if (argc > 1)
		return usage_error("unknown option", argv[1]);
	if (sub_open(&repo, &cfg) < 0)
		goto fail;
	if (git_repository_is_bare(repo)) {
		git_oid tip;
		int found = git_reference_name_to_id(&tip, repo,
						     cfg.trunk_ref) == 0;
		git_error_clear();
		if (try_lanespolicy_apply(&p, &cfg, repo, found ? &tip : NULL,
					  cfg.trunk_ref) < 0)
			goto fail;
	} else if (try_lanespolicy_apply_client(&p, &cfg, repo) < 0) {
		goto fail;
	}
	if (p.error)
		fprintf(stderr, "git-lanes: warning: %s ignored: %s; the "
			"policy of git config holds\n", p.source, p.error);
	try_lanespolicy_show(&b, &p, &cfg);
	fwrite(b.ptr, 1, b.len, stdout);
	rc = p.error ? 1 : 0;
	goto done;
fail:
	rc = sub_fail();
done:
	try_buf_release(&b);
	try_lanespolicy_release(&p);
	try_config_release(&cfg);
	git_repository_free(repo);
	return rc;
}

int main(int argc, char **argv)
{
	git_repository *repo = NULL;
	struct try_walk *walk = NULL;
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_classifier *classifier = NULL;
	struct lanes lanes;
	int json = 0, nrevs = 0, dashdash = 0, i, rc = 128, timeout = 0;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("git-lanes %s\n", TRY_VERSION);
		return 0;
	}
	memset(&lanes, 0, sizeof(lanes));
	if (argc > 1 && (rc = run_subcommand(argc, argv)) >= 0)
		return rc;
	rc = 128;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (dashdash || a[0] != '-' || !a[1]) {
			nrevs++;
		} else if (!strcmp(a, "--")) {
			dashdash = 1;
		} else if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strncmp(a, "--timeout=", 10)) {
			char *end;
			long t = strtol(a + 10, &end, 10);

			if (end == a + 10 || *end || t < 1 || t > 86400)
				return usage_error("--timeout takes seconds "
						   "from 1 to 86400", a);
			timeout = (int)t;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			return 0;
		} else {
			return usage_error("unknown option", a);
		}
	}

	git_libgit2_init();
	/* every object is read once: no cache, and no re-hashing of what
	 * git verified when it received it (git does not either) */
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
	/* small pack windows: a whole-history walk touches every page of
	 * the pack once, and mapped windows count as resident memory */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)1 << 20);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)8 << 20);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	if (try_repo_open(&repo, NULL, 0) < 0 ||
	    try_config_load(&cfg, repo) < 0 ||
	    lanes_policy(&cfg, repo) < 0 ||
	    try_classifier_new(&classifier, repo, &cfg) < 0)
		goto fail;
	if (try_walk_new(&walk, repo, json ? TRY_WALK_AUTHOR : 0) < 0)
		goto fail;
	dashdash = 0;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!dashdash && !strcmp(a, "--")) {
			dashdash = 1;
			continue;
		}
		if (!dashdash && a[0] == '-' && a[1])
			continue;
		if (add_rev(walk, repo, a) < 0)
			goto fail;
	}
	if (!nrevs && default_range(walk, repo, &cfg) < 0)
		goto fail;
	if (collect(&lanes, classifier, walk, timeout) < 0)
		goto fail;
	if (json) {
		if (print_json(&lanes) < 0)
			goto fail;
	} else {
		print_human(&lanes);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		try_error_set("cannot write output");
		goto fail;
	}
	rc = 0;
	goto done;
fail:
	fprintf(stderr, "git-lanes: %s\n", try_error_last());
	rc = 128;
done:
	for (i = 0; i < (int)lanes.nr; i++) {
		try_commit_lane_release(&lanes.items[i].cl);
	}
	free(lanes.items);
	try_walk_free(walk);
	try_classifier_free(classifier);
	try_config_release(&cfg);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}
