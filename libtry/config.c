#include "libtry/config.h"
#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/gitfast.h"
#include "libtry/glob.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

void try_strlist_add(struct try_strlist *list, const char *s)
{
	TRY_ARRAY_GROW(list->items, list->nr + 1, list->alloc);
	list->items[list->nr++] = try_xstrdup(s);
}

void try_strlist_release(struct try_strlist *list)
{
	size_t i;

	for (i = 0; i < list->nr; i++)
		free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->nr = list->alloc = 0;
}

int try_config_get_string(char **out, git_config *cfg, const char *key)
{
	git_buf value = GIT_BUF_INIT;
	int error;

	*out = NULL;
	error = git_config_get_string_buf(&value, cfg, key);
	if (error == GIT_ENOTFOUND)
		return 0;
	if (error < 0) {
		try_error_from_git(key);
		return -1;
	}
	*out = try_xstrdup(value.ptr);
	git_buf_dispose(&value);
	return 0;
}

int try_config_get_bool(int *out, git_config *cfg, const char *key)
{
	int error = git_config_get_bool(out, cfg, key);

	if (error == GIT_ENOTFOUND)
		return 0;
	if (error < 0) {
		try_error_from_git(key);
		return -1;
	}
	return 0;
}

static int add_value(const git_config_entry *entry, void *payload)
{
	try_strlist_add(payload, entry->value ? entry->value : "");
	return 0;
}

int try_config_get_multi(struct try_strlist *list, git_config *cfg,
			 const char *key)
{
	int error = git_config_get_multivar_foreach(cfg, key, NULL, add_value,
						    list);

	if (error == GIT_ENOTFOUND)
		return 0;
	if (error < 0) {
		try_error_from_git(key);
		return -1;
	}
	return 0;
}

static int default_trunk(char **out, git_repository *repo)
{
	git_reference *head = NULL;
	const char *target;

	*out = NULL;
	if (repo && git_repository_is_bare(repo) &&
	    git_reference_lookup(&head, repo, "HEAD") == 0 &&
	    git_reference_type(head) == GIT_REFERENCE_SYMBOLIC) {
		target = git_reference_symbolic_target(head);
		if (!strncmp(target, "refs/heads/", 11) && target[11])
			*out = try_xstrdup(target + 11);
	}
	git_reference_free(head);
	if (!*out)
		*out = try_xstrdup(TRY_DEFAULT_TRUNK);
	return 0;
}

static int valid_branch(const char *name)
{
	struct try_buf ref = TRY_BUF_INIT;
	int valid = 0;

	try_buf_addf(&ref, "refs/heads/%s", name);
	if (git_reference_name_is_valid(&valid, ref.ptr) < 0)
		valid = 0;
	try_buf_release(&ref);
	return valid;
}

