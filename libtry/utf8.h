#ifndef TRY_UTF8_H
#define TRY_UTF8_H

#include <jansson.h>
#include <stddef.h>

#include "libtry/buf.h"

/*
 * Text from outside (commit subjects, names, HTTP answers) on its way to
 * a terminal or into JSON: checking and repairing UTF-8, and making text
 * safe to print.  The ground floor: every module that shows or records
 * text uses these, whatever floor it is on.
 */

/* 1 when `s` (`len` bytes) is entirely well-formed UTF-8, else 0. */
int try_utf8_is_valid(const char *s, size_t len);

/*
 * Appends `s` (`len` bytes) as valid UTF-8: each byte that does not belong
 * to a well-formed sequence (overlong forms, surrogates and code points
 * beyond U+10FFFF included) becomes U+FFFD.  For JSON, which must be
 * UTF-8.
 */
void try_utf8_add_valid(struct try_buf *out, const char *s, size_t len);

/*
 * Appends `s` (`len` bytes) made safe for a terminal: control characters
 * (tab excepted) become '?', and text longer than `max` bytes (0: no
 * limit) is cut at a character boundary and ends in "...".  Bytes that
 * are not UTF-8 pass unchanged.
 */
void try_utf8_add_safe(struct try_buf *out, const char *s, size_t len,
		       size_t max);

/*
 * A new JSON string of `s` made valid UTF-8 as above (jansson refuses
 * anything else); JSON null for NULL.  The caller owns the reference.
 */
json_t *try_utf8_json_string(const char *s);

#endif
