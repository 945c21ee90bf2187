#ifndef TRY_TEST_FIXTURE_H
#define TRY_TEST_FIXTURE_H

#include <git2.h>

/*
 * Temporary repositories for unit tests.  A file spec is
 * "path=content" (mode 100644), "path+x=content" (100755),
 * "path@=target" (symlink), "path#=<40 hex>" (gitlink).
 */

/* A new bare repository in a fresh temporary folder. */
git_repository *fixture_repo(void);

/* Removes the repository's folder and frees it. */
void fixture_cleanup(git_repository *repo);

/* A tree holding `files` (NULL-terminated); NULL for an empty list. */
git_tree *fixture_tree(git_repository *repo, const char *const *files);

/*
 * `text` in git's config syntax, opened as a git_config (the file it came
 * from is gone; libgit2 keeps what it parsed).  Free with git_config_free().
 */
git_config *fixture_config(const char *text);

/* A commit of `files` with `parent` (NULL: a root) and `message`. */
git_commit *fixture_commit(git_repository *repo, git_commit *parent,
			   const char *const *files, const char *message);

#endif
