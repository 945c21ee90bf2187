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

/* Length of the leading part of `pattern` that holds no special char. */
size_t try_glob_literal_prefix(const char *pattern);

#endif
