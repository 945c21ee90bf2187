#ifndef TRY_PAGE_H
#define TRY_PAGE_H

#include <jansson.h>
#include <stddef.h>

#include "libtry/buf.h"

/*
 * The cockpit's HTML, rendered on the server from the state cockpit.h
 * builds, so that it works with JavaScript off; a small script refreshes
 * it when the state's stamp changes and shows times in the viewer's zone.
 * Every text from outside (subjects, authors, reasons, names) goes through
 * try_page_add_html().
 */

/*
 * Appends `s` (`len` bytes) escaped for HTML text and attribute values
 * (& < > " ' become entities), as valid UTF-8 (each byte that is not part
 * of a well-formed sequence becomes U+FFFD).
 */
void try_page_add_html(struct try_buf *out, const char *s, size_t len);

/*
 * The style sheet and the script the pages load from /static/ (served as
 * files, so that the Content-Security-Policy allows no inline code).
 */
extern const char try_page_style[];
extern const char try_page_script[];

/* Who looks at the page. */
struct try_page_view {
	const char *user; /* authenticated user, or NULL: read-only */
	const char *csrf; /* the user's form token, when `user` */
	const char *notice; /* a line to show on top (an action's answer) */
};

/*
 * Appends the whole page of one repository for `state` (borrowed).  Links
 * and forms point under "/r/<name>/".
 */
void try_page_render(struct try_buf *out, json_t *state,
		     const struct try_page_view *view);

/*
 * Appends an index page listing repositories `names` (`n` of them) with
 * their held lanes (`held[i]`: a text such as "code, all", or "").
 */
void try_page_index(struct try_buf *out, const char *const *names,
		    const char *const *held, size_t n);

#endif
