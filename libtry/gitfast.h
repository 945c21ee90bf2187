#ifndef TRY_GITFAST_H
#define TRY_GITFAST_H

#include <stddef.h>

#include "libtry/buf.h"

/*
 * Finding a repository and reading git configuration without libgit2.
 *
 * Debian's libgit2 1.5 spends about 4.5 ms in git_libgit2_init() (it parses
 * the CA bundle) and a hook or a shell prompt runs on every command, so the
 * common setups are handled here and everything else is left to libgit2:
 * every function below either answers exactly as git and libgit2 would, or
 * returns TRY_GITFAST_FALLBACK and the caller takes the libgit2 path, which
 * also produces the error messages.  Nothing here initialises libgit2.
 */

/* Sizes of a SHA-1 object id, raw and in hex. */
#define TRY_OID_RAWSZ 20
#define TRY_OID_HEXSZ 40

/* "Cannot answer this one, ask libgit2": never an error by itself. */
#define TRY_GITFAST_FALLBACK 1

struct try_gitfast_repo {
	char *workdir;   /* absolute, ends in '/' */
	char *gitdir;    /* per-worktree git directory, absolute, ends in '/' */
	char *commondir; /* the shared git directory, absolute, ends in '/' */
};
#define TRY_GITFAST_REPO_INIT { NULL, NULL, NULL }

/*
 * Finds the working tree that contains `path` (NULL: the current
 * directory) the way git does in the common cases: a ".git" directory or
 * "gitdir:" file in the directory or one of its parents, on the same file
 * system; or $GIT_DIR as git sets it for hooks (a ".git" directory or a
 * linked worktree's git directory whose working tree is the current
 * directory).  Returns 0 and fills `out`; TRY_ENOTFOUND when there is no
 * repository; TRY_GITFAST_FALLBACK for setups left to libgit2 ($GIT_WORK_TREE,
 * $GIT_COMMON_DIR, ceilings, a bare repository or a git directory on the
 * way up, someone else's repository).  `out` belongs to the caller and is
 * released with try_gitfast_repo_release() either way.
 */
int try_gitfast_discover(struct try_gitfast_repo *out, const char *path);

/* Frees what `repo` owns and leaves it initialised. */
void try_gitfast_repo_release(struct try_gitfast_repo *repo);

/*
 * A configuration variable seen by the readers below: `key` is
 * "section.name" or "section.subsection.name", section and name in lower
 * case, the subsection as written (unquoted, unescaped); `value` is NULL for
 * a key without '=' (git's "true").  A non-zero return stops the reading and
 * is passed on.
 */
typedef int (*try_gitfast_config_fn)(const char *key, const char *value,
				     void *data);

/*
 * Parses one file in git's configuration syntax, calling `fn` for every
 * variable in order (`fn` may be NULL: only the checks).  Returns 0, `fn`'s non-zero return, or
 * TRY_GITFAST_FALLBACK for what it leaves to libgit2: a syntax error,
 * [include] and [includeIf], extensions.* set, core.worktree, a repository
 * format version other than 0 or 1.
 */
int try_gitfast_config_parse(const char *buf, size_t len,
			     try_gitfast_config_fn fn, void *data);

/*
 * Reads the configuration the way git layers it: /etc/gitconfig unless
 * $GIT_CONFIG_NOSYSTEM, $XDG_CONFIG_HOME/git/config (or
 * ~/.config/git/config), ~/.gitconfig, then `commondir`config (a directory
 * name ending in '/').  Missing files are fine.  Returns 0, `fn`'s
 * non-zero return, or TRY_GITFAST_FALLBACK (see above; also $GIT_CONFIG,
 * $GIT_CONFIG_GLOBAL, $GIT_CONFIG_SYSTEM, $GIT_CONFIG_COUNT, an unreadable
 * file).  $GIT_CONFIG_PARAMETERS is not applied: libgit2 1.5 ignores it,
 * see try_gitfast_config_parameters().
 */
int try_gitfast_config_read(const char *commondir, try_gitfast_config_fn fn,
			    void *data);

/*
 * Calls `fn` for every "section.name" setting in $GIT_CONFIG_PARAMETERS
 * (`git -c key=value`: 'key'='value' or 'key=value' words), key in lower
 * case; settings with a subsection are skipped.  Returns 0, `fn`'s non-zero
 * return, or -1 with a message when the variable does not parse.
 */
int try_gitfast_config_parameters(try_gitfast_config_fn fn, void *data);

/* git's boolean: 1, 0, or -1 when `value` is none (NULL is true). */
int try_gitfast_parse_bool(const char *value);

/*
 * Whether `name` is certainly a valid branch name (refs/heads/<name>) for
 * git and libgit2: a conservative subset (letters, digits, '.', '_', '-',
 * '/' in well-formed components).  0 means "ask libgit2", not "invalid".
 */
int try_gitfast_branch_name_ok(const char *name);

/*
 * The branch HEAD of `gitdir` (ending in '/') names: `*out` is the name
 * without "refs/heads/", NULL when HEAD is detached or points elsewhere;
 * the caller frees it.  Returns 0, or TRY_GITFAST_FALLBACK when HEAD is
 * anything else (a symbolic link, an odd name, unreadable).
 */
int try_gitfast_head_branch(char **out, const char *gitdir);

/*
 * Reads a whole file that may legitimately be missing: 1 when read, 0 when
 * it does not exist (or is not a regular file), -1 with a message on other
 * errors.  `path` is relative to `dirfd` (AT_FDCWD allowed).
 */
int try_gitfast_read_file(struct try_buf *buf, int dirfd, const char *path);

/* Appends `path` to `buf`, making it a directory name ending in '/'. */
void try_gitfast_add_dir(struct try_buf *buf, const char *path);

/*
 * 0 when `hex` starts with TRY_OID_HEXSZ hex digits (either case), decoded
 * into `out` (TRY_OID_RAWSZ bytes); -1 otherwise (`out` may be half
 * written).  What follows the digits is not looked at.
 */
int try_gitfast_oid_parse(unsigned char *out, const char *hex);

/* Writes `raw` as TRY_OID_HEXSZ lower-case hex digits and a NUL to `out`. */
void try_gitfast_oid_fmt(char *out, const unsigned char *raw);

/*
 * Looks up reference `name` ("refs/heads/main", "refs/stash") in
 * `commondir` (ending in '/'): the loose file, else packed-refs.  Returns
 * 1 with the id in `out` (TRY_OID_RAWSZ bytes), 0 when there is no such
 * reference, -1 when it cannot tell without guessing (a symbolic
 * reference, a damaged line, an unreadable file): ask libgit2 then; the
 * error message, if any, is not meant for the user.
 */
int try_gitfast_ref(unsigned char *out, const char *commondir,
		    const char *name);

#endif
