#ifndef TRY_DEPLOY_H
#define TRY_DEPLOY_H

#include <git2.h>
#include <stdint.h>

#include "libtry/buf.h"
#include "libtry/classify.h"
#include "libtry/config.h"

/*
 * Deploy records: what a deploy tool said went live.  The toolkit deploys
 * nothing itself; `git lanes deployed` records, and the server's
 * pre-receive hook referees, that lane <lane> of a trunk commit is live in
 * environment <env>.  The state is the ref refs/lanes/deployed/<env>/<lane>,
 * so that clones and mirrors get it with git itself.  It points at a record
 * commit of the empty tree whose parent is the record it replaces (so
 * `git log refs/lanes/deployed/production/code` is that lane's deploy
 * history) and whose message names the trunk commit:
 *
 *     deploy code to production: 1a2b3c4d5e6f
 *
 *     <the note, when given>
 *
 *     Lanes-Deploy: code
 *     Deploy-Env: production
 *     Deploy-Commit: <40 hex digits>
 *     Deployed-By: A U Thor <author@example.com>
 *     Deployed-At: 2024-05-01T12:00:00Z
 *     Deploy-Rollback: yes      (only when it is one)
 *     Deploy-Forced: yes        (only with --force)
 *     Deploy-Fix: yes           (only with --fix)
 *
 * Deployed-By is what the client said; events name the server's pusher.
 */

#define TRY_DEPLOY_REFS "refs/lanes/deployed/"
/* where a clone keeps the records it last fetched: + "<remote>/<env>/<lane>" */
#define TRY_DEPLOY_REMOTE_REFS "refs/lanes/remote-deployed/"
#define TRY_DEPLOY_DEFAULT_ENV "production"
/* longest note a record takes, in bytes */
#define TRY_DEPLOY_NOTE_MAX 4096
/* longest environment name */
#define TRY_DEPLOY_ENV_MAX 64

/*
 * 1 when `env` may name an environment: 1 to TRY_DEPLOY_ENV_MAX letters,
 * digits, '-', '_' or '.', not starting with '.' and without "..".
 */
int try_deploy_env_valid(const char *env);

/*
 * Parses a lane that deploys: "config" or "code" (any case).  -1 when it
 * is none; "dark" is none: DARK commits ride with whichever lane ships them.
 */
int try_deploy_lane_parse(enum try_lane *out, const char *s);

struct try_deploy {
	enum try_lane lane;
	char *env;
	git_oid record;   /* the record commit (zeros before it is written) */
	git_oid commit;   /* the trunk commit that went live */
	char *who;        /* Deployed-By */
	int64_t when;     /* Deployed-At, seconds since the epoch */
	char *note;       /* "" when none */
	int rollback, forced, fix;
};

/* Frees the strings and zeroes the record. */
void try_deploy_release(struct try_deploy *d);

/* Appends the message of record `d` (see above). */
void try_deploy_message(struct try_buf *out, const struct try_deploy *d);

/*
 * Fills `out` from a record commit.  -1 with a message when the commit is
 * not a record (a trailer missing or malformed); `out` must be released
 * either way.
 */
int try_deploy_parse(struct try_deploy *out, const git_commit *commit);

/*
 * Writes the record commit of `d` into `repo`'s object store (no ref), with
 * `parent` (the record it replaces, or NULL) as its parent, and stores its
 * id in `d->record`.  -1 with a message.
 */
int try_deploy_commit(struct try_deploy *d, git_repository *repo,
		      const git_oid *parent);

/*
 * Reads the record of `lane` in `env` under `prefix` (TRY_DEPLOY_REFS, or a
 * clone's TRY_DEPLOY_REMOTE_REFS "<remote>/").  TRY_ENOTFOUND when there is
 * none; -1 with a message when the ref does not hold a record.
 */
int try_deploy_load(struct try_deploy *out, git_repository *repo,
		    const char *prefix, const char *env, enum try_lane lane);

/*
 * Points refs/lanes/deployed/<env>/<lane> at `d->record`, replacing `old`
 * (NULL: there must be no record yet): a compare-and-swap.  In a bare
 * repository the ref is written directly; in a clone the record is pushed
 * to `remote` with `git push --force-with-lease`, and the clone's copy
 * under TRY_DEPLOY_REMOTE_REFS is updated.  TRY_DEPLOY_ERACE when another
 * record took its place first (bare repository), TRY_DEPLOY_EREJECTED when
 * `git push` was refused (the server said no, or lost the race); -1 with a
 * message otherwise.
 */
#define TRY_DEPLOY_EREJECTED (-21)
#define TRY_DEPLOY_ERACE (-22)
int try_deploy_set(git_repository *repo, const char *remote,
		   const struct try_deploy *d, const git_oid *old);

/*
 * Fetches `remote`'s records into TRY_DEPLOY_REMOTE_REFS "<remote>/",
 * pruning the others, with `git fetch`.  -1 with a message.
 */
int try_deploys_fetch(git_repository *repo, const char *remote);

/* 1 when `user` may record deploys: lanes.deployers empty or naming it. */
int try_deploy_may_deploy(const struct try_config *cfg, const char *user);

/*
 * The referee (pre-receive) for one update of a ref under TRY_DEPLOY_REFS,
 * `ref` moving from `old` to `new` (zeros: created, deleted), pushed by
 * `pusher` (the server's identity; NULL: not checked).  The rules:
 *   - the ref is <env>/<lane>, a valid env and a lane that deploys;
 *   - records are never deleted;
 *   - the pusher is in lanes.deployers (default: everyone);
 *   - `new` is a record for that env and lane, whose parent is `old`;
 *   - its commit is on the trunk (`cfg->trunk_ref`);
 *   - it is not behind the current record unless it is a rollback, and a
 *     rollback goes back;
 *   - going forward, a held lane (hold.h: `holds` of `lane` or all; NULL:
 *     none) takes only a fix or a forced record;
 *   - going forward, the lane may ship the commit (next.h), unless forced;
 *     a forced record needs a note.
 * Returns 0 with `*reason` NULL (accepted) or set (rejected, with `*hint`,
 * both the caller's to free); -1 with a message when it cannot decide.
 */
struct try_holds;
int try_deploy_check(char **reason, char **hint, git_repository *repo,
		     const struct try_config *cfg, struct try_classifier *c,
		     const struct try_holds *holds, const char *pusher,
		     const char *ref,
		     const git_oid *old, const git_oid *new);

/*
 * THE announcement of a recorded deploy: builds the deploy or rollback
 * event of record `d` (which replaced `from`, a trunk commit, or NULL for
 * a first record) made by `pusher`, and records it with
 * try_events_record() (journal, webhooks).  Its keys after the common
 * ones: env, lane, from (null for a first record), to, count (commits
 * between from and to, 0 for a first record), note, forced, fix, record.
 * `git lanes deployed` in the server's repository calls it; the
 * post-receive hook records the same line, made by try_deploy_event(), in
 * one batch with the push's other events.  Whatever must react to a
 * recorded deploy (the deploy queue) hooks in at these two points.
 * Failures are passed to `failed` as in try_events_record(); returns 0 or
 * -1.
 */
int try_deploy_announce(git_repository *repo, const struct try_config *cfg,
			const char *pusher, const struct try_deploy *d,
			const git_oid *from,
			void (*failed)(const char *msg, void *payload),
			void *payload);

/* Builds the event line of try_deploy_announce() without recording it. */
int try_deploy_event(struct try_buf *out, git_repository *repo,
		     const char *pusher, const struct try_deploy *d,
		     const git_oid *from);

#endif
