#ifndef TRY_NEXT_H
#define TRY_NEXT_H

#include <git2.h>
#include <stddef.h>

#include "libtry/classify.h"

/*
 * What a lane can ship now, from what is deployed (deploy.h).  The rule:
 *
 *   - the code lane ships everything up to the trunk's tip;
 *   - the config lane ships config files only: it moves forward over the
 *     commits the code lane has not shipped yet as long as they make a
 *     range that is not CODE (try_lane_tally_lane(): CONFIG commits,
 *     empty commits, or DARK commits not mixed with CONFIG ones), and it
 *     stops before the first commit that would make it CODE: a code change,
 *     or a flag flipped after the dark code it switches on;
 *   - DARK commits ride with whichever lane ships their commit.
 *
 * The trunk is walked along first parents from the code lane's deploy; a
 * merge (trunk.allowMerges) counts as what it brings against its first
 * parent.  When the config lane stands beyond a commit that stops it (the
 * code lane was rolled back behind it), it can ship nothing until the code
 * lane ships that commit again.
 */

struct try_next {
	enum try_lane lane;
	int has_next;
	git_oid next;       /* newest commit the lane can ship now */
	size_t waiting;     /* trunk commits not live in the lane yet */
	size_t shippable;   /* of those, what a deploy of `next` ships */
	int stopped;        /* the lane cannot reach the tip */
	int has_stop;
	git_oid stop;       /* the first commit it may not pass */
	enum try_lane stop_lane;
	char *stop_subject; /* its subject, or NULL */
	const char *why;    /* static text: why it stops, or NULL */
};

void try_next_release(struct try_next *n);

/*
 * Fills `out` for `lane` (config or code) with the trunk at `tip` and the
 * commits the code and config records name (NULL: no record).  The config
 * lane without a code record stops at once (`why` says so).  -1 with a
 * message when a commit cannot be read.
 */
int try_next_compute(struct try_next *out, git_repository *repo,
		     struct try_classifier *c, enum try_lane lane,
		     const git_oid *tip, const git_oid *code,
		     const git_oid *config);

#endif
