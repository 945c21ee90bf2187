#ifndef TRY_REPO_H
#define TRY_REPO_H

#include <git2.h>
#include <stdint.h>

#include "libtry/buf.h"

enum try_repo_flags {
	/*
	 * Opened from inside a hook: the repository is $GIT_DIR (or the
	 * current directory), no discovery, and git's ownership check was
	 * already done by git itself.
	 */
	TRY_REPO_HOOK = (1 << 0),
};

/*
 * Opens the repository the way git would for a command run in the current
 * directory: $GIT_DIR when set, else discovered upwards from `path` (NULL:
 * "."), with TRY_REPO_HOOK as above.  Objects in a push quarantine
 * ($GIT_QUARANTINE_PATH, else $GIT_OBJECT_DIRECTORY) are made visible by
 * adding the directory as an alternate, which also works for repository
 * paths holding ':' where libgit2's GIT_REPOSITORY_OPEN_FROM_ENV does not.
 * The caller frees `*out` with git_repository_free().
 */
int try_repo_open(git_repository **out, const char *path, unsigned flags);

/* Milliseconds of a monotonic clock. */
int64_t try_now_ms(void);

/*
 * Resolves `ref` (a reference name) to the commit it points at, peeling tags;
 * TRY_ENOTFOUND when the ref does not exist or does not lead to a commit.
 */
int try_repo_ref_commit(git_oid *out, git_repository *repo, const char *ref);

/*
 * Calls `cb` with the name and commit of every reference of `repo` whose
 * name starts with `prefix` (NULL: every reference), tags peeled.  References that do
 * not resolve (dangling symbolic refs, broken refs) or do not lead to a
 * commit are skipped.  A non-zero return of `cb` stops the loop and is
 * returned; -1 with a message when the references cannot be listed.
 */
int try_repo_foreach_ref_commit(git_repository *repo, const char *prefix,
				int (*cb)(const char *name, const git_oid *id,
					  void *payload),
				void *payload);

/*
 * Runs `git -C <work tree or git dir of repo> <args...>` (NULL-terminated,
 * at most 24) and gives its exit code.  With `err` non-NULL its standard
 * error is appended there (at most 1 MiB kept) instead of reaching ours.
 * -1 with a message when git cannot run or dies by a signal.
 */
int try_repo_git(git_repository *repo, const char *const *args,
		 struct try_buf *err);

/*
 * try_repo_git() with a time limit: with `timeout_ms` > 0 a git still
 * running then is killed and TRY_ETIMEOUT returned (with a message).
 */
int try_repo_git_within(git_repository *repo, const char *const *args,
			struct try_buf *err, int timeout_ms);

/* The hooks folder, honouring core.hooksPath; caller frees. */
int try_repo_hooks_dir(char **out, git_repository *repo);

#endif