int try_config_load_from(struct try_config *out, git_config *cfg,
			 git_repository *repo)
{
	struct try_buf ref = TRY_BUF_INIT;
	int64_t timeout = TRY_DEFAULT_TIMEOUT;
	int error;

	memset(out, 0, sizeof(*out));

	if (try_config_get_string(&out->trunk_branch, cfg, "trunk.branch") < 0)
		return -1;
	if (out->trunk_branch && !strncmp(out->trunk_branch, "refs/heads/", 11)) {
		char *b = try_xstrdup(out->trunk_branch + 11);
		free(out->trunk_branch);
		out->trunk_branch = b;
	}
	if (!out->trunk_branch && default_trunk(&out->trunk_branch, repo) < 0)
		return -1;
	if (!valid_branch(out->trunk_branch)) {
		try_error_set("trunk.branch: invalid branch name '%s'",
			      out->trunk_branch);
		return -1;
	}
	try_buf_addf(&ref, "refs/heads/%s", out->trunk_branch);
	out->trunk_ref = try_buf_detach(&ref);

	if (try_config_get_multi(&out->allow, cfg, "trunk.allow") < 0)
		return -1;
	if (!out->allow.nr)
		try_strlist_add(&out->allow, TRY_DEFAULT_ALLOW);

	if (try_config_get_bool(&out->allow_merges, cfg, "trunk.allowMerges") < 0)
		return -1;

	error = git_config_get_int64(&timeout, cfg, "trunk.timeout");
	if (error < 0 && error != GIT_ENOTFOUND) {
		try_error_from_git("trunk.timeout");
		return -1;
	}
	if (timeout < 1 || timeout > 86400) {
		try_error_set("trunk.timeout: %lld is not a number of seconds "
			      "from 1 to 86400", (long long)timeout);
		return -1;
	}
	out->timeout = (int)timeout;

	if (try_config_get_multi(&out->config_globs, cfg, "lanes.config") < 0)
		return -1;
	{
		size_t i;
		for (i = 0; i < out->config_globs.nr; i++) {
			char *norm = NULL;

			if (try_pathspec_normalize(&norm, "lanes.config",
					out->config_globs.items[i]) < 0)
				return -1;
			free(norm);
		}
	}

	if (try_config_get_string(&out->dark_pattern, cfg,
				  "lanes.darkPattern") < 0)
		return -1;
	if (!out->dark_pattern)
		out->dark_pattern = try_xstrdup(TRY_DEFAULT_DARK_PATTERN);

	if (try_config_get_bool(&out->strict_dark, cfg, "lanes.strictDark") < 0)
		return -1;

	if (try_config_get_string(&out->remote, cfg, "try.remote") < 0)
		return -1;
	if (!out->remote)
		out->remote = try_xstrdup("origin");

	if (try_config_get_string(&out->local_branches, cfg,
				  "trunk.localBranches") < 0)
		return -1;
	if (!out->local_branches)
		out->local_branches = try_xstrdup("warn");
	if (strcmp(out->local_branches, "warn") &&
	    strcmp(out->local_branches, "deny") &&
	    strcmp(out->local_branches, "allow")) {
		try_error_set("trunk.localBranches: '%s' is not warn, deny or "
			      "allow", out->local_branches);
		return -1;
	}

	if (try_config_get_string(&out->journal, cfg, "lanes.journal") < 0)
		return -1;
	if (out->journal && !*out->journal) {
		try_error_set("lanes.journal: empty path");
		return -1;
	}
	if (try_config_get_multi(&out->webhooks, cfg, "lanes.webhook") < 0 ||
	    try_config_get_string(&out->webhook_secret_file, cfg,
				  "lanes.webhookSecretFile") < 0 ||
	    try_config_get_multi(&out->holders, cfg, "lanes.holders") < 0 ||
	    try_config_get_multi(&out->pusher_env, cfg, "trunk.pusherEnv") < 0 ||
	    try_config_get_multi(&out->fixers, cfg, "lanes.fixers") < 0 ||
	    try_config_get_string(&out->help_url, cfg, "trunk.helpUrl") < 0 ||
	    try_config_get_multi(&out->deployers, cfg, "lanes.deployers") < 0 ||
	    try_config_get_string(&out->default_env, cfg,
				  "lanes.defaultEnv") < 0)
		return -1;
	if (out->default_env && !*out->default_env) {
		try_error_set("lanes.defaultEnv: empty name");
		return -1;
	}
	if (!out->default_env)
		out->default_env = try_xstrdup("production");
	timeout = TRY_DEFAULT_WEBHOOK_TIMEOUT;
	error = git_config_get_int64(&timeout, cfg, "lanes.webhookTimeout");
	if (error < 0 && error != GIT_ENOTFOUND) {
		try_error_from_git("lanes.webhookTimeout");
		return -1;
	}
	if (timeout < 1 || timeout > 600) {
		try_error_set("lanes.webhookTimeout: %lld is not a number of "
			      "seconds from 1 to 600", (long long)timeout);
		return -1;
	}
	out->webhook_timeout = (int)timeout;
	timeout = TRY_DEFAULT_CAR_SIZE;
	error = git_config_get_int64(&timeout, cfg, "lanes.carSize");
	if (error < 0 && error != GIT_ENOTFOUND) {
		try_error_from_git("lanes.carSize");
		return -1;
	}
	if (timeout < 1 || timeout > 100) {
		try_error_set("lanes.carSize: %lld is not a number of riders "
			      "from 1 to 100", (long long)timeout);
		return -1;
	}
	out->car_size = (int)timeout;
	return try_config_get_string(&out->user, cfg, "lanes.user");
}

