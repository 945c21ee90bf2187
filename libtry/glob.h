#ifndef TRY_GLOB_H
#define TRY_GLOB_H

#include <stddef.h>

/*
 * Glob matching with git's meaning (wildmatch.c): `*`, `?`, `[...]` (ranges,
 * `!` or `^` negation), backslash escapes and, with TRY_GLOB_PATHNAME, `**`
 * across directories while `*` and `?` stop at `/`.
 */
enum try_glob_flags {
	TRY_GLOB_PATHNAME = (1 << 0),
};

/* 1 when `text` matches `pattern`, 0 when not. */
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
