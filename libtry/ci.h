#ifndef TRY_CI_H
#define TRY_CI_H

#include <git2.h>
#include <stddef.h>

#include "libtry/config.h"

/*
 * `git try` backends: a patch and its base go to a CI system, which runs the
 * tests; the submission is then followed until every job has a result.
 */

enum try_ci_state {
	TRY_CI_QUEUED,
	TRY_CI_RUNNING,
	TRY_CI_PASSED,
	TRY_CI_FAILED,      /* the tests failed */
	TRY_CI_NOT_APPLIED, /* the patch did not apply */
	TRY_CI_ERROR,       /* exception, cancelled, lost */
};

/* 1 for PASSED, FAILED, NOT_APPLIED and ERROR. */
int try_ci_state_final(enum try_ci_state s);
/* "queued", "running", "passed", "failed", "patch did not apply", "error" */
const char *try_ci_state_name(enum try_ci_state s);

/*
 * One word for the state, for JSON and records: "queued", "running",
 * "passed", "failed", "not-applied", "error".
 */
const char *try_ci_state_word(enum try_ci_state s);

/* The state a word of try_ci_state_word() names; -1 for another word. */
int try_ci_state_from_word(enum try_ci_state *out, const char *word);

/* One builder's (or job's) build. */
struct try_ci_job {
	char *name;   /* builder or job name */
	enum try_ci_state state;
	char *url;    /* its web page, or NULL until known */
	char *detail; /* short text from the CI (state string, step), or NULL */
	char *step;   /* the failing step's name, or NULL */
	char *log;    /* the end of the failing step's log (try.logLines
		       * lines, all with --log), or NULL */
	char *log_url; /* where that log is, whole, or NULL */
	char *handle; /* the backend's own words to find the build again
		       * (Buildbot: "<builderid>:<brid>"), or NULL */
};

/* What a submission sends. */
struct try_ci_request {
	const char *id;      /* unique id of this try */
	const char *base;    /* 40-hex base commit the patch was made on */
	const char *branch;  /* the trunk branch */
	const char *patch;   /* git binary patch, a/ b/ prefixes */
	size_t patch_len;
	const char *author;  /* "Name <email>" */
	const char *reason;  /* one line */
};

/* try.* settings. */
struct try_ci_settings {
	char *backend;              /* try.backend: local (default), buildbot, jenkins, webhook */
	char *url;                  /* try.url */
	char *scheduler;            /* try.scheduler (buildbot), default "try" */
	struct try_strlist builders; /* try.builders (buildbot) */
	char *job;                  /* try.job (jenkins) */
	char *secret_file;          /* try.secretFile (webhook) */
	char *command;              /* try.command (local), default "make check" */
	int poll_ms;                /* try.pollInterval in ms, default 1000 */
	int connect_timeout_ms;     /* try.connectTimeout, default 5000 */
	int timeout_ms;             /* try.requestTimeout, default 30000 */
	struct try_strlist apply_steps; /* try.applyStep (buildbot): the steps
				     * that check out and apply the patch;
				     * default "git" */
	int verbose;                /* not a key: show HTTP exchanges on
				     * stderr, secrets masked (git try -v) */
	int log_lines;              /* try.logLines: lines of a failed
				     * step's log to fetch, default 30;
				     * 0: the whole log (git try --log) */
	int history;                /* try.history: tries kept in
				     * <gitdir>/try/, default 100 */
};
#define TRY_CI_SETTINGS_INIT { NULL }

/*
 * Fills `out` from the configuration of `repo` (try.* keys), with the
 * defaults above for what is unset.  Durations (try.pollInterval,
 * try.connectTimeout, try.requestTimeout) are milliseconds, or a number
 * with the unit "ms" or "s".  Returns 0, or -1 with a message naming the key
 * whose value is invalid; `out` must be released either way.
 */
int try_ci_settings_load(struct try_ci_settings *out, git_repository *repo);

