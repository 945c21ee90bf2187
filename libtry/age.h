#ifndef TRY_AGE_H
#define TRY_AGE_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

#include "libtry/buf.h"

/*
 * Commit age: how long the oldest uncommitted change of a working tree has
 * waited, and how alarmed its owner should be about it.
 *
 * The estimate (README, "git commit-age"):
 *
 *  - A change is a tracked file whose content differs from the index, an
 *    index entry that differs from HEAD, a tracked file that is gone, a
 *    conflict, or an untracked file that is not ignored.  A file whose stat
 *    data changed but whose content did not (touch, racy timestamps, a
 *    checkout) is no change.
 *  - The oldest modification time among changed files bounds the age from
 *    below.  A deleted file has no time of its own: the modification time
 *    of the closest existing directory above it bounds it instead (removing
 *    an entry updates its directory).
 *  - A "dirty since" time, stored at `git rev-parse --git-path
 *    try/dirty-since` (per worktree), is recorded the first time the tree
 *    is seen dirty and removed when it is seen clean or after a commit
 *    (try_age_clear_state(), called by the post-commit hook).  It carries
 *    the age across rewrites of the changed files (stash and pop, a
 *    formatter).  When the tree goes clean because the work went into a new
 *    stash entry, the time is kept until that entry is popped (the age
 *    resumes) or dropped (it is forgotten).
 *  - age = max(now - oldest bound, now - dirty since).
 *
 * Speed: this runs in shell prompts.  The index is parsed in place, each
 * tracked directory is read once and its files are compared by lstat data,
 * in parallel; only files whose stat data differ but whose size does not
 * are hashed.  Directories unchanged since the last run are not read again
 * (try/dir-cache).  The index is never written and index.lock never taken.
 * libgit2 is initialised only when needed (repository set up through
 * GIT_DIR and friends, configuration includes, staged changes, HEAD moved
 * since the last run, gitattributes filters): its initialisation alone
 * costs about 4.5 ms with Debian's libgit2 1.5 (it loads the CA bundle).
 * An index that this code cannot read (split or sparse index, an unknown
 * version) is handed to `git status --porcelain`.
 */

/* Alarm levels, in increasing order. */
enum try_age_level {
	TRY_AGE_FINE = 0,          /* under the first threshold: quiet */
	TRY_AGE_UNCOMFORTABLE = 1,
	TRY_AGE_ALARMED = 2,
	TRY_AGE_VERY_ALARMED = 3,
	TRY_AGE_STASH = 4,         /* at the last: stash, restart smaller */
};
#define TRY_AGE_THRESHOLDS 4

#define TRY_AGE_LEVELS_KEY "commitAge.levels"
#define TRY_AGE_DEFAULT_LEVELS "60,90,120,180"

/* The thresholds of levels 1 to 4, in minutes, strictly increasing. */
struct try_age_levels {
	int minutes[TRY_AGE_THRESHOLDS];
};

/*
 * Parses a `commitAge.levels` value: four strictly increasing positive
 * integers separated by commas ("60,90,120,180"; blanks around the numbers
 * are allowed).  NULL gives the default.  Returns 0, or -1 with an error
 * message that names the key and the value.
 */
int try_age_parse_levels(struct try_age_levels *out, const char *value);

/* The level of an age in seconds (negative ages count as 0). */
enum try_age_level try_age_level_for(const struct try_age_levels *levels,
				     int64_t age_seconds);

/* "fine", "uncomfortable", "alarmed", "very alarmed", "stash". */
const char *try_age_level_name(enum try_age_level level);

/* One short sentence: what to do at this level.  Static storage. */
const char *try_age_level_advice(enum try_age_level level);

/* Where the age comes from. */
enum try_age_source {
	TRY_AGE_SOURCE_NONE = 0,   /* clean tree: age 0 */
	TRY_AGE_SOURCE_MTIME,      /* a changed file's modification time */
	TRY_AGE_SOURCE_DIR_MTIME,  /* a deleted file's directory */
	TRY_AGE_SOURCE_DIRTY_SINCE,/* the stored "dirty since" time */
};

struct try_age {
	int64_t now;            /* the clock the age was measured with */
	int64_t age;            /* seconds; 0 when clean */
	int64_t since;          /* now - age, epoch seconds; 0 when clean */
	int64_t dirty_since;    /* the stored time, 0 when none */
	enum try_age_source source;
	enum try_age_level level;
	struct try_age_levels levels;

	size_t changed;         /* paths that count as changes, in total */
	size_t modified;        /* tracked, content differs from the index */
	size_t deleted;         /* tracked, gone from the working tree */
	size_t staged;          /* index differs from HEAD */
	size_t untracked;       /* untracked, not ignored */
	size_t conflicted;      /* unmerged paths */
	char *oldest_path;      /* the path that set the age, or NULL; owned */

