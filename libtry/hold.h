#ifndef TRY_HOLD_H
#define TRY_HOLD_H

#include <git2.h>
#include <stdint.h>

#include "libtry/buf.h"
#include "libtry/classify.h"
#include "libtry/config.h"

/*
 * Holds stop a deploy lane: while refs/lanes/holds/<lane> exists on the
 * server, its pre-receive hook rejects trunk updates of that lane (`all`
 * stops every lane), unless pushed with `-o lanes.fix`.  A hold is a commit
 * of the empty tree whose message carries the reason, who holds the lane
 * and since when:
 *
 *     hold code: checkout is down
 *
 *     checkout is down
 *
 *     Lanes-Hold: code
 *     Held-By: A U Thor <author@example.com>
 *     Held-Since: 2024-05-01T12:00:00Z
 */

#define TRY_LANES_REFS "refs/lanes/"
#define TRY_HOLD_REFS "refs/lanes/holds/"
/* where a clone keeps the holds it last fetched: + "<remote>/<scope>" */
#define TRY_HOLD_REMOTE_REFS "refs/lanes/remote-holds/"

enum try_hold_scope {
	TRY_HOLD_DARK = TRY_LANE_DARK,
	TRY_HOLD_CONFIG = TRY_LANE_CONFIG,
	TRY_HOLD_CODE = TRY_LANE_CODE,
	TRY_HOLD_ALL = TRY_LANE_COUNT,
};
#define TRY_HOLD_SCOPES (TRY_LANE_COUNT + 1)

/* "dark", "config", "code", "all". */
const char *try_hold_scope_key(enum try_hold_scope s);
/* Parses one of those (any case); -1 when it is none. */
int try_hold_scope_parse(enum try_hold_scope *out, const char *s);

struct try_hold {
	enum try_hold_scope scope;
	git_oid id;     /* the hold commit */
	char *reason;   /* as given, may hold newlines */
	char *who;
	int64_t since;  /* seconds since the epoch */
};

struct try_holds {
	struct try_hold *items;
	size_t nr, alloc;
};
#define TRY_HOLDS_INIT { NULL, 0, 0 }

void try_holds_release(struct try_holds *holds);

/*
 * Reads the holds under `prefix` (TRY_HOLD_REFS, or a clone's
 * TRY_HOLD_REMOTE_REFS "<remote>/"), in scope order.  Refs whose last
 * component is not a scope, or that do not point at a commit, are skipped.
 * -1 with a message when the refs cannot be read.
 */
int try_holds_load(struct try_holds *out, git_repository *repo,
		   const char *prefix);

/*
 * The hold that stops a trunk update of `lane`: the hold on that lane, else
 * the hold on all; NULL when the lane is open.  Borrowed from `holds`.
 */
const struct try_hold *try_holds_blocking(const struct try_holds *holds,
					  enum try_lane lane);

/*
 * Fills `out` from a hold commit's message (the trailers above), falling
 * back to the committer and its time, and to the subject for the reason.
 * `out->scope` is left alone.
 */
void try_hold_parse(struct try_hold *out, const git_commit *commit);
void try_hold_release(struct try_hold *hold);

/*
 * Appends "held by <who> since <YYYY-MM-DD HH:MM> UTC: <first line of the
 * reason>", made safe for a terminal.
 */
void try_hold_describe(struct try_buf *out, const struct try_hold *hold);

/* Appends the message of a new hold (see above). */
void try_hold_message(struct try_buf *out, enum try_hold_scope scope,
		      const char *reason, const char *who, int64_t when);

/*
 * Writes a hold commit into `repo`'s object store (no ref) and gives its
 * id.  -1 with a message on failure.
 */
int try_hold_commit(git_oid *out, git_repository *repo,
		    enum try_hold_scope scope, const char *reason,
		    const char *who, int64_t when);

/*
 * Who holds, as git names a committer: "Name <email>" from
 * $GIT_COMMITTER_NAME and $GIT_COMMITTER_EMAIL, else user.name and
 * user.email (else $EMAIL); the OS user when there is no name.  Caller
 * frees.
 */
void try_hold_who(char **out, git_repository *repo);

/*
 * 1 when `user` may push holds: lanes.holders is empty, or lists `user`
 * (values may hold several names separated by spaces or commas).
 */
int try_hold_may_hold(const struct try_config *cfg, const char *user);

/*
 * 1 when `user` may pass a hold with `git push -o lanes.fix`: listed in
 * lanes.fixers, or, when that is empty, allowed by try_hold_may_hold().
 */
int try_hold_may_fix(const struct try_config *cfg, const char *user);

/*
 * Sets (`id` non-NULL) or deletes (`id` NULL) refs/lanes/holds/<scope>.  In
 * a bare repository the ref is written directly; in a clone the change is
 * pushed to `remote` with `git push` (its output goes to our stderr, so the
 * server's reasons are seen), `force` replacing a hold that is already
 * there, and the clone's copy under TRY_HOLD_REMOTE_REFS is updated.
 * TRY_ENOTFOUND when releasing a hold that is not there (bare repository
 * only); TRY_HOLD_EREJECTED when `git push` was refused (a ref rejected:
 * not a holder, held already, no such hold); -1 with a message when git
 * fails otherwise.
 */
#define TRY_HOLD_EREJECTED (-20)

int try_hold_set(git_repository *repo, const char *remote,
		 enum try_hold_scope scope, const git_oid *id, int force);

/*
 * Fetches `remote`'s holds into TRY_HOLD_REMOTE_REFS "<remote>/", pruning
 * those released there, with `git fetch`.  -1 with a message on failure.
 */
int try_holds_fetch(git_repository *repo, const char *remote);

/*
 * The same, giving up after `timeout_ms` (0: no limit): TRY_ETIMEOUT with
 * a message when git fetch took longer (it is killed), -1 when it failed.
 */
int try_holds_fetch_within(git_repository *repo, const char *remote,
			   int timeout_ms);

/*
 * The server's record of a hold that `id` names in refs/lanes/holds/<scope>
 * (post-receive, after a push set it): when its Held-By is not `pusher`
 * (the authenticated user, identity.h), a copy of the hold with Held-By
 * `pusher` and the client's claim kept as `Claimed-By:` is written and the
 * ref is moved to it, only if it still points at `id`.  `*out` is the hold
 * the ref now names (`id` when nothing changed).  -1 with a message when
 * the hold cannot be read or written.
 */
int try_hold_vouch(git_oid *out, git_repository *repo,
		   enum try_hold_scope scope, const git_oid *id,
		   const char *pusher);

/*
 * Appends the event (events.h, one line of JSON, no newline) of a change
 * of refs/lanes/holds/<scope> from `old` to `new` by `pusher`: type "hold"
 * when `new` is a hold (with "replaces": `old` when it replaced one),
 * "release" when `new` is zero; keys lane, hold (the hold commit set or
 * released), reason, held_by and since as the hold commit says.  Used by
 * post-receive and by `git lanes hold/release` in the bare repository.
 * -1 with a message when the new hold cannot be read.
 */
int try_hold_event(struct try_buf *out, git_repository *repo,
		   enum try_hold_scope scope, const git_oid *old,
		   const git_oid *new, const char *pusher);

#endif