/* One `git -c` setting as config file text: [section] name = "value". */
static int add_param(const char *key, const char *value, void *data)
{
	struct try_buf *text = data;
	const char *dot = strrchr(key, '.');

	if (!dot || dot == key)
		return 0;
	try_buf_addf(text, "[%.*s]\n\t%s", (int)(dot - key), key, dot + 1);
	if (value) {
		try_buf_adds(text, " = \"");
		for (; *value; value++) {
			switch (*value) {
			case '"': try_buf_adds(text, "\\\""); break;
			case '\\': try_buf_adds(text, "\\\\"); break;
			case '\n': try_buf_adds(text, "\\n"); break;
			case '\t': try_buf_adds(text, "\\t"); break;
			default: try_buf_addch(text, *value);
			}
		}
		try_buf_addch(text, '"');
	}
	try_buf_addch(text, '\n');
	return 0;
}

/*
 * libgit2 has no public in-memory configuration: the settings go through a
 * temporary file, added once as the highest level of the repository's
 * configuration; libgit2 keeps what it parsed after the file is gone.
 */
static int add_command_line(git_repository *repo)
{
	static const git_repository *done;
	struct try_buf text = TRY_BUF_INIT;
	char path[] = "/tmp/try-config.XXXXXX";
	git_config *live = NULL;
	int fd = -1, ret = -1;

	if (done == repo)
		return 0;
	if (try_gitfast_config_parameters(add_param, &text) < 0)
		goto done;
	if (!text.len) {
		ret = 0;
		goto done;
	}
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text.ptr, text.len) != (ssize_t)text.len) {
		try_error_set("cannot apply git -c settings: %s", strerror(errno));
		goto done;
	}
	if (git_repository_config(&live, repo) < 0 ||
	    git_config_add_file_ondisk(live, path, GIT_CONFIG_LEVEL_APP, repo,
				       0) < 0) {
		try_error_from_git("cannot apply git -c settings");
		goto done;
	}
	done = repo;
	ret = 0;
done:
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	git_config_free(live);
	try_buf_release(&text);
	return ret;
}

int try_config_snapshot(git_config **out, git_repository *repo)
{
	*out = NULL;
	if (getenv("GIT_CONFIG_PARAMETERS") && add_command_line(repo) < 0)
		return -1;
	if (git_repository_config_snapshot(out, repo) < 0) {
		try_error_from_git("cannot read git config");
		return -1;
	}
	return 0;
}