	char *workdir;          /* absolute, with a trailing slash; owned */
	char *gitdir;           /* per-worktree git directory; owned */
	char *commondir;        /* the shared git directory; owned */
	unsigned how;           /* enum try_age_how, for the curious */
};
#define TRY_AGE_INIT { 0 }

/* How a measure was taken (struct try_age.how). */
enum try_age_how {
	TRY_AGE_HOW_LIBGIT2 = (1 << 0),  /* libgit2 was initialised */
	TRY_AGE_HOW_GIT_STATUS = (1 << 1), /* the index went to git status */
	TRY_AGE_HOW_HASHED = (1 << 2),   /* some file contents were hashed */
	TRY_AGE_HOW_TREE_WALK = (1 << 3),/* the index was compared with HEAD */
};

enum try_age_flags {
	/* Read the stored time but never write or remove it. */
	TRY_AGE_NO_RECORD = (1 << 0),
	/*
	 * Hand the scan to `git status --porcelain` even when the index is
	 * readable (tests compare both answers).
	 */
	TRY_AGE_USE_GIT_STATUS = (1 << 1),
	/*
	 * For shell prompts: may answer from the last full scan when it is
	 * less than 30 seconds old, the index and HEAD are unchanged and the
	 * changed paths it recorded have the same lstat data.  A change made
	 * since is then not seen yet; it cannot change what a prompt shows
	 * (nothing under the first level), and its time is exact once seen.
	 */
	TRY_AGE_PROMPT_CACHE = (1 << 2),
};

/*
 * Measures the working tree that contains `path` (NULL: the current
 * directory), found the way git finds it ($GIT_DIR, $GIT_WORK_TREE, then
 * upwards).  Initialises libgit2 itself when it needs it and shuts it down
 * again: callers need not (and, for speed, should not) initialise libgit2
 * first.  Honours `commitAge.levels`, core.fileMode, core.trustCtime,
 * core.checkStat, core.excludesFile, status.showUntrackedFiles and
 * `git -c` settings ($GIT_CONFIG_PARAMETERS).  Records or clears the stored
 * time unless TRY_AGE_NO_RECORD.
 *
 * The clock is time(), or $TRY_TEST_NOW (epoch seconds) when set: tests
 * only.
 *
 * Returns 0; TRY_ENOTFOUND with a message when `path` is not inside a
 * working tree; -1 with a message on other failures (a bare repository, an
 * invalid `commitAge.levels`, an unreadable index).  `out` must be released
 * with try_age_release() either way.
 */
int try_age_measure(struct try_age *out, const char *path, unsigned flags);

/*
 * The same for an open repository (hooks, `git trunk status`), whose caller
 * has initialised libgit2.  Uses $GIT_INDEX_FILE when set, as git does in a
 * pre-commit hook.  -1 with a message for a bare repository.
 */
int try_age_measure_repo(struct try_age *out, git_repository *repo,
			 unsigned flags);

/* Frees what `age` owns and leaves it initialised. */
void try_age_release(struct try_age *age);

/*
 * Formats `seconds` for people: "45s", "12m", "1h05m", "2d03h".  Appends to
 * `buf`.
 */
void try_age_format_duration(struct try_buf *buf, int64_t seconds);

/*
 * Forgets the stored "dirty since" time of `repo`'s working tree (the
 * post-commit hook calls this: a commit restarts the clock; files still
 * changed keep bounding the age by their modification times).  Returns 0
 * (also when there was nothing stored) or -1 with a message.
 */
int try_age_clear_state(git_repository *repo);

/*
 * The same for the repository that contains `path` (NULL: the current
 * directory), found the way git finds it ($GIT_DIR, upwards), without
 * libgit2 when the setup allows (try_gitfast_discover()) and through it
 * otherwise: callers need not initialise libgit2.  Returns 0 or -1 with a
 * message (also when there is no repository).
 */
int try_age_clear_state_at(const char *path);

/*
 * Stashes every change of the working tree measured in `age`, untracked
 * files included, with `git stash push --include-untracked -m "commit-age:
 * <age> of uncommitted work"`, run in that working tree (in the current
 * directory when $GIT_DIR is set).  Never deletes anything itself: git
 * keeps the work in the stash.  git's output is appended to `output` (may
 * be NULL).  Returns 0 when a new stash entry was made; TRY_ENOTFOUND with
 * a message when there was nothing to stash (a clean tree, or git saved
 * nothing); -1 with a message when git failed.
 */
int try_age_stash(struct try_buf *output, const struct try_age *age);

#endif
