#include "libtry/glob.h"
#include "libtry/buf.h"
#include "libtry/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * What one match step answers.  Beyond "no", two answers prune the search
 * the way git's wildmatch.c does: ABORT_ALL (the text ran out, no longer
 * star can help) and ABORT_TO_STARSTAR (a single star met a slash: only an
 * enclosing double star can go on).
 */
#define WM_MATCH 0
#define WM_NOMATCH 1
#define WM_ABORT_ALL (-1)
#define WM_ABORT_TO_STARSTAR (-2)

typedef unsigned char uchar;

/*
 * Cells of the memo table kept on the stack; a bigger (pattern, text) pair
 * takes one from the heap.
 */
#define MEMO_STACK 2048

/*
 * One match: the pattern, the text and, once a star has to try more than
 * one split, a table of answers per (pattern position, text position).
 * Every step is a pure function of those two positions, so each is worked
 * out once: matching costs at most (pattern length x text length) steps,
 * each a scan of the text, however many stars the pattern holds.
 */
struct wild {
	const uchar *pattern, *text;
	size_t plen, tlen;
	unsigned flags;
	uchar *memo;      /* (plen + 1) * (tlen + 1) cells, 0: not known */
	int memo_failed;  /* too big or no memory: plain backtracking */
	uchar stack[MEMO_STACK];
};

/* git's locale-independent ASCII classes (ctype.c); bytes >= 128 are none */
static int is_upper(uchar c)
{
	return c >= 'A' && c <= 'Z';
}

static int is_lower(uchar c)
{
	return c >= 'a' && c <= 'z';
}

