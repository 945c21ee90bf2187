#include "libtry/report.h"

#include <string.h>

void try_report_add_safe(struct try_buf *out, const char *s, size_t len,
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
		try_buf_addch(out, (c < 0x20 && c != '\t') || c == 0x7f ? '?' : c);
	}
	if (n < len)
		try_buf_adds(out, "...");
}

void try_report_commit_line(struct try_buf *out, const git_oid *id,
			    enum try_lane lane, const char *subject)
{
	char hex[8];

	git_oid_tostr(hex, sizeof(hex), id);
	try_buf_addf(out, "%s %-6s ", hex, try_lane_name(lane));
	try_report_add_safe(out, subject, strlen(subject), 100);
}

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

void try_report_add_utf8(struct try_buf *out, const char *s, size_t len)
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

void try_report_ref(struct try_buf *out, const char *prefix,
		    const char *reject_prefix, const struct try_update *u,
		    const struct try_ref_result *r)
{
	try_report_ref_help(out, prefix, reject_prefix, u, r, NULL);
}

void try_report_ref_help(struct try_buf *out, const char *prefix,
			 const char *reject_prefix,
			 const struct try_update *u,
			 const struct try_ref_result *r, const char *help_url)
{
	size_t i, more = r->total - r->nr;

	if (r->rejected) {
		try_buf_addf(out, "%s%s: rejected: %s", reject_prefix, u->ref,
			     r->reason);
		if (r->rule)
			try_buf_addf(out, " [%s]", r->rule);
		try_buf_addch(out, '\n');
		if (r->hint)
			try_buf_addf(out, "%s  %s\n", reject_prefix, r->hint);
		if (r->rule && help_url && *help_url)
			try_buf_addf(out, "%s  see %s#%s\n", reject_prefix,
				     help_url, r->rule);
		return;
	}
	if (r->kind == TRY_REF_ALLOWED) {
		try_buf_addf(out, "%s%s: accepted (%s)\n", prefix, u->ref,
			     r->note ? r->note : "trunk.allow");
		return;
	}
	if (r->lane == TRY_LANE_NONE) {
		try_buf_addf(out, "%s%s: accepted, nothing new\n", prefix,
			     u->ref);
		return;
	}
	try_buf_addf(out, "%s%s: accepted, lane %s (%s), %zu commit%s\n",
		     prefix, u->ref, try_lane_name(r->lane), r->lane_reason,
		     r->total, r->total == 1 ? "" : "s");
	for (i = 0; i < r->nr; i++) {
		try_buf_addf(out, "%s  ", prefix);
		try_report_commit_line(out, &r->commits[i].id,
				       r->commits[i].lane, r->subjects[i]);
		try_buf_addch(out, '\n');
	}
	if (more)
		try_buf_addf(out, "%s  ... and %zu more commit%s\n", prefix,
			     more, more == 1 ? "" : "s");
}

json_t *try_report_json_string(const char *s)
{
	struct try_buf b = TRY_BUF_INIT;
	json_t *v;

	if (!s)
		return json_null();
	try_report_add_utf8(&b, s, strlen(s));
	v = json_stringn(b.ptr, b.len);
	try_buf_release(&b);
	return v ? v : json_null();
}
