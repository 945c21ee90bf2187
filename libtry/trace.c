/*
 * $TRY_TRACE: see trace.h.
 */
#include "libtry/trace.h"
#include "libtry/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The destination: -1 off, 2 stderr, 0 a file (`path` set). */
static int destination(const char **path)
{
	const char *v = getenv("TRY_TRACE");

	*path = NULL;
	if (!v || !*v || !strcmp(v, "0") || !strcasecmp(v, "false"))
		return -1;
	if (!strcmp(v, "1") || !strcmp(v, "2") || !strcasecmp(v, "true"))
		return 2;
	if (*v == '/') {
		*path = v;
		return 0;
	}
	return -1;
}

int try_trace_enabled(void)
{
	const char *path;

	return destination(&path) >= 0;
}

static void write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

void try_trace(const char *key, const char *fmt, ...)
{
	struct try_buf line = TRY_BUF_INIT;
	const char *path;
	va_list ap;
	int fd = destination(&path);

	if (fd < 0)
		return;
	try_buf_addf(&line, "trace: %s: ", key);
	va_start(ap, fmt);
	try_buf_vaddf(&line, fmt, ap);
	va_end(ap);
	try_buf_addch(&line, '\n');
	if (path) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
		if (fd >= 0) {
			write_all(fd, line.ptr, line.len);
			close(fd);
		}
	} else {
		write_all(fd, line.ptr, line.len);
	}
	try_buf_release(&line);
}
