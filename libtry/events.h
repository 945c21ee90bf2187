#ifndef TRY_EVENTS_H
#define TRY_EVENTS_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

#include "libtry/buf.h"
#include "libtry/classify.h"
#include "libtry/config.h"
#include "libtry/policy.h"

/*
 * Lane events: what an accepted trunk update shipped, as one JSON object
 * (the schema is in docs/events.md, "Deploy visibility").  The post-receive hook appends
 * every event to the journal (journal.h) and queues it for every webhook
 * in a spool under the git directory, from which it is delivered in order.
 */

/* Events list at most this many commits; `count` has them all. */
#define TRY_EVENT_MAX_COMMITS 1000

/*
 * The pushing user with the default trunk.pusherEnv order: kept for
 * callers without a configuration at hand; it does not honour
 * trunk.pusherEnv.  Prefer try_identity_pusher() (identity.h) with the
 * repository's configuration.  Never fails; caller frees `*out`.
 */
void try_events_pusher(char **out);

/*
 * 1 when the push carries the push option `name` (exactly, or as
 * `name=<value>`): $GIT_PUSH_OPTION_COUNT and $GIT_PUSH_OPTION_<n>, which
 * git sets for pre-receive and post-receive when the server advertises
 * push options.
 */
int try_events_push_option(const char *name);

/*
 * The repository's name for events: $GL_PROJECT_PATH (GitLab),
 * $GITEA_REPO_USER_NAME/$GITEA_REPO_NAME (Gitea), $GITHUB_REPO_NAME, else
 * the absolute path of the git directory without a trailing '/'.  Caller
 * frees `*out`.
 */
void try_events_repository(char **out, git_repository *repo);

struct try_event_commit {
	git_oid id;
	enum try_lane lane;
	char *subject; /* first line of the message, as valid UTF-8 */
	char *author;  /* "Name <email>", as valid UTF-8 */
};

struct try_event {
	char id[37];        /* random UUID (version 4) */
	char time[32];      /* "2024-05-01T12:00:00.123Z" */
	char *repository;
	char *ref;
	git_oid old, new;
	char *pusher;
	enum try_lane lane;
	const char *reason; /* static, from try_lane_tally_lane() */
	int fix;            /* pushed with -o lanes.fix */
	size_t count;       /* new commits in all */
	struct try_event_commit *commits; /* newest first, at most the max */
	size_t nr, alloc;
	/*
	 * The hold a fix passed (borrowed): with `passed_lane` set, the
	 * event carries "hold": {"lane", "id", "held_by"} before "type".
	 */
	const char *passed_lane;
	git_oid passed_hold;
	const char *passed_by;
};

/* Frees everything the event owns and zeroes it. */
void try_event_release(struct try_event *ev);

/* Gives the event a fresh random id and the current time. */
int try_event_stamp(struct try_event *ev);

/*
 * Fills `ev`'s ref, old, new, lane, reason, count and commits for update `u`
 * as the post-receive hook sees it, after the refs moved: the new commits
 * are `new ^old`; for a new ref, `new` minus everything reachable from
 * refs this push did not touch (`all`, `nall`: every update of the push).
 * The first `max` commits are listed (newest first); the rest are only
 * counted and, until the lane is known, classified.  -1 with a message
 * when an object is missing.
 */
int try_event_build(struct try_event *ev, git_repository *repo,
		    struct try_classifier *c, const struct try_update *u,
		    const struct try_update *all, size_t nall, size_t max);

/*
 * Appends the event as one line of compact JSON, without a newline.  Its
 * last key is `"type":"push"`.
 */
int try_event_to_json(struct try_buf *out, const struct try_event *ev);

/*
 * Every event kind other than a push (a hold, a release, a deploy, a queue
 * change) starts the same way: `*out` becomes a new JSON object with the
 * keys id (a fresh random UUID), time, type, repository and pusher (the
 * authenticated user who caused it), in that order; the caller adds the
 * kind's own keys and hands it to try_event_object_dump().  -1 with a
 * message when no random id can be had (then `*out` is NULL).
 */
struct json_t;
int try_event_object(struct json_t **out, const char *type,
		     git_repository *repo, const char *pusher);

/*
 * Appends `o` as one line of compact JSON in key order, without a newline,
 * and drops the caller's reference to it.  -1 with a message.
 */
int try_event_object_dump(struct try_buf *out, struct json_t *o);

/*
 * Records `n` event lines (compact JSON, no newline): each is appended to
 * the journal and queued for every webhook, all under the journal's lock so
 * that every webhook sees journal order.  A line the journal or a spool
 * does not take does not stop the others: each failure is passed to
 * `failed` (may be NULL) with its message, and -1 is returned at the end;
 * 0 when everything was recorded.  Delivery is the caller's
 * (try_webhook_flush()).
 */
int try_events_record(git_repository *repo, const struct try_config *cfg,
		      const struct try_buf *lines, size_t n,
		      void (*failed)(const char *msg, void *payload),
		      void *payload);

/*
 * The webhook spool: for each URL a folder <git dir>/lanes/spool/<key>/
 * (`key` is derived from the URL, which is kept beside the events in a file
 * named `url`) holding one file per undelivered event, named by a sequence
 * number: delivery goes in that order and stops at the first failure, so a
 * receiver sees events in journal order.
 */

/*
 * Queues `body` (`len` bytes, one event) for `url`.  Call it while holding
 * the journal's lock, so that spool order is journal order.  The file is
 * synced before it is renamed into place.  -1 with a message on failure.
 */
int try_spool_add(git_repository *repo, const char *url, const char *body,
		  size_t len);

/* A webhook's spool. */
struct try_spool_info {
	char *url;
	size_t waiting;  /* events not yet delivered */
	int configured;  /* the URL is still in lanes.webhook */
};

/*
 * Every spool folder of `repo`, also those of URLs no longer configured
 * (their events are kept: nothing is dropped silently).  Caller frees with
 * try_spool_info_free().
 */
int try_spool_list(struct try_spool_info **out, size_t *nr,
		   git_repository *repo, const struct try_config *cfg);
void try_spool_info_free(struct try_spool_info *info, size_t nr);

/* What one round of delivery to a webhook did. */
struct try_delivery {
	size_t delivered; /* events the receiver took in this round */
	size_t waiting;   /* events still in the spool */
	int busy;         /* another process was delivering until the deadline */
	char *error;      /* why delivery stopped, or NULL */
};
#define TRY_DELIVERY_INIT { 0, 0, 0, NULL }

void try_delivery_release(struct try_delivery *d);

/*
 * Delivers the events spooled for `url`, oldest first: each is POSTed as
 * application/json with `X-Lanes-Event: <id>` and, when
 * lanes.webhookSecretFile is set, `X-Lanes-Signature: sha256=<HMAC-SHA256
 * of the body>`.  An answer 2xx removes the event from the spool; anything
 * else (no answer, another status) stops the round, keeping that event and
 * all after it, with the reason in `out->error`.  Events spooled while the
 * round runs are delivered in it too.
 *
 * One process delivers to a URL at a time (a lock in its spool folder).
 * With `deadline_ms` (a try_now_ms() limit; the post-receive hook's budget)
 * the lock and the answers are awaited only until then; with 0 the lock is
 * awaited and each request has lanes.webhookTimeout seconds.
 *
 * Returns 0 when the round ran, whatever it delivered; -1 with a message
 * when the spool cannot be read.  Release `out` either way.  The caller has
 * called curl_global_init().
 */
int try_webhook_flush(struct try_delivery *out, git_repository *repo,
		      const struct try_config *cfg, const char *url,
		      int64_t deadline_ms);

#endif
