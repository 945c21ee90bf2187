#ifndef TRY_CONFIG_H
#define TRY_CONFIG_H

#include <git2.h>
#include <stddef.h>

/*
 * The toolkit's settings, read from git config through libgit2 (system,
 * global, repository: git's own precedence).  Every key is documented in
 * docs/ (lanes.md has the table).  A value that does not parse is an
 * error, never a silent default: a hook fails closed on it.
 */

struct try_strlist {
	char **items;
	size_t nr;
	size_t alloc;
};
#define TRY_STRLIST_INIT { NULL, 0, 0 }

void try_strlist_add(struct try_strlist *list, const char *s);
void try_strlist_release(struct try_strlist *list);

struct try_config {
	char *trunk_branch;        /* trunk.branch: "main" (no "refs/heads/") */
	char *trunk_ref;           /* "refs/heads/" + trunk_branch */
	struct try_strlist allow;  /* trunk.allow: ref globs */
	int allow_merges;          /* trunk.allowMerges */
	int timeout;               /* trunk.timeout, seconds */
	struct try_strlist config_globs; /* lanes.config: pathspec globs */
	char *dark_pattern;        /* lanes.darkPattern: pcre2 */
	int strict_dark;           /* lanes.strictDark */
	char *remote;              /* try.remote: "origin" */
	char *local_branches;      /* trunk.localBranches: warn|deny|allow */
	char *journal;             /* lanes.journal: path, or NULL (default) */
	struct try_strlist webhooks; /* lanes.webhook: URLs */
	char *webhook_secret_file; /* lanes.webhookSecretFile, or NULL */
	int webhook_timeout;       /* lanes.webhookTimeout, seconds */
	struct try_strlist holders; /* lanes.holders: user names */
	struct try_strlist pusher_env; /* trunk.pusherEnv: variable names */
	struct try_strlist fixers; /* lanes.fixers: user names */
	char *help_url;            /* trunk.helpUrl: rule docs, or NULL */
	int car_size;              /* lanes.carSize: riders per car */
	char *user;                /* lanes.user: who the server sees, or NULL */
	struct try_strlist deployers; /* lanes.deployers: user names */
	char *default_env;         /* lanes.defaultEnv: "production" */
};
#define TRY_CONFIG_INIT { NULL }

#define TRY_DEFAULT_TRUNK "main"
#define TRY_DEFAULT_ALLOW "refs/tags/*"
#define TRY_DEFAULT_TIMEOUT 4
#define TRY_DEFAULT_DARK_PATTERN "^DARK\\b"
#define TRY_DEFAULT_WEBHOOK_TIMEOUT 5
#define TRY_DEFAULT_CAR_SIZE 3

/*
 * A snapshot of `repo`'s configuration as git would read it for a command,
 * with `git -c key=value` settings ($GIT_CONFIG_PARAMETERS, which libgit2
 * 1.5 ignores) on top.  The caller frees `*out`.  -1 with a message.
 */
int try_config_snapshot(git_config **out, git_repository *repo);

/*
 * Fills `out` from `repo`'s configuration snapshot.  Returns 0, or -1 with
 * an error message naming the key when a value is invalid or the
 * configuration cannot be read.  `out` must be released either way.
 */
int try_config_load(struct try_config *out, git_repository *repo);

/* Same, from an already opened configuration (tests use this). */
int try_config_load_from(struct try_config *out, git_config *cfg,
			 git_repository *repo);

/*
 * The same without libgit2, for hooks that run on every commit: reads the
 * configuration layers with try_gitfast_config_read() for the repository
 * whose shared git directory is `commondir` (ending in '/'), which must
 * not be bare.  Returns 0 with `out` filled exactly as try_config_load()
 * would, or TRY_GITFAST_FALLBACK when it cannot be sure: a value it does
 * not certainly accept (the libgit2 path then gives git's answer or the
 * error message), includes, core.bare set.  `out` must be released either
 * way, also when $GIT_CONFIG_PARAMETERS is set (try_config_snapshot()
 * applies it).
 */
int try_config_load_fast(struct try_config *out, const char *commondir);

void try_config_release(struct try_config *cfg);

/*
 * Reads one string key; `*out` is NULL when the key is not set.  Returns 0
 * or -1 with an error message.  The caller frees `*out`.
 */
int try_config_get_string(char **out, git_config *cfg, const char *key);

/* Appends every value of a multi-valued key to `list`. */
int try_config_get_multi(struct try_strlist *list, git_config *cfg,
			 const char *key);

/* Reads a bool; `*out` keeps its value when unset. */
int try_config_get_bool(int *out, git_config *cfg, const char *key);

#endif
