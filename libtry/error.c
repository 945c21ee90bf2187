#include "libtry/error.h"

#include <git2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static __thread char message[1024];

void try_error_set(const char *fmt, ...)
{
	char tmp[sizeof(message)];
	va_list ap;

	/* fmt's arguments may point into message itself */
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	memcpy(message, tmp, sizeof(message));
}

void try_error_from_git(const char *what)
{
	const git_error *e = git_error_last();

	if (e && e->message && *e->message)
		try_error_set("%s: %s", what, e->message);
	else
		try_error_set("%s", what);
}

const char *try_error_last(void)
{
	return *message ? message : "unknown error";
}

void try_error_clear(void)
{
	*message = '\0';
}
