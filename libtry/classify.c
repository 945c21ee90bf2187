#define PCRE2_CODE_UNIT_WIDTH 8
#include "libtry/classify.h"
#include "libtry/error.h"
#include "libtry/glob.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MATCH_LIMIT 100000
#define DEPTH_LIMIT 10000

struct try_classifier {
	git_repository *repo;
	struct try_strlist globs;
	pcre2_code *dark;
	pcre2_match_data *match_data;
	pcre2_match_context *match_ctx;
};

static const char *const lane_names[] = { "DARK", "CONFIG", "CODE", "NONE" };
static const char *const lane_keys[] = { "dark", "config", "code", "none" };

const char *try_lane_name(enum try_lane lane)
{
	return lane_names[lane];
}

const char *try_lane_key(enum try_lane lane)
{
	return lane_keys[lane];
}

int try_lane_parse(enum try_lane *out, const char *s)
{
	int i;

	for (i = 0; i <= TRY_LANE_NONE; i++) {
		if (!strcasecmp(s, lane_keys[i])) {
			*out = (enum try_lane)i;
			return 0;
		}
	}
	return -1;
}

void try_commit_lane_release(struct try_commit_lane *cl)
{
	free(cl->path);
	cl->path = NULL;
}

void try_commit_lane_reason(struct try_buf *out,
			    const struct try_commit_lane *cl)
{
	if (cl->flags & TRY_COMMIT_DARK_CONFIG) {
		try_buf_addf(out, "marked dark but changes config path '%s'",
			     cl->path);
		return;
	}
	switch (cl->lane) {
	case TRY_LANE_DARK:
		if (cl->flags & TRY_COMMIT_MARKED_DARK)
			try_buf_adds(out, "marked dark, no config path");
		else
			try_buf_adds(out, "changes nothing");
		break;
	case TRY_LANE_CONFIG:
		if (cl->path && *cl->path &&
		    cl->path[strlen(cl->path) - 1] == '/')
			try_buf_addf(out, "only config paths (under '%s')",
				     cl->path);
		else
			try_buf_addf(out, "only config paths ('%s')", cl->path);
		break;
	case TRY_LANE_CODE:
		if (cl->path && *cl->path &&
		    cl->path[strlen(cl->path) - 1] == '/')
			try_buf_addf(out, "changes code under '%s'", cl->path);
		else
			try_buf_addf(out, "changes code path '%s'", cl->path);
		break;
	case TRY_LANE_NONE:
		try_buf_adds(out, "nothing new");
		break;
	}
}

int try_classifier_new(struct try_classifier **out, git_repository *repo,
		       const struct try_config *cfg)
{
	struct try_classifier *c = try_xcalloc(1, sizeof(*c));
	int errcode;
	PCRE2_SIZE erroffset;
	size_t i;

	*out = NULL;
	c->repo = repo;
	for (i = 0; i < cfg->config_globs.nr; i++) {
		char *g = NULL;

		/* never a value that silently matches nothing */
		if (try_pathspec_normalize(&g, "lanes.config",
					   cfg->config_globs.items[i]) < 0) {
			try_classifier_free(c);
			return -1;
		}
		try_strlist_add(&c->globs, g);
		free(g);
	}

	c->dark = pcre2_compile((PCRE2_SPTR)cfg->dark_pattern,
				PCRE2_ZERO_TERMINATED, 0, &errcode, &erroffset,
				NULL);
	if (!c->dark) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		try_error_set("lanes.darkPattern: invalid pattern '%s' at "
			      "offset %zu: %s", cfg->dark_pattern,
			      (size_t)erroffset, (const char *)msg);
		try_classifier_free(c);
		return -1;
	}
	c->match_data = pcre2_match_data_create_from_pattern(c->dark, NULL);
	c->match_ctx = pcre2_match_context_create(NULL);
	if (!c->match_data || !c->match_ctx) {
		try_error_set("out of memory");
		try_classifier_free(c);
		return -1;
	}
	pcre2_set_match_limit(c->match_ctx, MATCH_LIMIT);
	pcre2_set_depth_limit(c->match_ctx, DEPTH_LIMIT);
	*out = c;
	return 0;
}

void try_classifier_free(struct try_classifier *c)
{
	if (!c)
		return;
	try_strlist_release(&c->globs);
	pcre2_match_data_free(c->match_data);
	pcre2_match_context_free(c->match_ctx);
	pcre2_code_free(c->dark);
	free(c);
}

int try_classifier_is_config_path(const struct try_classifier *c,
				  const char *path)
{
	size_t i;

	for (i = 0; i < c->globs.nr; i++)
		if (try_pathspec_match(c->globs.items[i], path))
			return 1;
	return 0;
}

