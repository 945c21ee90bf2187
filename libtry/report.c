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
