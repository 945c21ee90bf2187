#ifndef TRY_RUN_H
#define TRY_RUN_H

#include <stddef.h>

#include "libtry/buf.h"

/*
 * One way to run a child process (git's run-command.h in small): argv,
 * environment changes, working directory, standard input from memory,
 * standard output and error captured into buffers.  The child is started
 * with posix_spawn (no copy of a large parent) and waited for; nothing of
 * it outlives the call.
 */

enum try_run_flags {
	/*
	 * argv holds git's arguments: "git" goes in front, and the
	 * variables that change what git prints behind its options are
	 * cleared (try_run_git_output_vars).  The repository variables
	 * ($GIT_DIR, $GIT_INDEX_FILE, ...) are kept: git works on the
	 * repository the caller found through them.
	 */
	TRY_RUN_GIT = (1 << 0),
	/*
	 * Also clear the variables that locate a repository
	 * (try_run_git_repo_vars), for git in another repository than the
	 * one the environment names (a hook running git elsewhere).
	 */
	TRY_RUN_GIT_OTHER_REPO = (1 << 1),
	/* Standard error goes where standard output goes. */
	TRY_RUN_MERGE_ERR = (1 << 2),
};

struct try_run {
	const char *const *argv;  /* NULL-terminated; argv[0] found in PATH */
	/*
	 * Changes to the environment, after the clearing of the flags:
	 * "NAME=value" sets, "NAME" removes; NULL-terminated or NULL.
	 */
	const char *const *env;
	const char *dir;          /* working directory, NULL: ours */
	const char *in;           /* standard input, NULL: /dev/null */
	size_t in_len;
	struct try_buf *out;      /* standard output appended, NULL: dropped */
	struct try_buf *err;      /* standard error appended, NULL: dropped */
	unsigned flags;           /* enum try_run_flags */
};
#define TRY_RUN_INIT { NULL, NULL, NULL, NULL, 0, NULL, NULL, 0 }

/*
 * Runs `r` and waits for it.  Returns its exit code (0-255), 128 + the
 * signal number when a signal ended it, or -1 with a message when it could
 * not run at all (no such program, no pipe, no working directory).  The
 * buffers belong to the caller.
 */
int try_run(const struct try_run *r);

/* The variables TRY_RUN_GIT clears, NULL-terminated. */
extern const char *const try_run_git_output_vars[];

/* The variables TRY_RUN_GIT_OTHER_REPO clears as well, NULL-terminated. */
extern const char *const try_run_git_repo_vars[];

#endif