static int all_config(const struct try_classifier *c, const char *dir,
		      size_t len)
{
	size_t i;

	for (i = 0; i < c->globs.nr; i++)
		if (try_pathspec_covers_dir(c->globs.items[i], dir, len))
			return 1;
	return 0;
}

static int may_hold_config(const struct try_classifier *c, const char *dir,
			   size_t len)
{
	size_t i;

	for (i = 0; i < c->globs.nr; i++)
		if (try_pathspec_may_match_below(c->globs.items[i], dir, len))
			return 1;
	return 0;
}

int try_classifier_is_dark(int *out, struct try_classifier *c,
			   const char *subject, size_t len)
{
	int rc = pcre2_match(c->dark, (PCRE2_SPTR)subject, len, 0, 0,
			     c->match_data, c->match_ctx);

	if (rc >= 0) {
		*out = 1;
		return 0;
	}
	if (rc == PCRE2_ERROR_NOMATCH) {
		*out = 0;
		return 0;
	}
	{
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(rc, msg, sizeof(msg));
		try_error_set("lanes.darkPattern: matching failed: %s",
			      (const char *)msg);
	}
	return -1;
}

/*
 * Edits (insert, delete, replace, swap two neighbours) from `w` (`n`
 * upper-case letters, n <= 8) to "DARK".
 */
