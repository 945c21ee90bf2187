#ifndef TRY_REPORT_H
#define TRY_REPORT_H

#include <git2.h>
#include <stddef.h>

#include "libtry/buf.h"
#include "libtry/classify.h"

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
 * Appends `s` (`len` bytes) as valid UTF-8: each byte that does not belong
 * to a well-formed sequence becomes U+FFFD.  For JSON, which must be UTF-8.
 */
void try_report_add_utf8(struct try_buf *out, const char *s, size_t len);

#endif
