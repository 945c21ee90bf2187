#ifndef TRY_QUEUE_H
#define TRY_QUEUE_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

#include "libtry/buf.h"
#include "libtry/classify.h"
#include "libtry/config.h"
#include "libtry/policy.h"

/*
 * The push train: per lane (code, config) a queue of cars, each a few
 * riders; the first car deploys and its first rider drives.  The queue of
 * a lane is refs/lanes/queue/<lane>, a commit whose tree holds one file,
 * `queue`, in the text format below, and whose message says which action
 * made it from its parent (see docs/train.md):
 *
 *     lanes-queue 1 code
 *     car verifying
 *     rider alice ready 1764672000 fix the checkout
 *     rider bob good 1764672060
 *     car
 *     rider carol waiting 1764672120
 *
 * Every line ends in '\n'; fields are separated by one space; a car line
 * has the flags `verifying` and then `uhoh`, each at most once, in that
 * order; a rider line has a user name, a state, the time it was entered
 * (seconds since the epoch) and, after one more space, an optional note.
 * A car has at least one rider and a user rides once.  Only the head car
 * may be verifying.
 *
 * Every change is a pure transition (try_queue_apply()): the clone that
 * proposes it and the server's pre-receive hook that referees it run the
 * same code, and the hook accepts a new queue only when it is exactly what
 * the action named in the commit gives from the old queue for the
 * authenticated pusher.
 */

#define TRY_QUEUE_REFS "refs/lanes/queue/"
/* where a clone keeps the queues it last fetched: + "<remote>/<lane>" */
#define TRY_QUEUE_REMOTE_REFS "refs/lanes/remote-queue/"
/* the file in the queue commit's tree */
#define TRY_QUEUE_FILE "queue"

/* Bounds on outside input. */
#define TRY_QUEUE_MAX_BYTES (256u << 10) /* the queue file */
#define TRY_QUEUE_MAX_RIDERS 1000
#define TRY_QUEUE_MAX_USER 64            /* bytes of a user name */
#define TRY_QUEUE_MAX_NOTE 200           /* bytes of a note */
#define TRY_QUEUE_DEFAULT_CAR_SIZE 3

/* A refused transition or a queue that breaks the rules. */
#define TRY_QUEUE_EREFUSED (-30)
/* A push that lost a race: the queue moved meanwhile. */
#define TRY_QUEUE_ERACE (-31)

enum try_queue_state {
	TRY_QUEUE_WAITING, /* joined, change not yet in the trunk */
	TRY_QUEUE_READY,   /* change in the trunk, ready to deploy */
	TRY_QUEUE_GOOD,    /* verified in production */
};

/* "waiting", "ready", "good". */
const char *try_queue_state_key(enum try_queue_state s);

enum try_queue_car_flags {
	TRY_QUEUE_CAR_VERIFYING = (1 << 0), /* deployed, being verified */
	TRY_QUEUE_CAR_UHOH = (1 << 1),      /* someone said uh-oh */
};

struct try_queue_rider {
	char *user;
	enum try_queue_state state;
	int64_t since; /* when it entered that state, seconds since the epoch */
	char *note;    /* NULL when none */
};

struct try_queue_car {
	struct try_queue_rider *riders; /* riders[0] drives the head car */
	size_t nr, alloc;
	unsigned flags;
};

struct try_queue {
	enum try_lane lane; /* TRY_LANE_CODE or TRY_LANE_CONFIG */
	struct try_queue_car *cars; /* cars[0] is the head car */
	size_t nr, alloc;
};

/* An empty queue of `lane`. */
void try_queue_init(struct try_queue *q, enum try_lane lane);
/* Frees everything the queue holds and leaves it empty. */
void try_queue_release(struct try_queue *q);

/*
 * Parses a lane name that has a queue ("code" or "config", exactly);
 * -1 when it is none.
 */
int try_queue_lane_parse(enum try_lane *out, const char *s);

/*
 * 1 when `s` (NUL-terminated) is a valid user name: 1 to
 * TRY_QUEUE_MAX_USER bytes of letters, digits and ". _ @ + -", not
 * starting with '-'.
 */
int try_queue_user_valid(const char *s);

/*
 * Checks a note: at most TRY_QUEUE_MAX_NOTE bytes, no control characters
 * (so no newline).  0, or TRY_QUEUE_EREFUSED with a message.
 */
int try_queue_note_check(const char *note);

/*
 * Parses `len` bytes of the text format above into `out` (initialised by
 * the call).  Strict: anything else, over the bounds, a duplicate rider,
 * an empty car, a verifying car other than the head car, gives
 * TRY_QUEUE_EREFUSED with a message naming the line.  `out` must be
 * released either way.
 */
int try_queue_parse(struct try_queue *out, const char *text, size_t len);

/* Appends `q` in the text format; parsing it gives `q` back. */
void try_queue_serialise(struct try_buf *out, const struct try_queue *q);

