#ifndef TRY_WALK_H
#define TRY_WALK_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

#include "libtry/classify.h"

/*
 * A history walk made for classifying many commits: every commit object is
 * read and inflated once, and yields what the classifier and the reports
 * need (tree, first parent, time, subject, author).  libgit2's revwalk
 * reads each commit, then git_commit_lookup() reads it again; over a
 * 50,000-commit history that doubled the cost of the whole classification.
 *
 * Semantics are git's `rev-list`: the commits reachable from the pushed
 * tips and not from the hidden ones, newest first by committer date, the
 * walk stopping (as git does, with a small slop for clock skew) once only
 * hidden history is left to visit.
 */

struct try_walk_commit {
	git_oid id;
	git_oid tree;
	git_oid parent;    /* first parent; all zeros for a root commit */
	unsigned nparents;
	int64_t time;      /* committer time */
	char *subject;     /* first line of the message */
	char *author;      /* "Name <email>", only with TRY_WALK_AUTHOR */
};

enum try_walk_flags {
	TRY_WALK_AUTHOR = (1 << 0), /* keep authors */
};

struct try_walk;

/* A new walk over `repo` (borrowed). */
int try_walk_new(struct try_walk **out, git_repository *repo, unsigned flags);
void try_walk_free(struct try_walk *w);

/*
 * Adds a tip to show, or to hide.  The id must name a commit; -1 with a
 * message when the object is missing or is not a commit.
 */
int try_walk_push(struct try_walk *w, const git_oid *id);
int try_walk_hide(struct try_walk *w, const git_oid *id);

/*
 * Walks.  Afterwards try_walk_count() commits are there to read, newest
 * first.  -1 with a message when a commit cannot be read.
 */
int try_walk_run(struct try_walk *w);
size_t try_walk_count(const struct try_walk *w);
/* Borrowed; valid until the walk is freed. */
const struct try_walk_commit *try_walk_get(const struct try_walk *w, size_t i);

/* The parents of the `i`th commit; `*nr` of them.  Borrowed. */
const git_oid *try_walk_parents(const struct try_walk *w, size_t i,
				unsigned *nr);

/*
 * Classifies the `i`th commit against its first parent.  The walk keeps the
 * last two root trees: newest first, a commit's parent tree is the next
 * commit's own, so each tree is read once.
 */
int try_walk_classify(struct try_commit_lane *out, struct try_walk *w,
		      struct try_classifier *c, size_t i);

/*
 * The tree of `c`'s first parent (zeros for a root commit), from the walk
 * when the parent was visited, else read from the repository.
 */
int try_walk_parent_tree(git_oid *out, struct try_walk *w,
			 const struct try_walk_commit *c);

#endif
