#include "libtry/config.h"
#include "libtry/buf.h"
#include "libtry/error.h"

#include <stdlib.h>
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
			if (!*out->config_globs.items[i]) {
				try_error_set("lanes.config: empty glob");
				return -1;
			}
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
	    try_config_get_multi(&out->holders, cfg, "lanes.holders") < 0)
		return -1;
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
	return 0;
}

int try_config_load(struct try_config *out, git_repository *repo)
{
	git_config *cfg = NULL;
	int ret;

	if (git_repository_config_snapshot(&cfg, repo) < 0) {
		memset(out, 0, sizeof(*out));
		try_error_from_git("cannot read git config");
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
	try_strlist_release(&cfg->holders);
	memset(cfg, 0, sizeof(*cfg));
}