/* Copies `src` into `out` (initialised by the call). */
void try_queue_copy(struct try_queue *out, const struct try_queue *src);

/* Where `user` rides: 0 and its car and index, or TRY_ENOTFOUND. */
int try_queue_find(size_t *car, size_t *idx, const struct try_queue *q,
		   const char *user);

/* The driver (first rider of the head car), or NULL; borrowed. */
const char *try_queue_driver(const struct try_queue *q);

/* 1 when every rider of car `i` is at least `state`. */
int try_queue_car_all(const struct try_queue *q, size_t i,
		      enum try_queue_state state);

enum try_queue_verb {
	TRY_QUEUE_JOIN,
	TRY_QUEUE_LEAVE,
	TRY_QUEUE_READY_VERB,
	TRY_QUEUE_GOOD_VERB,
	TRY_QUEUE_UHOH,
	TRY_QUEUE_DRIVE,
	TRY_QUEUE_DONE,
	TRY_QUEUE_KICK,
	TRY_QUEUE_DEPLOYED,
};

/* "join", "leave", ...; the verb of a name, -1 when it is none. */
const char *try_queue_verb_key(enum try_queue_verb v);
int try_queue_verb_parse(enum try_queue_verb *out, const char *s);

enum try_queue_action_flags {
	TRY_QUEUE_HOLDER = (1 << 0), /* the actor is in lanes.holders */
	TRY_QUEUE_HELD = (1 << 1),   /* the lane is held right now */
};

/*
 * One action on a queue.  Strings are borrowed.  `user` is whom it moves
 * (join <user>, ready <user>, drive <user>, kick <user>); NULL: the actor.
 */
struct try_queue_action {
	enum try_queue_verb verb;
	const char *actor;
	const char *user;
	const char *with;   /* join: ride in this user's car */
	const char *before; /* join: a car of one just before this user's */
	const char *note;
	int64_t when;
	unsigned flags;
	size_t car_size;    /* lanes.carSize */
};

/* What an applied action did, for messages and events. */
struct try_queue_result {
	size_t car;       /* 1-based car of the user moved, 0: none */
	char *done_car;   /* "alice, bob" when a car ended, else NULL */
	int deploy;       /* the head car became all ready: its driver deploys */
};
#define TRY_QUEUE_RESULT_INIT { 0, NULL, 0 }

void try_queue_result_release(struct try_queue_result *r);

/*
 * The checks of `a` that need no queue: valid actor and user names, a
 * note within bounds.  0, or TRY_QUEUE_EREFUSED with the reason.
 */
int try_queue_action_check(const struct try_queue_action *a);

/*
 * Applies `a` to `q` in place; `out` (may be NULL) says what it did.  The
 * rules, the whole referee (docs/train.md):
 *  - join: at the back, a new car when the last is full (`car_size`) or
 *    verifying; --with into that user's car even when full; --before a car
 *    of one just before that user's car.  Joining someone else is for the
 *    driver and holders, and with --before also for the rider passed.
 *  - leave: yourself.  ready: waiting -> ready.  good: a rider of the head
 *    car once it is verifying; when all are good the car is done and the
 *    next moves up.  ready and good of someone else: driver, holders.
 *  - uhoh: anyone, with a note: marks the head car.
 *  - drive <user>: the driver or a holder hands the wheel within the head
 *    car.  done: the driver or a holder ends the head car.  kick <user>:
 *    the driver or a holder.  deployed: the driver or a holder marks the
 *    head car verifying, not while the lane is held.
 * Names with spaces or newlines, notes over the bound, states moving back,
 * joining twice are refused.  Returns 0, or TRY_QUEUE_EREFUSED with the
 * reason as the message (then `q` is unchanged).
 */
int try_queue_apply(struct try_queue *q, const struct try_queue_action *a,
		    struct try_queue_result *out);

/*
 * Human lines (without newlines, joined by '\n') saying what `a` did, as a
 * chat would: "alice joined car 2 (code)", "car 1 (alice, bob): all ready,
 * alice deploys", "bob: uh-oh, code lane held: 500s on checkout".  `q` is
 * the queue after the action.
 */
void try_queue_describe(struct try_buf *out, const struct try_queue *q,
			const struct try_queue_action *a,
			const struct try_queue_result *r);

/*
 * The message of a queue commit for action `a` (the trailers Queue-Action,
 * Queue-Actor, Queue-User, Queue-With, Queue-Before, Queue-Note,
 * Queue-Time), and back: `out`'s strings then point into `msg`'s copy in
 * `store`, which the caller releases.  TRY_QUEUE_EREFUSED with a message
 * on a malformed message.
 */
void try_queue_action_message(struct try_buf *out, enum try_lane lane,
			      const struct try_queue_action *a);
int try_queue_action_parse(struct try_queue_action *out,
			   struct try_buf *store, const char *msg);

/*
 * Reads the queue a commit holds (`id` NULL or not found: an empty queue
 * of `lane`).  TRY_QUEUE_EREFUSED when it does not parse or is of another
 * lane; -1 with a message when git fails.
 */