/* Same, from an opened configuration (tests use this). */
int try_ci_settings_load_from(struct try_ci_settings *out, git_config *cfg);

void try_ci_settings_release(struct try_ci_settings *s);

/* A named choice of what runs: try.preset.<name>.* */
struct try_ci_preset {
	char *backend;                /* .backend, or NULL */
	char *command;                /* .command, or NULL */
	struct try_strlist builders;  /* .builders (multi-valued) */
};

/*
 * Reads try.preset.<name>.backend, .command and .builders of `repo` into
 * `out`.  Returns 0, or -1 with a message when no such key is set (an
 * unknown preset) or `name` is not a plain name.  Release `out` with
 * try_ci_preset_release() either way.
 */
int try_ci_preset_load(struct try_ci_preset *out, git_repository *repo,
		       const char *name);

void try_ci_preset_release(struct try_ci_preset *p);

/* A submission being followed: the jobs it started and its overall URL. */
struct try_ci_result {
	struct try_ci_job *jobs;
	size_t nr, alloc;
	char *url;       /* a page for the whole submission, or NULL */
};

#define TRY_CI_RESULT_INIT { NULL, 0, 0, NULL }

/* Frees the jobs and the URL; `r` is left empty. */
void try_ci_result_release(struct try_ci_result *r);

/*
 * Appends a job called `name` (copied), QUEUED, without URL or detail, and
 * returns it; the pointer is valid until the next call.
 */
struct try_ci_job *try_ci_result_add(struct try_ci_result *r,
				     const char *name);

/* Replaces `*field` (a job's url or detail, the result's url) by a copy of
 * `value` (NULL: none). */
void try_ci_set(char **field, const char *value);

/*
 * Sets `*log` (a job's log) to the last `lines` lines of `text` (`len`
 * bytes; NUL bytes end it early), or all of it when `lines` is 0, with a
 * final newline; to NULL when that is empty.  The previous value is freed.
 */
void try_ci_set_log_tail(char **log, const char *text, size_t len,
			 int lines);

/* Appends copies of the jobs of `src` (and its URL when `out` has none). */
void try_ci_result_copy(struct try_ci_result *out,
			const struct try_ci_result *src);

/* The overall state: the worst final state, else RUNNING/QUEUED. */
enum try_ci_state try_ci_result_state(const struct try_ci_result *r);

/*
 * A remote backend.  submit() sends the request and fills `res` with what is
 * known (jobs may still be queued); poll() refreshes `res`.  Both return 0,
 * or -1 with a message when the CI cannot be reached or refuses (the caller
 * exits 128).  `state` is the backend's own, freed with free_state().
 */
struct try_ci_backend {
	const char *name;
	int (*submit)(void **state, const struct try_ci_settings *s,
		      const struct try_ci_request *req, struct try_ci_result *res);
	int (*poll)(void *state, struct try_ci_result *res);
	void (*free_state)(void *state);
	/*
	 * Follows a submission made earlier (git try show): `res` holds the
	 * jobs as recorded, with their handles; sets up `*state` so that
	 * poll() refreshes them.  NULL when the backend cannot.
	 */
	int (*resume)(void **state, const struct try_ci_settings *s,
		      struct try_ci_result *res);
	/*
	 * The builders (or jobs) a try can run, into `out`; -1 with a
	 * message when the CI cannot be asked.  NULL when the backend
	 * cannot list them.
	 */
	int (*list_builders)(struct try_strlist *out,
			     const struct try_ci_settings *s);
	/* 1 when the CI runs its own test command (--command is moot). */
	int own_command;
};

/* The remote backend called `name`, or NULL ("local" is not one). */
const struct try_ci_backend *try_ci_backend_find(const char *name);

extern const struct try_ci_backend try_ci_buildbot;
extern const struct try_ci_backend try_ci_jenkins;
extern const struct try_ci_backend try_ci_webhook;

#endif