static size_t edits_to_dark(const char *w, size_t n)
{
	static const char m[] = "DARK";
	size_t d[9][5], i, j;

	for (i = 0; i <= n; i++)
		d[i][0] = i;
	for (j = 0; j <= 4; j++)
		d[0][j] = j;
	for (i = 1; i <= n; i++) {
		for (j = 1; j <= 4; j++) {
			size_t best = d[i - 1][j - 1] + (w[i - 1] != m[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && w[i - 1] == m[j - 2] &&
			    w[i - 2] == m[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[n][4];
}

int try_classifier_dark_near_miss(struct try_classifier *c,
				  struct try_buf *fixed, const char *subject,
				  size_t len)
{
	size_t i = 0, w;
	int dark = 0;

	if (try_classifier_is_dark(&dark, c, subject, len) < 0 || dark)
		return 0;
	while (i < len && strchr(" \t[(<{", subject[i]))
		i++;
	for (w = 0; i + w < len && isalpha((unsigned char)subject[i + w]); w++)
		;
	if (w >= 3 && w <= 6 && strncasecmp(subject + i, "dark", 4) &&
	    (i + w == len || !isalnum((unsigned char)subject[i + w]))) {
		/* a typo of the marker, written as markers are: "DRAK" */
		size_t k;
		for (k = 0; k < w; k++)
			if (!isupper((unsigned char)subject[i + k]))
				return 0;
		if (edits_to_dark(subject + i, w) > 2)
			return 0;
		i += w;
		goto fix;
	}
	if (len - i < 4 || strncasecmp(subject + i, "dark", 4))
		return 0;
	i += 4;
	if (i < len && (isalnum((unsigned char)subject[i]) || subject[i] == '_'))
		return 0; /* "darker", "darkmode" */
fix:
	while (i < len && strchr(" \t])>}:-!", subject[i]))
		i++;
	try_buf_adds(fixed, "DARK ");
	try_buf_add(fixed, subject + i, len - i);
	return 1;
}

/*
 * The walk.  `dark` commits only need to know whether a config path changed;
 * other commits stop at the first path that is not config.
 */
struct walk {
	struct try_classifier *c;
	int dark;
	int done;
	struct try_buf path;
	char *code_path;   /* first changed path that is not config */
	char *config_path; /* first changed config path */
	int changed;
};

static int entry_is_tree(const git_tree_entry *e)
{
	return e && git_tree_entry_filemode(e) == GIT_FILEMODE_TREE;
}

/* git's order: a tree's name sorts as if it ended in '/' */
static int entry_cmp(const git_tree_entry *a, const git_tree_entry *b)
{
	const char *na = git_tree_entry_name(a), *nb = git_tree_entry_name(b);
	size_t la = strlen(na), lb = strlen(nb);
	size_t n = la < lb ? la : lb;
	int cmp = memcmp(na, nb, n);
	unsigned char ca, cb;

	if (cmp)
		return cmp;
	ca = n < la ? (unsigned char)na[n] : entry_is_tree(a) ? '/' : 0;
	cb = n < lb ? (unsigned char)nb[n] : entry_is_tree(b) ? '/' : 0;
	return (int)ca - (int)cb;
}

/* A changed path; a directory is wholly config or wholly code. */
static void note_path(struct walk *w, int is_dir, int config)
{
	const char *p = w->path.ptr;

	w->changed = 1;
	if (config) {
		if (!w->config_path) {
			struct try_buf b = TRY_BUF_INIT;
			try_buf_adds(&b, p);
			if (is_dir)
				try_buf_addch(&b, '/');
			w->config_path = try_buf_detach(&b);
			if (w->dark)
				w->done = 1;
		}
	} else if (!w->code_path) {
		struct try_buf b = TRY_BUF_INIT;
		try_buf_adds(&b, p);
		if (is_dir)
			try_buf_addch(&b, '/');
		w->code_path = try_buf_detach(&b);
		if (!w->dark)
			w->done = 1;
	}
}

static int walk_trees(struct walk *w, const git_tree *a, const git_tree *b);

/* 1 when the root entry ".lanes" differs between the trees. */
static int lanes_file_changed(const git_tree *old, const git_tree *new)
{
	const git_tree_entry *a = old ? git_tree_entry_byname(old, ".lanes") :
			    NULL;
	const git_tree_entry *b = new ? git_tree_entry_byname(new, ".lanes") :
			    NULL;

	if (!a || !b)
		return a != b;
	return !git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b)) ||
	       git_tree_entry_filemode(a) != git_tree_entry_filemode(b);
}

/* One differing entry pair (either may be NULL), path already in w->path. */
static int walk_entry(struct walk *w, const git_tree_entry *ea,
		      const git_tree_entry *eb)
{
	int ta = entry_is_tree(ea), tb = entry_is_tree(eb);
	git_tree *sa = NULL, *sb = NULL;
	int ret = 0;

	if (!ta && !tb) {
		note_path(w, 0, try_classifier_is_config_path(w->c, w->path.ptr));
		return 0;
	}
	/*
	 * A directory on one side at least: something below it changed.
	 * When globs decide for the whole directory, do not read it; a
	 * dark commit reads on, to name the config path it must not touch.
	 */
	if (!w->dark && all_config(w->c, w->path.ptr, w->path.len)) {
		if (ea && !ta)
			note_path(w, 0, try_classifier_is_config_path(w->c,
							      w->path.ptr));
		if (eb && !tb)
			note_path(w, 0, try_classifier_is_config_path(w->c,
							      w->path.ptr));
		note_path(w, 1, 1);
		return 0;
	}
	if (!may_hold_config(w->c, w->path.ptr, w->path.len)) {
		if (w->dark) {
			w->changed = 1; /* no config below: nothing to learn */
			return 0;
		}
		note_path(w, 1, 0);
		return 0;
	}
	if (ta && git_tree_lookup(&sa, w->c->repo, git_tree_entry_id(ea)) < 0)
		goto fail;
	if (tb && git_tree_lookup(&sb, w->c->repo, git_tree_entry_id(eb)) < 0)
		goto fail;
	/* a file replaced by a directory of the same name sorts apart, so
	 * here both sides are trees or one is missing */
	ret = walk_trees(w, sa, sb);
	goto done;
fail:
	try_error_from_git("cannot read tree");
	ret = -1;
done:
	git_tree_free(sa);
	git_tree_free(sb);
	return ret;
}

static int walk_trees(struct walk *w, const git_tree *a, const git_tree *b)
{
	size_t na = a ? git_tree_entrycount(a) : 0;
	size_t nb = b ? git_tree_entrycount(b) : 0;
	size_t i = 0, j = 0, base = w->path.len;
	int ret = 0;

	while (!w->done && (i < na || j < nb)) {
		const git_tree_entry *ea = i < na ? git_tree_entry_byindex(a, i) : NULL;
		const git_tree_entry *eb = j < nb ? git_tree_entry_byindex(b, j) : NULL;
		const git_tree_entry *name;
		int cmp;

		if (ea && eb)
			cmp = entry_cmp(ea, eb);
		else
			cmp = ea ? -1 : 1;
		if (cmp == 0) {
			i++;
			j++;
			if (git_tree_entry_filemode(ea) == git_tree_entry_filemode(eb) &&
			    git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb)))
				continue;
			name = ea;
		} else if (cmp < 0) {
			i++;
			name = ea;
			eb = NULL;
		} else {
			j++;
			name = eb;
			ea = NULL;
		}
		if (base)
			try_buf_addch(&w->path, '/');
		try_buf_adds(&w->path, git_tree_entry_name(name));
		if (ea && eb && entry_is_tree(ea) != entry_is_tree(eb)) {
			/* same name, one a tree and one not: never equal in
			 * git's order, kept for safety */
			ret = walk_entry(w, ea, NULL);
			if (!ret && !w->done)
				ret = walk_entry(w, NULL, eb);
		} else {
			ret = walk_entry(w, ea, eb);
		}
		try_buf_setlen(&w->path, base);
		if (ret < 0)
			break;
	}
	return ret;
}

int try_classify_trees(struct try_commit_lane *out, struct try_classifier *c,
		       const git_tree *old, const git_tree *new,
		       const char *subject, size_t subject_len)
{
	struct walk w;
	int dark = 0, ret = -1;

	memset(&w, 0, sizeof(w));
	try_buf_init(&w.path);
	out->lane = TRY_LANE_DARK;
	out->flags &= ~(TRY_COMMIT_MARKED_DARK | TRY_COMMIT_EMPTY |
			TRY_COMMIT_DARK_CONFIG);
	out->path = NULL;

	if (subject && try_classifier_is_dark(&dark, c, subject, subject_len) < 0)
		return -1;
	w.c = c;
	w.dark = dark;
	if (old && new && git_oid_equal(git_tree_id(old), git_tree_id(new)))
		ret = 0;
	else
		ret = walk_trees(&w, old, new);
	if (ret < 0)
		goto done;

	if (dark)
		out->flags |= TRY_COMMIT_MARKED_DARK;
	if (!w.changed) {
		out->flags |= TRY_COMMIT_EMPTY;
		out->lane = TRY_LANE_DARK;
	} else if (dark && w.config_path) {
		/* a flag flip must travel in its own commit */
		out->flags |= TRY_COMMIT_DARK_CONFIG;
		out->lane = TRY_LANE_CODE;
		out->path = w.config_path;
		w.config_path = NULL;
	} else if (dark) {
		out->lane = TRY_LANE_DARK;
	} else if (w.code_path) {
		out->lane = TRY_LANE_CODE;
		out->path = w.code_path;
		w.code_path = NULL;
	} else {
		out->lane = TRY_LANE_CONFIG;
		out->path = w.config_path;
		w.config_path = NULL;
	}
	/* the lane policy itself (lanespolicy.h) never takes a fast lane */
	if (out->lane != TRY_LANE_CODE && lanes_file_changed(old, new)) {
		out->lane = TRY_LANE_CODE;
		out->flags &= ~(unsigned)TRY_COMMIT_EMPTY;
		free(out->path);
		out->path = try_xstrdup(".lanes");
	}
done:
	free(w.code_path);
	free(w.config_path);
	try_buf_release(&w.path);
	return ret;
}

/* The subject as git shows it: the first line of the message. */
static void commit_subject(const git_commit *commit, const char **s,
			   size_t *len)
{
	const char *msg = git_commit_message(commit);
	const char *nl;

	if (!msg)
		msg = "";
	nl = strchr(msg, '\n');
	*s = msg;
	*len = nl ? (size_t)(nl - msg) : strlen(msg);
}

int try_classify_commit(struct try_commit_lane *out,
			struct try_classifier *c, const git_commit *commit)
{
	git_commit *parent = NULL;
	git_tree *old = NULL, *new = NULL;
	unsigned parents = git_commit_parentcount(commit);
	const char *subject;
	size_t len;
	int ret = -1;

	out->flags = 0;
	out->path = NULL;
	git_oid_cpy(&out->id, git_commit_id(commit));
	if (parents > 1)
		out->flags |= TRY_COMMIT_MERGE;
	if (!parents)
		out->flags |= TRY_COMMIT_ROOT;

	if (git_commit_tree(&new, commit) < 0)
		goto git_fail;
	if (parents) {
		if (git_commit_parent(&parent, commit, 0) < 0 ||
		    git_commit_tree(&old, parent) < 0)
			goto git_fail;
	}
	commit_subject(commit, &subject, &len);
	ret = try_classify_trees(out, c, old, new, subject, len);
	goto done;
git_fail:
	{
		char hex[GIT_OID_HEXSZ + 1];
		struct try_buf what = TRY_BUF_INIT;
		git_oid_tostr(hex, sizeof(hex), git_commit_id(commit));
		try_buf_addf(&what, "cannot read commit %s", hex);
		try_error_from_git(what.ptr);
		try_buf_release(&what);
	}
done:
	git_tree_free(old);
	git_tree_free(new);
	git_commit_free(parent);
	return ret;
}

void try_lane_tally_add(struct try_lane_tally *t,
			const struct try_commit_lane *cl)
{
	t->count[cl->lane]++;
	t->total++;
	if (cl->lane == TRY_LANE_DARK && !(cl->flags & TRY_COMMIT_EMPTY))
		t->dark_changes++;
}

enum try_lane try_lane_tally_lane(const struct try_lane_tally *t,
				  const char **reason)
{
	if (t->count[TRY_LANE_CODE]) {
		*reason = "code changes";
		return TRY_LANE_CODE;
	}
	if (t->count[TRY_LANE_CONFIG] && t->dark_changes) {
		*reason = "mixed config and dark";
		return TRY_LANE_CODE;
	}
	if (t->count[TRY_LANE_CONFIG]) {
		*reason = "only config changes";
		return TRY_LANE_CONFIG;
	}
	if (!t->total) {
		*reason = "nothing new";
		return TRY_LANE_NONE;
	}
	if (t->dark_changes)
		*reason = "only dark commits";
	else
		*reason = "no changes";
	return TRY_LANE_DARK;
}
