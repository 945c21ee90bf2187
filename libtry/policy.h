#ifndef TRY_POLICY_H
#define TRY_POLICY_H

#include <git2.h>
#include <stdint.h>

#include "libtry/classify.h"
#include "libtry/config.h"

/*
 * The trunk-only rules, shared by the server's pre-receive hook and the
 * client's pre-push hook: what a ref update may do, and which lane it
 * takes.
 */

/* One `<old> <new> <ref>` line of a pre-receive hook's input. */
struct try_update {
	git_oid old;
	git_oid new;
	char *ref;
};

/*
 * Parses the whole input of a pre-receive hook, one update per line (a
 * final newline is optional; empty lines are ignored).  -1 with a message
 * naming the line on malformed input: not three fields, ids that are not
 * 40 hex digits, an invalid ref name.  On success the caller frees `*out`
 * with try_updates_free().
 */
int try_updates_parse(struct try_update **out, size_t *nr, const char *input,
		      size_t len);
void try_updates_free(struct try_update *updates, size_t nr);

/*
 * Parses a pre-push hook's input, `<local ref> <local id> <remote ref>
 * <remote id>` per line, into updates of the remote's refs: old is the
 * remote id, new the local one, ref the remote ref.  Errors as above.
 */
int try_updates_parse_push(struct try_update **out, size_t *nr,
			   const char *input, size_t len);

/* 1 when the id is all zeros: the ref is created or deleted. */
int try_oid_is_zero(const git_oid *id);

enum try_ref_kind {
	TRY_REF_TRUNK,   /* the trunk branch */
	TRY_REF_ALLOWED, /* matches trunk.allow */
	TRY_REF_OTHER,   /* anything else: rejected */
	TRY_REF_HOLD,    /* refs/lanes/holds/<lane>: for lanes.holders */
	TRY_REF_LANES,   /* anything else under refs/lanes/: rejected */
	TRY_REF_QUEUE,   /* refs/lanes/queue/<lane>: queue.h referees */
};

struct try_hold;
struct try_holds;

/* The policy's answer for one ref update. */
struct try_ref_result {
	enum try_ref_kind kind;
	int rejected;
	char *reason;       /* why it was rejected, or NULL */
	char *hint;         /* what to do instead, or NULL */
	const char *note;   /* why a ref that is not the trunk was accepted */
	enum try_lane lane; /* the lane of the new commits (trunk only) */
	const char *lane_reason;
	struct try_commit_lane *commits; /* the first `show` new commits */
	char **subjects;    /* their subjects, parallel to commits */
	size_t nr, alloc;
	size_t total;       /* how many new commits in all */
	struct try_lane_tally tally;
	/*
	 * The hold on the update's lane (borrowed from the policy's holds):
	 * why it was rejected, or, when `fix_passed`, what lanes.fix passed.
	 */
	const struct try_hold *hold;
	int fix_passed;
	/*
	 * The stable id of the rule that rejected it ("trunk-only",
	 * "non-fast-forward", "held", ...: docs/trust.md lists them), or NULL.
	 */
	const char *rule;
};
#define TRY_REF_RESULT_INIT { TRY_REF_OTHER, 0, NULL, NULL, NULL, \
	TRY_LANE_DARK, NULL, NULL, NULL, 0, 0, 0, TRY_LANE_TALLY_INIT, \
	NULL, 0, NULL }

void try_ref_result_release(struct try_ref_result *r);

struct try_policy {
	git_repository *repo;          /* borrowed */
	const struct try_config *cfg;  /* borrowed */
	struct try_classifier *classifier; /* borrowed */
	int64_t deadline_ms;           /* try_now_ms() limit, 0: none */
	size_t show;                   /* commits to keep for display */
	/*
	 * The refs whose history is already on the server, hidden when a ref
	 * is created: NULL on the server (every ref); a client's pre-push
	 * gives the remote's tracking refs, "refs/remotes/<remote>/".
	 */
	const char *known_prefix;
	/*
	 * The server's holds (hold.h): a trunk update whose lane is held is
	 * rejected, unless `fix` (the push option lanes.fix).  NULL: no
	 * holds are checked (a client).
	 */
	const struct try_holds *holds;
	int fix;
	/*
	 * Who pushes (identity.h), for lanes.holders on
	 * refs/lanes/holds/<lane> and lanes.fixers on a push with `fix`;
	 * NULL: not checked (a client does not know what the server will
	 * see).
	 */
	const char *pusher;
	/*
	 * The hosting platform itself pushes (Gitea/Forgejo's
	 * $GITEA_IS_INTERNAL): its updates under refs/pull/ are its own
	 * bookkeeping, not a branch, and are accepted.
	 */
	int platform_internal;
};

/* Which rule set applies to `ref`. */
enum try_ref_kind try_policy_ref_kind(const struct try_config *cfg,
				      const char *ref);

/*
 * Decides one update.  A policy rejection is a success with `out->rejected`
 * set and the reason filled in.  Returns -1 with a message when it cannot
 * decide (a missing object, an unreadable tree, the deadline passing:
 * TRY_ETIMEOUT); the caller must then reject the push, failing closed.
 *
 * For the trunk, the new commits are `new ^old`, or for a new trunk `new`
 * minus everything any existing ref reaches.  Every new commit is checked
 * for merges and for dark commits that change config paths; the lanes of
 * the first `show` commits (newest first) are kept for display.  Once the
 * range is known to be CODE, later commits that are not marked dark are not
 * walked any further: nothing they hold can change the answer.
 */
int try_policy_check(struct try_ref_result *out, struct try_policy *p,
		     const struct try_update *u);

#endif
