#ifndef TRY_REPORT_H
#define TRY_REPORT_H

#include <git2.h>
#include <jansson.h>
#include <stddef.h>

#include "libtry/buf.h"
#include "libtry/classify.h"
#include "libtry/policy.h"

/*
 * Text shown to people: commit lines and safe subjects.  libtry never prints;
 * these only format into buffers.
 */

/*
 * Appends `s` (`len` bytes) made safe for a terminal: control characters
 * become '?', and text longer than `max` bytes is cut at a character
 * boundary and ends in "...".  Bytes that are not UTF-8 pass unchanged.
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

/*
 * Appends `s` (`len` bytes) as valid UTF-8: each byte that does not belong
 * to a well-formed sequence becomes U+FFFD.  For JSON, which must be UTF-8.
 */
void try_report_add_utf8(struct try_buf *out, const char *s, size_t len);

/*
 * A new JSON string of `s` made valid UTF-8 as above (jansson refuses
 * anything else); JSON null for NULL.  The caller owns the reference.
 */
json_t *try_report_json_string(const char *s);

#endif