static int is_digit(uchar c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(uchar c)
{
	return is_upper(c) || is_lower(c);
}

static int is_space(uchar c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_print(uchar c)
{
	return c >= 0x20 && c <= 0x7e;
}

static int is_xdigit(uchar c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static uchar to_lower(uchar c)
{
	return is_upper(c) ? (uchar)(c - 'A' + 'a') : c;
}

static uchar to_upper(uchar c)
{
	return is_lower(c) ? (uchar)(c - 'a' + 'A') : c;
}

static int is_glob_special(uchar c)
{
	return c == '*' || c == '?' || c == '[' || c == '\\';
}

/*
 * Whether `t` is in the POSIX class named by `name` (`len` bytes, as in
 * "[:alpha:]").  -1 for a name that is no class: git then matches nothing.
 */
static int in_posix_class(const uchar *name, size_t len, uchar t,
			  unsigned flags)
{
	static const char *const names[] = {
		"alnum", "alpha", "blank", "cntrl", "digit", "graph",
		"lower", "print", "punct", "space", "upper", "xdigit",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strlen(names[i]) == len && !memcmp(names[i], name, len))
			break;
	switch (i) {
	case 0: return is_alpha(t) || is_digit(t);
	case 1: return is_alpha(t);
	case 2: return t == ' ' || t == '\t';
	case 3: return t < 0x20 || t == 0x7f;
	case 4: return is_digit(t);
	case 5: return t > 0x20 && t < 0x7f;
	case 6: return is_lower(t);
	case 7: return is_print(t);
	case 8: return t > 0x20 && t < 0x7f && !is_alpha(t) && !is_digit(t);
	case 9: return is_space(t);
	case 10:
		return is_upper(t) ||
		       ((flags & TRY_GLOB_CASEFOLD) && is_lower(t));
	case 11: return is_xdigit(t);
	}
	return -1;
}

/*
 * Matches the bracket expression starting at `*pp` (on its '[') against
 * `t` and leaves `*pp` on the closing ']'.  1 or 0 for in or out, before
 * negation is applied; WM_ABORT_ALL for a malformed expression (no closing
 * ']', a trailing backslash, an unknown "[:name:]"), which matches nothing,
 * as in git.
 */
static int match_bracket(const uchar **pp, uchar t, unsigned flags,
			 int *negated)
{
	const uchar *p = *pp;
	uchar p_ch = *++p, prev_ch = 0;
	int matched = 0;

	if (p_ch == '^')
		p_ch = '!';
	*negated = p_ch == '!';
	if (*negated)
		p_ch = *++p;
	/* the first character is taken literally, even ']' */
	for (;;) {
		if (!p_ch)
			return WM_ABORT_ALL;
		if (p_ch == '\\') {
			p_ch = *++p;
			if (!p_ch)
				return WM_ABORT_ALL;
			if (t == p_ch)
				matched = 1;
		} else if (p_ch == '-' && prev_ch && p[1] && p[1] != ']') {
			p_ch = *++p;
			if (p_ch == '\\') {
				p_ch = *++p;
				if (!p_ch)
					return WM_ABORT_ALL;
			}
			if (t <= p_ch && t >= prev_ch)
				matched = 1;
			else if ((flags & TRY_GLOB_CASEFOLD) && is_lower(t) &&
				 to_upper(t) <= p_ch && to_upper(t) >= prev_ch)
				matched = 1;
			p_ch = 0; /* a range does not start another */
		} else if (p_ch == '[' && p[1] == ':') {
			const uchar *name = p + 2, *q = name;
			int in;

			while (*q && *q != ']')
				q++;
			if (!*q)
				return WM_ABORT_ALL;
			if (q == name || q[-1] != ':') {
				/* no ":]": a plain '[' */
				if (t == '[')
					matched = 1;
			} else {
				in = in_posix_class(name, (size_t)(q - name - 1),
						    t, flags);
				if (in < 0)
					return WM_ABORT_ALL;
				if (in)
					matched = 1;
				p = q;
				p_ch = 0;
			}
		} else if (t == p_ch) {
			matched = 1;
		}
		prev_ch = p_ch;
		p_ch = *++p;
		if (p_ch == ']')
			break;
	}
	*pp = p;
	return matched;
}

static int dowild(struct wild *w, const uchar *p, const uchar *text);

/* dowild() through the memo table, which it sets up on first need */
static int dowild_memo(struct wild *w, const uchar *p, const uchar *text)
{
	size_t cell;
	int r;

	if (!w->memo && !w->memo_failed) {
		size_t cells = w->plen + 1;

		if (cells > SIZE_MAX / (w->tlen + 1)) {
			w->memo_failed = 1;
		} else {
			cells *= w->tlen + 1;
			w->memo = cells <= MEMO_STACK ? w->stack
						      : calloc(cells, 1);
			if (w->memo == w->stack)
				memset(w->stack, 0, cells);
			w->memo_failed = !w->memo;
		}
	}
	if (!w->memo)
		return dowild(w, p, text);
	cell = (size_t)(p - w->pattern) * (w->tlen + 1) +
	       (size_t)(text - w->text);
	if (w->memo[cell])
		return w->memo[cell] - 3;
	r = dowild(w, p, text);
	w->memo[cell] = (uchar)(r + 3);
	return r;
}

/* git's dowild(): the match of pattern `p` against `text` */
static int dowild(struct wild *w, const uchar *p, const uchar *text)
{
	unsigned flags = w->flags;
	int pathname = !!(flags & TRY_GLOB_PATHNAME);
	int fold = !!(flags & TRY_GLOB_CASEFOLD);
	uchar p_ch;

	for (; (p_ch = *p) != '\0'; text++, p++) {
		uchar t_ch = *text;
		int matched, match_slash, negated;

		if (t_ch == '\0' && p_ch != '*')
			return WM_ABORT_ALL;
		if (fold) {
			t_ch = to_lower(t_ch);
			p_ch = to_lower(p_ch);
		}
		switch (p_ch) {
		case '\\':
			/*
			 * Taken as is, not folded (git does the same); a
			 * trailing backslash fails on the text's NUL.
			 */
			p_ch = *++p;
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
			matched = match_bracket(&p, t_ch, flags, &negated);
			if (matched == WM_ABORT_ALL)
				return WM_ABORT_ALL;
			if (matched == negated || (pathname && t_ch == '/'))
				return WM_NOMATCH;
			continue;
		case '*':
			if (*++p == '*') {
				const uchar *prev_p = p - 1;

				while (*++p == '*')
					;
				if (!pathname) {
					match_slash = 1;
				} else if ((prev_p == w->pattern ||
					    prev_p[-1] == '/') &&
					   (*p == '\0' || *p == '/' ||
					    (p[0] == '\\' && p[1] == '/'))) {
					/* "**" as a whole segment: also none */
					if (p[0] == '/' &&
					    dowild_memo(w, p + 1, text) ==
						    WM_MATCH)
						return WM_MATCH;
					match_slash = 1;
				} else {
					/* "foo**bar": two single stars */
					match_slash = 0;
				}
			} else {
				match_slash = !pathname;
			}
			if (*p == '\0') {
				/* a trailing star takes the rest of a segment */
				if (!match_slash && strchr((const char *)text, '/'))
					return WM_ABORT_TO_STARSTAR;
				return WM_MATCH;
			} else if (!match_slash && *p == '/') {
				/* "*" then "/": the rest of this segment */
				const char *slash = strchr((const char *)text, '/');
				if (!slash)
					return WM_ABORT_ALL;
				text = (const uchar *)slash;
				break; /* the loop consumes the slash */
			}
			for (;;) {
				if (t_ch == '\0')
					break;
				/* a literal after the star: skip to it */
				if (!is_glob_special(*p)) {
					uchar want = fold ? to_lower(*p) : *p;

					while ((t_ch = *text) != '\0' &&
					       (match_slash || t_ch != '/')) {
						if (fold)
							t_ch = to_lower(t_ch);
						if (t_ch == want)
							break;
						text++;
					}
					if (t_ch != want)
						return match_slash ?
							       WM_ABORT_ALL :
							       WM_ABORT_TO_STARSTAR;
				}
				matched = dowild_memo(w, p, text);
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
	struct wild w;
	int r;

	w.pattern = (const uchar *)pattern;
	w.text = (const uchar *)text;
	w.plen = strlen(pattern);
	w.tlen = strlen(text);
	w.flags = flags;
	w.memo = NULL;
	w.memo_failed = 0;
	r = dowild(&w, w.pattern, w.text);
	if (w.memo != w.stack)
		free(w.memo);
	return r == WM_MATCH;
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

/* git's pathspec magic signature characters (ctype.c GIT_PATHSPEC_MAGIC) */
static int is_magic_char(char c)
{
	return c && strchr("!\"#%&',-/:;<=>@_`~", c);
}

/*
 * Reads the magic of pathspec `value` (":(top,glob)x", ":/x", ":!x") and
 * returns where the path starts, or NULL with a message when the magic is
 * one a config glob cannot honour.  Sets *literal for ":(literal)".
 */
static const char *parse_magic(const char *key, const char *value,
			       int *literal)
{
	const char *p = value + 1;
	int glob = 0;

	*literal = 0;
	if (*value != ':')
		return value;
	if (*p != '(') {
		for (; *p && *p != ':'; p++) {
			if (*p == '!' || *p == '^') {
				try_error_set("%s: '%s': exclude magic is not "
					      "supported", key, value);
				return NULL;
			}
			if (!is_magic_char(*p))
				break;
			if (*p != '/') {
				try_error_set("%s: '%s': unknown pathspec "
					      "magic '%c'", key, value, *p);
				return NULL;
			}
		}
		return *p == ':' ? p + 1 : p;
	}
	for (p++; *p != ')';) {
		size_t len = strcspn(p, ",)");

		if (!p[len]) {
			try_error_set("%s: '%s': missing ')' after the "
				      "pathspec magic", key, value);
			return NULL;
		}
		if (len == 3 && !strncmp(p, "top", 3)) {
			;
		} else if (len == 4 && !strncmp(p, "glob", 4)) {
			glob = 1;
		} else if (len == 7 && !strncmp(p, "literal", 7)) {
			*literal = 1;
		} else if (len == 5 && !strncmp(p, "icase", 5)) {
			try_error_set("%s: '%s': icase magic is not "
				      "supported; spell both cases, e.g. "
				      "'[Cc]onfig/**'", key, value);
			return NULL;
		} else {
			try_error_set("%s: '%s': pathspec magic '%.*s' is not "
				      "supported", key, value, (int)len, p);
			return NULL;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	if (glob && *literal) {
		try_error_set("%s: '%s': 'literal' and 'glob' magic are "
			      "incompatible", key, value);
		return NULL;
	}
	return p + 1;
}

int try_pathspec_normalize(char **out, const char *key, const char *value)
{
	const char *path, *p;
	char *res, *q;
	int literal, dir;

	*out = NULL;
	if (!*value) {
		try_error_set("%s: empty glob", key);
		return -1;
	}
	path = parse_magic(key, value, &literal);
	if (!path)
		return -1;
	if (literal && path[try_glob_literal_prefix(path)]) {
		try_error_set("%s: '%s': literal magic on a path with "
			      "wildcard characters is not supported", key,
			      value);
		return -1;
	}
	if (*path == '/' && !path[strspn(path, "/")]) {
		try_error_set("%s: '%s' names no path inside the repository "
			      "(use '.' for every path)", key, value);
		return -1;
	}
	res = q = try_xmalloc(strlen(path) + 3);
	/* a trailing slash means "a directory", as in git */
	dir = *path && path[strlen(path) - 1] == '/';
	for (p = path; *p;) {
		size_t len;

		p += strspn(p, "/");
		len = strcspn(p, "/");
		if (!len)
			break;
		if (len == 1 && *p == '.') {
			;
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (q == res) {
				try_error_set("%s: '%s' leads outside the "
					      "repository", key, value);
				free(res);
				return -1;
			}
			q--;
			while (q > res && q[-1] != '/')
				q--;
			if (q > res)
				q--;
		} else {
			if (q > res)
				*q++ = '/';
			memcpy(q, p, len);
			q += len;
		}
		p += len;
	}
	if (q == res) {
		/* ".", "./", ":/": the whole tree, as in git */
		memcpy(res, "**", 2);
		q = res + 2;
	} else if (dir) {
		*q++ = '/';
	}
	*q = '\0';
	*out = res;
	return 0;
}
