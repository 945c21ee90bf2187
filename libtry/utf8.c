/*
 * UTF-8 text: see utf8.h.
 */
#include "libtry/utf8.h"

#include <string.h>

/* Length of the well-formed UTF-8 sequence at s, or 0. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	size_t n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

int try_utf8_is_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

void try_utf8_add_valid(struct try_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);
		if (n) {
			try_buf_add(out, p + i, n);
			i += n;
		} else {
			try_buf_adds(out, "\xef\xbf\xbd");
			i++;
		}
	}
}

void try_utf8_add_safe(struct try_buf *out, const char *s, size_t len,
		       size_t max)
{
	size_t i, n = len;

	if (max && n > max) {
		n = max;
		/* do not cut a UTF-8 sequence in two */
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	try_buf_grow(out, n + 3);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		try_buf_addch(out, (c < 0x20 && c != '\t') || c == 0x7f ? '?' :
									 c);
	}
	if (n < len)
		try_buf_adds(out, "...");
}

json_t *try_utf8_json_string(const char *s)
{
	struct try_buf b = TRY_BUF_INIT;
	json_t *v;

	if (!s)
		return json_null();
	try_utf8_add_valid(&b, s, strlen(s));
	v = json_stringn(b.ptr, b.len);
	try_buf_release(&b);
	return v ? v : json_null();
}