int try_config_load(struct try_config *out, git_repository *repo)
{
	git_config *cfg = NULL;
	int ret;

	if (try_config_snapshot(&cfg, repo) < 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	ret = try_config_load_from(out, cfg, repo);
	git_config_free(cfg);
	return ret;
}

void try_config_release(struct try_config *cfg)
{
	free(cfg->trunk_branch);
	free(cfg->trunk_ref);
	try_strlist_release(&cfg->allow);
	try_strlist_release(&cfg->config_globs);
	free(cfg->dark_pattern);
	free(cfg->remote);
	free(cfg->local_branches);
	free(cfg->journal);
	try_strlist_release(&cfg->webhooks);
	free(cfg->webhook_secret_file);
	free(cfg->user);
	try_strlist_release(&cfg->holders);
	try_strlist_release(&cfg->pusher_env);
	try_strlist_release(&cfg->fixers);
	free(cfg->help_url);
	try_strlist_release(&cfg->deployers);
	free(cfg->default_env);
	memset(cfg, 0, sizeof(*cfg));
}

/* ------------------------------------------------------------------ */
/* without libgit2 */

enum fast_kind { FAST_STRING, FAST_BOOL, FAST_INT, FAST_MULTI };

/* Every key try_config_load_from() reads, in lower case. */
static const struct {
	const char *key;
	enum fast_kind kind;
} fast_keys[] = {
	{ "trunk.branch", FAST_STRING },
	{ "trunk.allow", FAST_MULTI },
	{ "trunk.allowmerges", FAST_BOOL },
	{ "trunk.timeout", FAST_INT },
	{ "lanes.config", FAST_MULTI },
	{ "lanes.darkpattern", FAST_STRING },
	{ "lanes.strictdark", FAST_BOOL },
	{ "try.remote", FAST_STRING },
	{ "trunk.localbranches", FAST_STRING },
	{ "lanes.journal", FAST_STRING },
	{ "lanes.webhook", FAST_MULTI },
	{ "lanes.webhooksecretfile", FAST_STRING },
	{ "lanes.webhooktimeout", FAST_INT },
	{ "lanes.holders", FAST_MULTI },
	{ "lanes.carsize", FAST_INT },
	{ "lanes.user", FAST_STRING },
	{ "core.bare", FAST_BOOL },
	{ "lanes.deployers", FAST_MULTI },
	{ "lanes.defaultenv", FAST_STRING },
	{ "trunk.pusherenv", FAST_MULTI },
	{ "lanes.fixers", FAST_MULTI },
	{ "trunk.helpurl", FAST_STRING },
};
#define FAST_NKEYS (sizeof(fast_keys) / sizeof(*fast_keys))

enum fast_key {
	K_BRANCH, K_ALLOW, K_ALLOW_MERGES, K_TIMEOUT, K_CONFIG, K_DARK,
	K_STRICT_DARK, K_REMOTE, K_LOCAL_BRANCHES, K_JOURNAL, K_WEBHOOK,
	K_SECRET, K_WEBHOOK_TIMEOUT, K_HOLDERS, K_CAR_SIZE, K_USER,
	K_BARE, K_DEPLOYERS, K_DEFAULT_ENV, K_PUSHER_ENV, K_FIXERS, K_HELP_URL,
};

struct fast_values {
	struct try_strlist v[FAST_NKEYS]; /* every value; "" for none */
	int null_value[FAST_NKEYS];       /* the last one had no '=' */
};

static int fast_cb(const char *key, const char *value, void *data)
{
	struct fast_values *fv = data;
	size_t i;

	for (i = 0; i < FAST_NKEYS; i++) {
		if (strcmp(key, fast_keys[i].key))
			continue;
		try_strlist_add(&fv->v[i], value ? value : "");
		fv->null_value[i] = !value;
		break;
	}
	return 0;
}

/* The last value of a key, NULL when unset. */
static const char *fast_last(const struct fast_values *fv, enum fast_key k)
{
	return fv->v[k].nr ? fv->v[k].items[fv->v[k].nr - 1] : NULL;
}

/* A plain decimal within [min, max]; 1 (fall back) for anything else. */
static int fast_int(int *out, const struct fast_values *fv, enum fast_key k,
		    int def, int min, int max)
{
	const char *v = fast_last(fv, k);
	long n = 0;

	*out = def;
	if (!v)
		return 0;
	/* libgit2 reads "010" as octal and knows k/m/g suffixes */
	if (fv->null_value[k] || !*v || *v == '0' || strlen(v) > 6 ||
	    strspn(v, "0123456789") != strlen(v))
		return 1;
	n = strtol(v, NULL, 10);
	if (n < min || n > max)
		return 1;
	*out = (int)n;
	return 0;
}

/* A string key; 1 (fall back) for a key without a value. */
static int fast_string(char **out, const struct fast_values *fv,
		       enum fast_key k, const char *def)
{
	const char *v = fast_last(fv, k);

	if (v && fv->null_value[k])
		return 1;
	v = v ? v : def;
	*out = v ? try_xstrdup(v) : NULL;
	return 0;
}

static int fast_bool(int *out, const struct fast_values *fv, enum fast_key k)
{
	const char *v = fast_last(fv, k);
	int b;

	if (!v)
		return 0;
	b = try_gitfast_parse_bool(fv->null_value[k] ? NULL : v);
	if (b < 0)
		return 1;
	*out = b;
	return 0;
}

static void fast_multi(struct try_strlist *out, const struct fast_values *fv,
		       enum fast_key k)
{
	size_t i;

	for (i = 0; i < fv->v[k].nr; i++)
		try_strlist_add(out, fv->v[k].items[i]);
}

int try_config_load_fast(struct try_config *out, const char *commondir)
{
	struct fast_values fv;
	struct try_buf ref = TRY_BUF_INIT;
	const char *lb;
	int bare = 0, ret = TRY_GITFAST_FALLBACK;
	size_t i;

	memset(out, 0, sizeof(*out));
	memset(&fv, 0, sizeof(fv));
	/* `git -c` settings: try_config_snapshot() applies them */
	if (getenv("GIT_CONFIG_PARAMETERS"))
		goto done;
	if (try_gitfast_config_read(commondir, fast_cb, &fv))
		goto done;
	if (fast_last(&fv, K_BARE) && (fast_bool(&bare, &fv, K_BARE) || bare))
		goto done;

	if (fast_string(&out->trunk_branch, &fv, K_BRANCH, TRY_DEFAULT_TRUNK))
		goto done;
	if (!strncmp(out->trunk_branch, "refs/heads/", 11)) {
		char *b = try_xstrdup(out->trunk_branch + 11);
		free(out->trunk_branch);
		out->trunk_branch = b;
	}
	if (!try_gitfast_branch_name_ok(out->trunk_branch))
		goto done;
	try_buf_addf(&ref, "refs/heads/%s", out->trunk_branch);
	out->trunk_ref = try_buf_detach(&ref);

	fast_multi(&out->allow, &fv, K_ALLOW);
	if (!out->allow.nr)
		try_strlist_add(&out->allow, TRY_DEFAULT_ALLOW);
	if (fast_bool(&out->allow_merges, &fv, K_ALLOW_MERGES) ||
	    fast_int(&out->timeout, &fv, K_TIMEOUT, TRY_DEFAULT_TIMEOUT, 1,
		     86400))
		goto done;
	fast_multi(&out->config_globs, &fv, K_CONFIG);
	for (i = 0; i < out->config_globs.nr; i++) {
		char *norm = NULL;

		/* the full loader says why */
		if (try_pathspec_normalize(&norm, "lanes.config",
					   out->config_globs.items[i]) < 0)
			goto done;
		free(norm);
	}
	if (fast_string(&out->dark_pattern, &fv, K_DARK,
			TRY_DEFAULT_DARK_PATTERN) ||
	    fast_bool(&out->strict_dark, &fv, K_STRICT_DARK) ||
	    fast_string(&out->remote, &fv, K_REMOTE, "origin") ||
	    fast_string(&out->local_branches, &fv, K_LOCAL_BRANCHES, "warn"))
		goto done;
	lb = out->local_branches;
	if (strcmp(lb, "warn") && strcmp(lb, "deny") && strcmp(lb, "allow"))
		goto done;
	if (fast_string(&out->journal, &fv, K_JOURNAL, NULL) ||
	    (out->journal && !*out->journal))
		goto done;
	fast_multi(&out->webhooks, &fv, K_WEBHOOK);
	if (fast_string(&out->webhook_secret_file, &fv, K_SECRET, NULL))
		goto done;
	fast_multi(&out->holders, &fv, K_HOLDERS);
	fast_multi(&out->pusher_env, &fv, K_PUSHER_ENV);
	fast_multi(&out->fixers, &fv, K_FIXERS);
	if (fast_string(&out->help_url, &fv, K_HELP_URL, NULL))
		goto done;
	fast_multi(&out->deployers, &fv, K_DEPLOYERS);
	if (fast_string(&out->default_env, &fv, K_DEFAULT_ENV, "production") ||
	    !*out->default_env)
		goto done;
	if (fast_int(&out->webhook_timeout, &fv, K_WEBHOOK_TIMEOUT,
		     TRY_DEFAULT_WEBHOOK_TIMEOUT, 1, 600) ||
	    fast_int(&out->car_size, &fv, K_CAR_SIZE, TRY_DEFAULT_CAR_SIZE, 1,
		     100) ||
	    fast_string(&out->user, &fv, K_USER, NULL))
		goto done;
	ret = 0;
done:
	for (i = 0; i < FAST_NKEYS; i++)
		try_strlist_release(&fv.v[i]);
	try_buf_release(&ref);
	return ret;
}
