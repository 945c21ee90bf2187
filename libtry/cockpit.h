#ifndef TRY_COCKPIT_H
#define TRY_COCKPIT_H

#include <git2.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "libtry/hold.h"

/*
 * The cockpit's view of one server repository, as JSON: the API layer under
 * `git lanes serve`.  The page (page.h) and the metrics (metrics.h) are
 * rendered from these objects, and /api/ serves them as they are, so the
 * three always agree.  Everything is read from the repository itself (the
 * refs under refs/lanes/, the trunk, the journal, the webhook spool), never
 * from a copy: what is cached here is keyed by what it was computed from.
 *
 * A cockpit is not thread-safe: one thread at a time (serve.c holds a lock
 * per cockpit).
 */

/* The pending commits listed per repository, at most. */
#define TRY_COCKPIT_PENDING_MAX 500
/* Timeline events per page. */
#define TRY_COCKPIT_PAGE_SIZE 50

struct try_cockpit;

/* The settings of `git lanes serve` for a repository (git config). */
struct try_cockpit_auth {
	char *user_header;   /* lanes.serveUserHeader, or NULL */
	int trust_proxy;     /* lanes.serveTrustProxy */
	struct try_strlist proxies; /* lanes.serveProxyFrom (addresses) */
};

/*
 * Opens the repository at `path` (a bare server repository, or a clone) and
 * reads its configuration; the cockpit's name is the last path component
 * without ".git".  -1 with a message.  Free with try_cockpit_free().
 */
int try_cockpit_open(struct try_cockpit **out, const char *path);
void try_cockpit_free(struct try_cockpit *c);

/* The name used in URLs; borrowed. */
const char *try_cockpit_name(const struct try_cockpit *c);
/* The serve settings; borrowed. */
const struct try_cockpit_auth *try_cockpit_auth(const struct try_cockpit *c);

/* What the timeline shows: filters (NULL or "" for none) and a page. */
struct try_cockpit_query {
	const char *lane;
	const char *type;
	const char *person;
	size_t page; /* 0: the newest events */
	int summary; /* counts only: no timeline, no commit lists */
};

/*
 * Builds the state of the repository as one JSON object (the /api/ schema
 * in docs/cockpit.md): name, trunk, stamp, holds, lanes (pending commits
 * per lane), timeline (one page of journal events, newest first, filtered
 * by `q`), totals (events by type and lane), webhooks (spool depth per
 * destination).  `q` may be NULL.  The caller owns `*out`.  -1 with a
 * message when the repository cannot be read.
 */
int try_cockpit_state(json_t **out, struct try_cockpit *c,
		      const struct try_cockpit_query *q);

/*
 * A short hex digest of what the page shows (refs under refs/lanes/, the
 * trunk, the journal's size, the spool): it changes when the page would.
 * `out` gets 16 hex digits and a NUL.
 */
int try_cockpit_stamp(char out[17], struct try_cockpit *c);

/*
 * Holds `scope` for `user` (an authenticated name from the server) with
 * `reason`, through hold.c with the checks of `git lanes hold`: the user
 * must be allowed by lanes.holders, and a lane held already is refused
 * unless `force`.  TRY_COCKPIT_EDENIED with a message when the user may
 * not hold; 1 with a message when refused otherwise (held already, no
 * reason); 0 when held; -1 with a message on failure.
 */
#define TRY_COCKPIT_EDENIED 2

int try_cockpit_hold(struct try_cockpit *c, const char *user,
		     enum try_hold_scope scope, const char *reason, int force);

/*
 * Releases `scope` for `user`, with the same checks.  TRY_COCKPIT_EDENIED
 * when the user may not; 1 with a message when the lane is not held; 0
 * when released; -1 on failure.
 */
int try_cockpit_release(struct try_cockpit *c, const char *user,
			enum try_hold_scope scope);

#endif
