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
#include "libtry/report.h"

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
	char *subject;
	char *author;
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

static int add_rev(git_revwalk *walk, git_repository *repo, const char *arg)
{
	git_revspec spec;
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
	if (spec.flags & GIT_REVSPEC_RANGE) {
		if (hide) {
			try_error_set("bad revision '^%s'", arg);
			goto done;
		}
		if (git_revwalk_push(walk, git_object_id(spec.to)) < 0 ||
		    git_revwalk_hide(walk, git_object_id(spec.from)) < 0)
			goto git_fail;
	} else {
		git_object *commit = NULL;
		if (git_object_peel(&commit, spec.from, GIT_OBJECT_COMMIT) < 0) {
			try_error_set("'%s' is not a commit", arg);
			goto done;
		}
		ret = hide ? git_revwalk_hide(walk, git_object_id(commit)) :
			     git_revwalk_push(walk, git_object_id(commit));
		git_object_free(commit);
		if (ret < 0)
			goto git_fail;
	}
	ret = 0;
	goto done;
git_fail:
	try_error_from_git("cannot walk history");
	ret = -1;
done:
	git_object_free(spec.from);
	git_object_free(spec.to);
	return ret;
}

static int default_range(git_revwalk *walk, git_repository *repo,
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
	if (git_revwalk_push(walk, &head) < 0 ||
	    git_revwalk_hide(walk, &upstream) < 0) {
		try_error_from_git("cannot walk history");
		goto done;
	}
	ret = 0;
done:
	try_buf_release(&ref);
	return ret;
}

static int collect(struct lanes *out, git_repository *repo,
		   struct try_classifier *c, git_revwalk *walk, int want_author)
{
	git_oid id;
	int error;

	while ((error = git_revwalk_next(&id, walk)) == 0) {
		git_commit *commit = NULL;
		struct entry *e;
		const char *msg;

		if (git_commit_lookup(&commit, repo, &id) < 0) {
			try_error_from_git("cannot read commit");
			return -1;
		}
		TRY_ARRAY_GROW(out->items, out->nr + 1, out->alloc);
		e = &out->items[out->nr];
		memset(e, 0, sizeof(*e));
		if (try_classify_commit(&e->cl, c, commit) < 0) {
			git_commit_free(commit);
			return -1;
		}
		out->nr++;
		try_lane_tally_add(&out->tally, &e->cl);
		msg = git_commit_message(commit);
		if (!msg)
			msg = "";
		e->subject = try_xstrndup(msg, strcspn(msg, "\n"));
		if (want_author) {
			const git_signature *sig = git_commit_author(commit);
			struct try_buf a = TRY_BUF_INIT;
			try_buf_addf(&a, "%s <%s>", sig->name, sig->email);
			e->author = try_buf_detach(&a);
		}
		git_commit_free(commit);
	}
	if (error != GIT_ITEROVER) {
		try_error_from_git("cannot walk history");
		return -1;
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
	git_revwalk *walk = NULL;
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
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(16 << 20));
	if (try_repo_open(&repo, NULL, 0) < 0 ||
	    try_config_load(&cfg, repo) < 0 ||
	    try_classifier_new(&classifier, repo, &cfg) < 0)
		goto fail;
	if (git_revwalk_new(&walk, repo) < 0) {
		try_error_from_git("cannot walk history");
		goto fail;
	}
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL);
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
	if (collect(&lanes, repo, classifier, walk, json) < 0)
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
		free(lanes.items[i].subject);
		free(lanes.items[i].author);
	}
	free(lanes.items);
	git_revwalk_free(walk);
	try_classifier_free(classifier);
	try_config_release(&cfg);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}
