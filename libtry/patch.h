#ifndef TRY_PATCH_H
#define TRY_PATCH_H

#include <git2.h>
#include <stddef.h>

#include "libtry/buf.h"
#include "libtry/config.h"

/*
 * The patch `git try` sends: the changes of a working copy against a base
 * commit, as a git binary patch that `git apply --index -p1` on that base
 * turns into exactly the working copy's tree.
 *
 * It is made by git itself (`git diff-index`), with every setting that
 * changes the output pinned, whatever the user's configuration says: full
 * index lines, `a/` and `b/` prefixes, binary files as binary patches, three
 * lines of context, no external diff, no textconv, no colour, quoted path
 * names, submodules as commit ids.  Deletions, renames, mode changes,
 * symlinks and binary files all travel.  A text file whose changes are not
 * valid UTF-8 travels as a binary patch, so that the whole patch is UTF-8
 * and fits in JSON.
 *
 * The user's working copy, index, stash and refs are never modified:
 * untracked files are added (as intent-to-add entries) to a temporary copy
 * of the index.
 */

enum try_patch_flags {
	/* the index only, not the working tree */
	TRY_PATCH_STAGED = (1 << 0),
	/* also untracked files that are not ignored (not with STAGED) */
	TRY_PATCH_UNTRACKED = (1 << 1),
};

struct try_patch_options {
	unsigned flags;             /* enum try_patch_flags */
	const char *const *paths;   /* pathspecs as git takes them, relative
				     * to the current directory; NULL: all */
	size_t npaths;
	const char *git;            /* the git program; NULL: "git" */
};
#define TRY_PATCH_OPTIONS_INIT { 0, NULL, 0, NULL }

/*
 * The base of a try: `rev` when not NULL (any revision that leads to a
 * commit), else the merge-base of HEAD and the trunk's remote-tracking
 * branch, refs/remotes/<cfg->remote>/<cfg->trunk_branch>.  Returns 0, or -1
 * with a message saying what is missing (no HEAD, no remote-tracking branch,
 * no common history).
 */
int try_patch_base(git_oid *out, git_repository *repo,
		   const struct try_config *cfg, const char *rev);

/*
 * Whether the remote has `base`, as far as this repository knows: 0 when a
 * remote-tracking branch of `remote` (refs/remotes/<remote>/ *) points at
 * it or contains it, TRY_ENOTFOUND with a message telling to push or fetch
 * when none does, -1 with a message on other failures.  `trunk_branch`, when
 * not NULL, is tried first.
 */
int try_patch_base_on_remote(git_repository *repo, const git_oid *base,
			     const char *remote, const char *trunk_branch);

/*
 * Appends to `out` the patch of the working copy of `repo` (non-bare)
 * against `base`, as `opts` says (NULL: tracked files, index and working
 * tree).  Runs git in the current directory, which must be inside the
 * working tree (pathspecs are relative to it).  An empty `out` means no
 * changes.  Returns 0, or -1 with a message (git's own error text when git
 * fails).
 */
int try_patch_create(struct try_buf *out, git_repository *repo,
		     const git_oid *base, const struct try_patch_options *opts);

/* 1 when `len` bytes at `s` are well-formed UTF-8, else 0. */
int try_patch_is_utf8(const char *s, size_t len);

/* The number of files `patch` (`len` bytes) changes: its "diff --git" lines. */
size_t try_patch_count_files(const char *patch, size_t len);

#endif
