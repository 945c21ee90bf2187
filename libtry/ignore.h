#ifndef TRY_IGNORE_H
#define TRY_IGNORE_H

#include <stddef.h>

/*
 * git's rules for ignored files (dir.c): patterns from .gitignore files,
 * $GIT_COMMON_DIR/info/exclude and core.excludesFile (or its XDG default),
 * matched the way `git check-ignore` answers.  Used by the commit-age scan
 * for names the index does not know.  Whether a path lies inside an
 * ignored directory is the caller's walk, as it is git's.
 */

/* The patterns of one file. */
struct try_ignore_list;

/*
 * Parses the contents of an ignore file; `buf` (NUL-terminated, from
 * malloc) is taken over, `base` ("" or "a/b/") is the directory the file
 * sits in, relative to the top of the working tree.  A byte-order mark,
 * CRLF line ends, comments, blank lines, escaped trailing spaces, `!`
 * negation and a trailing `/` are handled as git does.  Never NULL; free
 * with try_ignore_list_free().
 */
struct try_ignore_list *try_ignore_list_parse(char *buf, const char *base);

/*
 * Reads and parses ignore file `path` (relative to `dirfd`, which may be
 * AT_FDCWD; a symbolic link is not followed).  NULL when there is no such
 * file or it cannot be read: git ignores those too.
 */
struct try_ignore_list *try_ignore_list_load(int dirfd, const char *path,
					     const char *base);

/* Frees `l`; NULL is fine. */
void try_ignore_list_free(struct try_ignore_list *l);

/*
 * The verdict of the last pattern of `l` that matches `path` (relative to
 * the top, no trailing slash; `basename` its last component): 1 ignored,
 * -1 re-included by a negative pattern, 0 no pattern matches (also for a
 * NULL `l`).  `is_dir` says whether `path` is a directory.
 */
int try_ignore_list_match(const struct try_ignore_list *l, const char *path,
			  const char *basename, int is_dir);

/*
 * The lists every path of a repository shares: info/exclude and the
 * excludes file.  They are read on first use.  `commondir` (ending in '/')
 * and `excludes_file` (core.excludesFile, `~` expanded, or NULL for git's
 * default $XDG_CONFIG_HOME/git/ignore or ~/.config/git/ignore) are
 * borrowed and must outlive the struct.
 */
struct try_ignore {
	const char *commondir;
	const char *excludes_file;
	struct try_ignore_list *info_exclude, *excludes;
	int loaded;
};
#define TRY_IGNORE_INIT { NULL, NULL, NULL, NULL, 0 }

/* Sets `ig` up for a repository (see above); nothing is read yet. */
void try_ignore_init(struct try_ignore *ig, const char *commondir,
		     const char *excludes_file);

/*
 * Whether `path` (is_dir: a directory) is ignored by the .gitignore lists
 * `chain` (outermost first: the top directory's at 0, NULL entries for
 * directories without one) and then the shared lists: the deepest list
 * with a matching pattern decides.  1 ignored, 0 not.
 */
int try_ignore_excluded(struct try_ignore *ig,
			struct try_ignore_list *const *chain, size_t nr,
			const char *path, int is_dir);

/* Frees the shared lists; `ig` can be set up again. */
void try_ignore_release(struct try_ignore *ig);

#endif
