#include "libtry/glob.h"

#include <string.h>

#define WM_NOMATCH 1
#define WM_MATCH 0
#define WM_ABORT_ALL (-1)
#define WM_ABORT_TO_STARSTAR (-2)

typedef unsigned char uchar;

/* [...] at p (just after '['); sets *end past the closing ']'. */
static int match_class(const uchar *p, uchar t, const uchar **end)
{
	int negate = 0, matched = 0;
	uchar prev = 0;

	if (*p == '!' || *p == '^') {
		negate = 1;
		p++;
	}
	/* a ']' right after '[' or '[!' is literal */
	if (*p == ']') {
		matched |= (t == ']');
		prev = ']';
		p++;
	}
	for (; *p && *p != ']'; p++) {
		uchar c = *p;

		if (c == '\\' && p[1]) {
			c = *++p;
		} else if (c == '-' && prev && p[1] && p[1] != ']') {
			uchar hi = *++p;
			if (hi == '\\' && p[1])
				hi = *++p;
			if (t >= prev && t <= hi)
				matched = 1;
			prev = 0;
			continue;
		}
		if (t == c)
			matched = 1;
		prev = c;
	}
	if (!*p)
		return -1; /* unterminated: nothing matches, as in git */
	*end = p + 1;
	return matched ^ negate;
}

static int dowild(const uchar *pattern, const uchar *p, const uchar *text,
		  unsigned flags)
{
	uchar p_ch;
	int pathname = !!(flags & TRY_GLOB_PATHNAME);

	for (; (p_ch = *p) != '\0'; text++, p++) {
		uchar t_ch = *text;
		int match_slash, matched;
		const uchar *end;

		if (t_ch == '\0' && p_ch != '*')
			return WM_ABORT_ALL;
		switch (p_ch) {
		case '\\':
			p_ch = *++p;
			if (!p_ch)
				return WM_NOMATCH;
			/* fallthrough */
		default:
			if (t_ch != p_ch)
				return WM_NOMATCH;
			continue;
		case '?':
			if (pathname && t_ch == '/')
				return WM_NOMATCH;
			continue;
		case '[':
			if (pathname && t_ch == '/')
				return WM_NOMATCH;
			matched = match_class(p + 1, t_ch, &end);
			if (matched < 0)
				return WM_ABORT_ALL; /* unterminated, as git */
			if (!matched)
				return WM_NOMATCH;
			p = end - 1;
			continue;
		case '*':
			if (*++p == '*') {
				const uchar *prev_p = p - 2;
				while (*++p == '*')
					;
				if (!pathname) {
					match_slash = 1;
				} else if ((prev_p < pattern || *prev_p == '/') &&
					   (*p == '\0' || *p == '/' ||
					    (p[0] == '\\' && p[1] == '/'))) {
					if (p[0] == '/' &&
					    dowild(pattern, p + 1, text, flags) ==
						    WM_MATCH)
						return WM_MATCH;
					match_slash = 1;
				} else {
					match_slash = 0;
				}
			} else {
				match_slash = !pathname;
			}
			if (*p == '\0') {
				if (!match_slash && strchr((const char *)text, '/'))
					return WM_NOMATCH;
				return WM_MATCH;
			} else if (!match_slash && *p == '/') {
				const char *slash = strchr((const char *)text, '/');
				if (!slash)
					return WM_NOMATCH;
				text = (const uchar *)slash;
				break; /* the loop consumes the slash */
			}
			for (;;) {
				if (t_ch == '\0')
					break;
				matched = dowild(pattern, p, text, flags);
				if (matched != WM_NOMATCH) {
					if (!match_slash ||
					    matched != WM_ABORT_TO_STARSTAR)
						return matched;
				} else if (!match_slash && t_ch == '/') {
					return WM_ABORT_TO_STARSTAR;
				}
				t_ch = *++text;
			}
			return WM_ABORT_ALL;
		}
	}
	return *text ? WM_NOMATCH : WM_MATCH;
}

int try_glob_match(const char *pattern, const char *text, unsigned flags)
{
	const uchar *p = (const uchar *)pattern;
	return dowild(p, p, (const uchar *)text, flags) == WM_MATCH;
}

size_t try_glob_literal_prefix(const char *pattern)
{
	return strcspn(pattern, "*?[\\");
}

int try_pathspec_match(const char *pattern, const char *path)
{
	size_t plen = strlen(pattern);
	size_t lit = try_glob_literal_prefix(pattern);

	if (lit == plen && plen && !strncmp(pattern, path, plen)) {
		if (!path[plen] || path[plen] == '/' ||
		    pattern[plen - 1] == '/')
			return 1;
	}
	return try_glob_match(pattern, path, TRY_GLOB_PATHNAME);
}

int try_pathspec_may_match_below(const char *pattern, const char *dir,
				 size_t len)
{
	size_t lit = try_glob_literal_prefix(pattern);
	size_t i;

	/* compare "dir/" with the pattern's literal part, as far as both go */
	for (i = 0; i < lit && i <= len; i++) {
		char d = i < len ? dir[i] : '/';
		if (pattern[i] != d)
			return 0;
	}
	/*
	 * A literal pattern naming the directory itself ("config") matches
	 * everything below it; a literal pattern that stops inside the
	 * directory's name ("conf") matches nothing below it.
	 */
	if (!pattern[lit] && lit && lit < len && pattern[lit - 1] != '/' &&
	    dir[lit] != '/')
		return 0;
	return 1;
}

int try_pathspec_covers_dir(const char *pattern, const char *dir, size_t len)
{
	size_t plen = strlen(pattern);
	size_t lit = try_glob_literal_prefix(pattern);

	if (!strcmp(pattern, "**"))
		return 1;
	if (lit != plen) {
		/* only a literal, a slash and two stars */
		if (lit + 2 != plen || lit < 1 || pattern[lit - 1] != '/' ||
		    strcmp(pattern + lit, "**"))
			return 0;
		plen = lit - 1;
	} else if (plen && pattern[plen - 1] == '/') {
		plen--;
	}
	if (!plen || plen > len || memcmp(pattern, dir, plen))
		return 0;
	return plen == len || dir[plen] == '/';
}
