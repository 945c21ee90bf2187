#include "libtry/hooks.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int try_hooks_enabled(void)
{
	const char *v = getenv("TRY_HOOKS");

	if (!v)
		return 1;
	return strcmp(v, "0") && strcasecmp(v, "false") &&
	       strcasecmp(v, "no") && strcasecmp(v, "off");
}

void try_hooks_message_subject(const char **subject, size_t *len,
			       const char *msg, size_t msg_len,
			       char comment_char)
{
	const char *p = msg, *end = msg + msg_len;

	*subject = msg;
	*len = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *q = p;
		size_t l;

		/* git's scissors line ends the message */
		if (eol - p >= 4 && p[0] == comment_char &&
		    !strncmp(p + 1, " --", 3) && memmem(p, (size_t)(eol - p),
							">8", 2))
			return;
		while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q < eol && *p != comment_char) {
			l = (size_t)(eol - p);
			while (l && (p[l - 1] == ' ' || p[l - 1] == '\t' ||
				     p[l - 1] == '\r'))
				l--;
			*subject = p;
			*len = l;
			return;
		}
		p = nl ? nl + 1 : end;
	}
}
