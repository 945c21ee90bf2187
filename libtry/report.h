#ifndef TRY_REPORT_H
#define TRY_REPORT_H

#include <git2.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "libtry/buf.h"
#include "libtry/classify.h"
#include "libtry/policy.h"

/*
 * Text shown to people: commit lines and safe subjects.  libtry never prints;
 * these only format into buffers.
 */

/*
 * try_utf8_add_safe() (utf8.h), under its old name for the callers that
 * also need the rest of this header.
 */
void try_report_add_safe(struct try_buf *out, const char *s, size_t len,
			 size_t max);

/* Appends "1a2b3c4 CODE   subject" (no newline). */
void try_report_commit_line(struct try_buf *out, const git_oid *id,
			    enum try_lane lane, const char *subject);

/*
 * Appends what the pusher is told about one ref update: the verdict line,
 * and for an accepted trunk update its lane and one line per commit kept in
 * `r`, then how many more there are.  Every line starts with `prefix`
 * ("try: "); rejection lines with `reject_prefix` (GitLab wants
 * "GL-HOOK-ERR: ").
 */
void try_report_ref(struct try_buf *out, const char *prefix,
		    const char *reject_prefix, const struct try_update *u,
		    const struct try_ref_result *r);

/*
 * The same; a rejection line ends in the rule's id, " [held]", and with
 * `help_url` (trunk.helpUrl; NULL or "" for none) a line
 * "  see <help_url>#<rule id>" follows the hint.
 */
void try_report_ref_help(struct try_buf *out, const char *prefix,
			 const char *reject_prefix,
			 const struct try_update *u,
			 const struct try_ref_result *r, const char *help_url);

/* try_utf8_add_valid() (utf8.h), under its old name. */
void try_report_add_utf8(struct try_buf *out, const char *s, size_t len);

/* try_utf8_json_string() (utf8.h), under its old name. */
json_t *try_report_json_string(const char *s);

/*
 * Appends `when` (seconds since the epoch) as "2024-05-01 12:00 UTC", or
 * with `iso` as "2024-05-01T12:00:00Z"; "@<seconds>" when it cannot.
 */
void try_report_add_time(struct try_buf *out, int64_t when, int iso);

/* Parses "2024-05-01T12:00:00Z" (the Z optional); -1 when it is not that. */
int64_t try_report_parse_time(const char *s);

#endif
