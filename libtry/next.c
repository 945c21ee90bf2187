#include "libtry/next.h"
#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/walk.h"

#include <stdlib.h>
#include <string.h>

void try_next_release(struct try_next *n)
{
	free(n->stop_subject);
	memset(n, 0, sizeof(*n));
}

/* Commits of `tip` not reachable from `hide1` or `hide2` (either NULL). */
static int count_range(size_t *out, git_repository *repo, const git_oid *tip,
		       const git_oid *hide1, const git_oid *hide2)
{
	struct try_walk *w = NULL;
	int ret = -1;

	if (try_walk_new(&w, repo, 0) < 0 || try_walk_push(w, tip) < 0 ||
	    (hide1 && try_walk_hide(w, hide1) < 0) ||
	    (hide2 && try_walk_hide(w, hide2) < 0) || try_walk_run(w) < 0)
		goto done;
	*out = try_walk_count(w);
	ret = 0;
done:
	try_walk_free(w);
	return ret;
}

struct slot {
	git_oid id;
	size_t i;
};

static int cmp_slot(const void *a, const void *b)
{
	return git_oid_cmp(&((const struct slot *)a)->id,
			   &((const struct slot *)b)->id);
}

/* The walk index of `id`, or -1 when it is not in the walk. */
static long find(const struct slot *slots, size_t n, const git_oid *id)
{
	struct slot key, *s;

	git_oid_cpy(&key.id, id);
	s = bsearch(&key, slots, n, sizeof(*slots), cmp_slot);
	return s ? (long)s->i : -1;
}

static int next_config(struct try_next *out, git_repository *repo,
		       struct try_classifier *c, const git_oid *tip,
		       const git_oid *code, const git_oid *config)
{
	struct try_lane_tally tally = TRY_LANE_TALLY_INIT;
	struct try_walk *w = NULL;
	struct slot *slots = NULL;
	size_t *chain = NULL, n, len = 0, k, i;
	long at, pos_cfg = -1;
	int merges = 0, ret = -1;

	if (try_walk_new(&w, repo, 0) < 0 || try_walk_push(w, tip) < 0 ||
	    try_walk_hide(w, code) < 0 || try_walk_run(w) < 0)
		goto done;
	n = try_walk_count(w);
	if (!n) {
		/* the code lane is at the tip: config may follow it there */
		out->has_next = 1;
		git_oid_cpy(&out->next, tip);
		ret = 0;
		goto done;
	}
	slots = try_xcalloc(n, sizeof(*slots));
	chain = try_xcalloc(n, sizeof(*chain));
	for (i = 0; i < n; i++) {
		const struct try_walk_commit *wc = try_walk_get(w, i);
		git_oid_cpy(&slots[i].id, &wc->id);
		slots[i].i = i;
		merges |= wc->nparents > 1;
	}
	qsort(slots, n, sizeof(*slots), cmp_slot);
	/* the first-parent line from the tip down to the code deploy */
	for (at = find(slots, n, tip); at >= 0 && len < n;
	     at = find(slots, n, &try_walk_get(w, (size_t)at)->parent))
		chain[len++] = (size_t)at;
	/* oldest first */
	for (i = 0; i < len / 2; i++) {
		size_t t = chain[i];
		chain[i] = chain[len - 1 - i];
		chain[len - 1 - i] = t;
	}
	for (i = 0; config && i < len; i++)
		if (git_oid_equal(&try_walk_get(w, chain[i])->id, config))
			pos_cfg = (long)i;

	for (k = 0; k < len; k++) {
		struct try_commit_lane cl = TRY_COMMIT_LANE_INIT;
		const char *why;

		if (try_walk_classify(&cl, w, c, chain[k]) < 0)
			goto done;
		try_lane_tally_add(&tally, &cl);
		try_commit_lane_release(&cl);
		if (try_lane_tally_lane(&tally, &why) == TRY_LANE_CODE) {
			/* release kept the lane; only the path is gone */
			const struct try_walk_commit *wc =
				try_walk_get(w, chain[k]);
			out->stopped = out->has_stop = 1;
			git_oid_cpy(&out->stop, &wc->id);
			out->stop_lane = cl.lane;
			out->stop_subject = try_xstrdup(wc->subject);
			out->why = cl.lane == TRY_LANE_CODE ?
				   "a CODE commit: the code lane ships it "
				   "first" :
				   "it would flip a flag before the dark code "
				   "it switches on is live: the code lane "
				   "ships it first";
			break;
		}
	}

	if (pos_cfg >= (long)k) {
		/* config stands beyond a commit code has not shipped */
		out->why = "the config lane is ahead of the code lane over "
			   "this commit (code rolled back?): code ships it "
			   "again first, or config rolls back";
	} else {
		out->has_next = 1;
		if (k > 0)
			git_oid_cpy(&out->next, &try_walk_get(w, chain[k - 1])->id);
		else
			git_oid_cpy(&out->next, code);
		if (pos_cfg >= 0 && (long)k - 1 <= pos_cfg)
			git_oid_cpy(&out->next, config);
	}

	if (merges) {
		/* the first-parent line is not every commit: count them */
		if (count_range(&out->waiting, repo, tip, code, config) < 0 ||
		    (out->has_next &&
		     count_range(&out->shippable, repo, &out->next, code,
				 config) < 0))
			goto done;
	} else {
		size_t base = pos_cfg >= 0 ? (size_t)pos_cfg + 1 : 0;
		out->waiting = len - base;
		out->shippable = out->has_next && k > base ? k - base : 0;
	}
	ret = 0;
done:
	free(chain);
	free(slots);
	try_walk_free(w);
	return ret;
}

int try_next_compute(struct try_next *out, git_repository *repo,
		     struct try_classifier *c, enum try_lane lane,
		     const git_oid *tip, const git_oid *code,
		     const git_oid *config)
{
	memset(out, 0, sizeof(*out));
	out->lane = lane;
	if (lane == TRY_LANE_CODE) {
		out->has_next = 1;
		git_oid_cpy(&out->next, tip);
		if (count_range(&out->waiting, repo, tip, code, NULL) < 0)
			return -1;
		out->shippable = out->waiting;
		return 0;
	}
	if (lane != TRY_LANE_CONFIG) {
		try_error_set("the %s lane does not deploy on its own",
			      try_lane_key(lane));
		return -1;
	}
	if (!code) {
		out->stopped = 1;
		out->why = "no code deploy recorded: the config lane cannot "
			   "tell which code is live";
		return count_range(&out->waiting, repo, tip, config, NULL);
	}
	return next_config(out, repo, c, tip, code, config);
}