int try_queue_read(struct try_queue *out, git_repository *repo,
		   const git_oid *id, enum try_lane lane);

/*
 * Writes the commit of queue `q` made by `a`, with `parent` (NULL: none),
 * into `repo`'s object store.  -1 with a message.
 */
int try_queue_commit(git_oid *out, git_repository *repo,
		     const struct try_queue *q,
		     const struct try_queue_action *a, const git_oid *parent);

/*
 * The referee's view of one update of refs/lanes/queue/<lane>, computed
 * from the old queue, the action in the new commit and the pusher.
 */
struct try_queue_update {
	struct try_queue old, new;
	struct try_queue_action action;
	struct try_buf store;          /* holds the action's strings */
	struct try_queue_result result;
};

void try_queue_update_release(struct try_queue_update *up);

/*
 * Checks update `u` of a queue ref pushed by `pusher` (NULL: not
 * checked): the new commit's parent is the old one, its action, applied to
 * the old queue by the pusher (lanes.holders: try_hold_may_hold() with the
 * list not empty; `held`: the lane is held), gives exactly its tree, its
 * time is within 10 minutes of the server's clock.  Deleting a queue is
 * for holders.  0 with `out` filled when accepted; TRY_QUEUE_EREFUSED
 * with the reason as message; -1 with a message when git fails.  Release
 * `out` either way.
 */
int try_queue_check(struct try_queue_update *out, git_repository *repo,
		    const struct try_config *cfg, const struct try_update *u,
		    const char *pusher, int held);

/*
 * The events of an accepted update as JSON lines: one `"type":"queue"`
 * event with action, user, lane, car and note (plus `text`, the line of
 * try_queue_describe()), then one with action `deploy` when the head car
 * became all ready and one with action `next` when a car ended.  Appends
 * to `*lines` (grown; `*n` counts).  -1 with a message.
 */
int try_queue_events(struct try_buf **lines, size_t *n, git_repository *repo,
		     const char *pusher, const struct try_queue_update *up);

/*
 * Whether the lanes.holders privilege applies to `user`: the list is not
 * empty and names `user` (an empty list lets everyone hold, but gives
 * no one the queue's privileges).
 */
int try_queue_is_holder(const struct try_config *cfg, const char *user);

/*
 * Changes the queue of `lane` with action `a` (its actor, note and time
 * filled; `when` 0: now).  In a bare repository the ref is updated there
 * with compare-and-swap and the events recorded; in a clone the queue is
 * fetched from `remote` (with the holds), the action applied, and pushed
 * with a lease, retrying a bounded number of times when another push won
 * the race.  `out` (may be NULL) gets the queue as it is after the
 * action; `res` what it did.  TRY_QUEUE_EREFUSED with the reason (ours,
 * or the server's); -1 with a message when git fails.  The caller
 * releases `out` and `res`.
 */
int try_queue_change(struct try_queue *out, struct try_queue_result *res,
		     git_repository *repo, const struct try_config *cfg,
		     enum try_lane lane, struct try_queue_action *a);

/*
 * The queue of `lane` as last fetched (clone) or as it is (bare
 * repository); with `fetch`, fetched first.  -1 / TRY_QUEUE_EREFUSED
 * with a message.
 */
int try_queue_load(struct try_queue *out, git_repository *repo,
		   const struct try_config *cfg, enum try_lane lane,
		   int fetch);

/*
 * "Lane X was deployed by U": what issue 9's `git lanes deployed` calls.
 * Moves the head car of `lane` to verifying, as the action `deployed`.
 */
int try_queue_deployed(git_repository *repo, const struct try_config *cfg,
		       enum try_lane lane, const char *user);

struct try_hold;

/*
 * Appends the queue for a person: a line per car (its number, what it is
 * doing, the driver, uh-oh) and per rider (name, state, since when, note),
 * "empty" for no car, after the hold on the lane when `hold` is not NULL.
 * `color`: ANSI colours for states, uh-oh and holds.  Text from the queue
 * is made terminal-safe.
 */
void try_queue_status_text(struct try_buf *out, const struct try_queue *q,
			   const struct try_hold *hold, int color);

/*
 * The queue as JSON: {"lane", "held", "cars": [{"car", "driver", "state",
 * "uhoh", "riders": [{"user", "state", "note", "since"}]}]}; `held` is the
 * hold's description or null, `since` ISO 8601 UTC, a car's state
 * "boarding", "deploying" (all ready) or "verifying".  Caller owns it.
 */
struct json_t;
struct json_t *try_queue_status_json(const struct try_queue *q,
				     const struct try_hold *hold);

/*
 * Who the server will see pushing from here: lanes.user, else in a clone
 * the user name in the remote's URL (https://alice@host/...), else
 * try_events_pusher().
 * Caller frees.
 */
void try_queue_whoami(char **out, git_repository *repo,
		      const struct try_config *cfg);

#endif
