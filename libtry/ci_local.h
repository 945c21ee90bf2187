#ifndef TRY_CI_LOCAL_H
#define TRY_CI_LOCAL_H

#include <git2.h>

#include "libtry/ci.h"

/*
 * The local backend, which needs no server: a pristine temporary worktree
 * of the repository at the base commit, outside the user's tree; the patch
 * applied there with `git apply --index`; the test command run there with
 * its output streamed; the worktree removed afterwards, whatever happened.
 */

enum try_ci_local_flags {
	/* the command's standard output goes to standard error (--json) */
	TRY_CI_LOCAL_STDOUT_TO_STDERR = (1 << 0),
};

struct try_ci_local_options {
	const char *command;   /* run by /bin/sh -c in the worktree */
	unsigned flags;        /* enum try_ci_local_flags */
	const char *git;       /* the git program; NULL: "git" */
	const char *tmpdir;    /* where the worktree goes; NULL: $TMPDIR or
				* /tmp */
	/* called once the patch is applied, before the command runs, with
	 * the worktree's path; may be NULL */
	void (*on_start)(const char *worktree, void *payload);
	void *payload;
};
#define TRY_CI_LOCAL_OPTIONS_INIT { NULL, 0, NULL, NULL, NULL, NULL }

/*
 * Runs a try of `req` (base, patch, id) in a temporary worktree of `repo`
 * and fills `res` with one job named "local": PASSED when the command
 * exits with 0, FAILED when it exits otherwise (detail: how), NOT_APPLIED
 * when `git apply --index` refuses the patch (detail: git's complaint),
 * ERROR with detail "interrupted" after try_ci_local_interrupt().
 *
 * The command runs with standard input from /dev/null, in a process group
 * of its own, with TRY_BASE (the base commit) and TRY_ID (the try's id) in
 * its environment and git's repository variables (GIT_DIR, GIT_WORK_TREE,
 * GIT_INDEX_FILE, ...) removed, so that git inside it sees the worktree.
 *
 * Returns 0 when `res` holds a verdict, -1 with a message when the worktree
 * could not be made or removed (git or the system failed).  The worktree
 * and its registration in the repository are removed before returning, also
 * when interrupted.
 */
int try_ci_local_run(struct try_ci_result *res, git_repository *repo,
		     const struct try_ci_request *req,
		     const struct try_ci_local_options *opts);

/*
 * Stops a running try: the process group of the running child (git or the
 * command) gets SIGINT, then SIGKILL if it is still there after a grace
 * period, and try_ci_local_run() cleans up and returns.  Async-signal-safe:
 * for a SIGINT/SIGTERM handler in the binary.
 */
void try_ci_local_interrupt(void);

/*
 * Removes what a killed try left behind: each temporary worktree whose
 * marker (written by try_ci_local_run() in <common dir>/try/local/) names
 * a git-try that no longer runs is removed with its registration, and its
 * path added to `removed`.  Folders of running tries, and markers naming
 * anything but a "git-try-XXXXXX" folder, are left alone.  `git` as in
 * the options (NULL: "git").  Never fails: what cannot be removed stays
 * for the next time.  Returns 0.
 */
struct try_strlist;
int try_ci_local_prune(struct try_strlist *removed, git_repository *repo,
		       const char *git);

#endif
