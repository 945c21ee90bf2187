#ifndef TRY_CLASSIFY_H
#define TRY_CLASSIFY_H

#include <git2.h>
#include <stddef.h>

#include "libtry/buf.h"
#include "libtry/config.h"

/*
 * Deploy lanes.  DARK: shipped but not executed (behind a flag); CONFIG: only
 * flag and configuration files, quickly reversible; CODE: the full train.
 * The order matters: a higher lane is the more careful one.
 */
enum try_lane {
	TRY_LANE_DARK = 0,
	TRY_LANE_CONFIG = 1,
	TRY_LANE_CODE = 2,
	/*
	 * A range with no new commits: nothing to deploy, not a lane.  Never
	 * the lane of a commit; not counted in TRY_LANE_COUNT.
	 */
	TRY_LANE_NONE = 3,
};
#define TRY_LANE_COUNT 3

/* "DARK", "CONFIG", "CODE", "NONE". */
const char *try_lane_name(enum try_lane lane);
/* "dark", "config", "code", "none": the form JSON and commands use. */
const char *try_lane_key(enum try_lane lane);
/* Parses a lane name in either case; -1 when it is none. */
int try_lane_parse(enum try_lane *out, const char *s);

enum try_commit_flags {
	TRY_COMMIT_MARKED_DARK = (1 << 0), /* subject matches darkPattern */
	TRY_COMMIT_EMPTY = (1 << 1),       /* changes no path */
	TRY_COMMIT_DARK_CONFIG = (1 << 2), /* marked dark, changes config */
	TRY_COMMIT_MERGE = (1 << 3),       /* more than one parent */
	TRY_COMMIT_ROOT = (1 << 4),        /* no parent */
};

/* The lane of one commit and why. */
struct try_commit_lane {
	git_oid id;
	enum try_lane lane;
	unsigned flags;
	/* the path that decided the lane (a directory ends in '/'), or NULL */
	char *path;
};
#define TRY_COMMIT_LANE_INIT { { { 0 } }, TRY_LANE_DARK, 0, NULL }

void try_commit_lane_release(struct try_commit_lane *cl);

/* Appends the human reason: "changes code path 'src/a.c'". */
void try_commit_lane_reason(struct try_buf *out,
			    const struct try_commit_lane *cl);

/*
 * A classifier holds the compiled settings: the config globs and the dark
 * pattern.  It borrows `repo`, which must outlive it.
 */
struct try_classifier;

/*
 * Compiles `cfg`'s lanes.config and lanes.darkPattern.  -1 with a message
 * naming the key when the pattern does not compile.
 */
int try_classifier_new(struct try_classifier **out, git_repository *repo,
		       const struct try_config *cfg);
void try_classifier_free(struct try_classifier *c);

/* 1 when `path` is a config path (matches a lanes.config glob). */
int try_classifier_is_config_path(const struct try_classifier *c,
				  const char *path);

/*
 * Sets `*out` to 1 when `subject` matches lanes.darkPattern.  Matching runs
 * with a match limit; -1 with a message when the limit is hit or the
 * pattern fails.
 */
int try_classifier_is_dark(int *out, struct try_classifier *c,
			   const char *subject, size_t len);

/*
 * A near miss of the DARK marker: a subject that does not match
 * lanes.darkPattern but starts, after white space and brackets, with "dark"
 * in any case as a word (`Dark: x`, `[DARK] x`, `dark x`), or with a word
 * of three to six capitals within two edits (insert, delete, replace, swap
 * of neighbours) of DARK (`DRAK x`, `DAKR x`, `DAK x`); words that only
 * start alike (`Darken`, `Darkroom`) are not near misses.  Returns 1 and
 * appends to `fixed` the subject in the exact form ("DARK x"), else 0.
 */
int try_classifier_dark_near_miss(struct try_classifier *c,
				  struct try_buf *fixed, const char *subject,
				  size_t len);

/*
 * Classifies the change from `old` to `new` (either may be NULL: the empty
 * tree) for a commit whose subject is `subject`.  Walks both trees at once,
 * skips equal subtrees, prunes directories no config glob can reach and
 * stops as soon as the lane is known.  Fills everything but `out->id`.
 */
int try_classify_trees(struct try_commit_lane *out, struct try_classifier *c,
		       const git_tree *old, const git_tree *new,
		       const char *subject, size_t subject_len);

/* Classifies `commit` against its first parent (a root: the empty tree). */
int try_classify_commit(struct try_commit_lane *out,
			struct try_classifier *c, const git_commit *commit);

/*
 * The lane of a range of commits.  Add every commit, then ask: CODE when any
 * commit is CODE or when CONFIG and DARK commits mix (a flag flip could go
 * live before the code it switches on); else CONFIG when any is CONFIG; else
 * DARK.  Empty commits are DARK but mix with nothing: they ship nothing.
 */
struct try_lane_tally {
	size_t count[TRY_LANE_COUNT];
	size_t dark_changes; /* DARK commits that change something */
	size_t total;
};
#define TRY_LANE_TALLY_INIT { { 0 }, 0, 0 }

void try_lane_tally_add(struct try_lane_tally *t,
			const struct try_commit_lane *cl);

/* The range's lane; `*reason` is a static string ("mixed config and dark"). */
enum try_lane try_lane_tally_lane(const struct try_lane_tally *t,
				  const char **reason);

#endif
