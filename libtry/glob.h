#ifndef TRY_GLOB_H
#define TRY_GLOB_H

#include <stddef.h>

/*
 * Glob matching with git's meaning (wildmatch.c): `*`, `?`, `[...]` (ranges,
 * `!` or `^` negation, POSIX classes such as `[:alpha:]` in git's ASCII
 * sense), backslash escapes and, with TRY_GLOB_PATHNAME, `**` across
 * directories while `*`, `?` and `[...]` stop at `/`.  A malformed bracket
 * expression (no closing `]`, an unknown `[:name:]`) matches nothing, as in
 * git.  TRY_GLOB_CASEFOLD ignores ASCII case (git's WM_CASEFOLD).
 */
enum try_glob_flags {
	TRY_GLOB_PATHNAME = (1 << 0),
	TRY_GLOB_CASEFOLD = (1 << 1),
};

/*
 * 1 when `text` matches `pattern`, 0 when not; the answer of git's
 * wildmatch() for every case of git's own test table (t3070).  Time is
 * polynomial: at most (pattern length x text length) steps, each a scan
 * of the text, whatever the stars; a memo table of that many bytes is
 * taken from the heap for long inputs (on allocation failure matching goes
 * on without it, slower but still right).
 */
int try_glob_match(const char *pattern, const char *text, unsigned flags);

/*
 * Pathspec glob (git's `:(glob)` magic) as `lanes.config` uses it: the
 * pattern matches the whole path with TRY_GLOB_PATHNAME, or, when the
 * pattern holds no wildcard, the path or anything below it (`config` and
 * `config/` both match `config/app.yml`).
 */
int try_pathspec_match(const char *pattern, const char *path);

/*
 * 0 when no path below directory `dir` (given without a trailing slash,
 * `len` bytes) can match `pattern`; 1 when some might.  Conservative: it
 * compares the pattern's leading literal part with the directory.
 */
int try_pathspec_may_match_below(const char *pattern, const char *dir,
				 size_t len);

/*
 * 1 when every path below directory `dir` (`len` bytes, no trailing slash)
 * matches `pattern`: a literal naming the directory or one above it
 * (`config`), or such a literal followed by a slash and two stars.  Lets a
 * walk take a whole changed directory as config without reading it.
 */
int try_pathspec_covers_dir(const char *pattern, const char *dir, size_t len);

/*
 * Turns one configured pathspec `value` (e.g. of lanes.config, named `key`
 * in messages) into the form the functions above take, with the meaning
 * git gives it as a `:(glob)` pathspec from the top of the repository:
 * magic `:(top)`, `:/`, `:(glob)` and `:(literal)` (a path without wildcard
 * characters) is dropped, `.` components and repeated slashes go, `..`
 * takes back a component, leading slashes are dropped (the top), a
 * trailing slash stays (directories only), and a value naming the whole
 * tree (`.`, `./`, `:/`) becomes `**`.  A value a glob cannot honour is
 * refused rather than left to match nothing: empty, `/` alone, `..` above
 * the top, `icase`, `exclude` (`:!`, `:^`), `attr` or unknown magic,
 * a missing `)`.  Returns 0 and sets `*out` (caller frees), or -1 with
 * one line "<key>: '<value>': <why>".
 */
int try_pathspec_normalize(char **out, const char *key, const char *value);

/* Length of the leading part of `pattern` that holds no special char. */
size_t try_glob_literal_prefix(const char *pattern);

#endif
