#include "libtry/report.h"
#include "libtry/utf8.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void try_report_add_safe(struct try_buf *out, const char *s, size_t len,
			 size_t max)
{
	try_utf8_add_safe(out, s, len, max);
}

void try_report_commit_line(struct try_buf *out, const git_oid *id,
			    enum try_lane lane, const char *subject)
{
	char hex[8];

	git_oid_tostr(hex, sizeof(hex), id);
	try_buf_addf(out, "%s %-6s ", hex, try_lane_name(lane));
	try_report_add_safe(out, subject, strlen(subject), 100);
}

void try_report_add_utf8(struct try_buf *out, const char *s, size_t len)
{
	try_utf8_add_valid(out, s, len);
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
	return try_utf8_json_string(s);
}

void try_report_add_time(struct try_buf *out, int64_t when, int iso)
{
	time_t t = (time_t)when;
	struct tm tm;
	char buf[64];
	size_t n;

	if (!gmtime_r(&t, &tm))
		n = 0;
	else if (iso)
		n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		n = strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm);
	if (!n)
		try_buf_addf(out, "@%lld", (long long)when);
	else
		try_buf_adds(out, buf);
}

int64_t try_report_parse_time(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!end || (*end && strcmp(end, "Z")))
		return -1;
	return (int64_t)timegm(&tm);
}
