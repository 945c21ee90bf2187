/*
 * git-lanes: the deploy lane of a range of commits, with the classifier the
 * server's hook uses.  `git lanes` shows what the next push holds;
 * `git lanes <deployed>..main` what the next deploy holds.
 *
 * Exit codes: 0 shown, 128 error, 129 usage.
 */
#include "libtry/buf.h"
#include "libtry/classify.h"
#include "libtry/config.h"
#include "libtry/error.h"
#include "libtry/repo.h"
#include "libtry/policy.h"
#include "libtry/report.h"
#include "libtry/walk.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: git lanes [--json] [<revision range>...]\n"
	"\n"
	"Shows the deploy lane (DARK, CONFIG, CODE) of every commit in the\n"
	"range and of the range as a whole.  Default range: the trunk's\n"
	"remote-tracking branch ..HEAD (what you are about to push).\n"
	"\n"
	"    --json    one JSON object: {\"lane\",\"reason\",\"commits\":[{\"id\",\n"
	"              \"lane\",\"reason\",\"subject\",\"author\"}]}\n"
	"\n"
	"exit codes: 0 shown, 128 error, 129 usage\n";

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
		   struct try_walk *walk)
{
	size_t i, n;

	if (try_walk_run(walk) < 0)
		return -1;
	n = try_walk_count(walk);
	out->items = try_xcalloc(n ? n : 1, sizeof(*out->items));
	out->alloc = n;
	for (i = 0; i < n; i++) {
		const struct try_walk_commit *wc = try_walk_get(walk, i);
		struct entry *e = &out->items[i];

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

static json_t *jstr(const char *s)
{
	struct try_buf b = TRY_BUF_INIT;
	json_t *j;

	try_report_add_utf8(&b, s, strlen(s));
	j = json_stringn(b.ptr, b.len);
	try_buf_release(&b);
	return j;
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
		json_object_set_new(c, "reason", jstr(b.ptr));
		json_object_set_new(c, "subject", jstr(e->subject));
		json_object_set_new(c, "author", jstr(e->author));
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

int main(int argc, char **argv)
{
	git_repository *repo = NULL;
	struct try_walk *walk = NULL;
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_classifier *classifier = NULL;
	struct lanes lanes;
	int json = 0, nrevs = 0, dashdash = 0, i, rc = 128;

	memset(&lanes, 0, sizeof(lanes));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (dashdash || a[0] != '-' || !a[1]) {
			nrevs++;
		} else if (!strcmp(a, "--")) {
			dashdash = 1;
		} else if (!strcmp(a, "--json")) {
			json = 1;
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
	if (collect(&lanes, classifier, walk) < 0)
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
