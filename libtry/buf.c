#include "libtry/buf.h"
#include "libtry/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char try_buf__empty[1];

static void die_oom(void)
{
	static const char msg[] = "fatal: out of memory\n";
	ssize_t ignored = write(2, msg, sizeof(msg) - 1);
	(void)ignored;
	abort();
}

void *try_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_oom();
	return p;
}

void *try_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		die_oom();
	return p;
}

void *try_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die_oom();
	return p;
}

char *try_xstrdup(const char *s)
{
	return try_xstrndup(s, strlen(s));
}

char *try_xstrndup(const char *s, size_t n)
{
	char *p = try_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void try_array_grow(void **array, size_t *alloc, size_t nr, size_t size)
{
	size_t n;

	if (nr <= *alloc)
		return;
	n = *alloc ? *alloc : 8;
	while (n < nr)
		n = n * 3 / 2 + 8;
	if (n > ((size_t)-1) / size)
		die_oom();
	*array = try_xrealloc(*array, n * size);
	*alloc = n;
}

void try_buf_init(struct try_buf *buf)
{
	buf->ptr = try_buf__empty;
	buf->len = 0;
	buf->alloc = 0;
}

void try_buf_release(struct try_buf *buf)
{
	if (buf->alloc)
		free(buf->ptr);
	try_buf_init(buf);
}

char *try_buf_detach(struct try_buf *buf)
{
	char *p;

	if (!buf->alloc)
		return try_xstrdup("");
	p = buf->ptr;
	try_buf_init(buf);
	return p;
}

void try_buf_grow(struct try_buf *buf, size_t extra)
{
	size_t want;

	if (extra > ((size_t)-1) - buf->len - 1)
		die_oom();
	want = buf->len + extra + 1;
	if (want <= buf->alloc)
		return;
	if (!buf->alloc)
		buf->ptr = NULL;
	{
		size_t n = buf->alloc ? buf->alloc : 64;
		while (n < want)
			n = n < ((size_t)-1) / 2 ? n * 2 : want;
		buf->ptr = try_xrealloc(buf->ptr, n);
		if (!buf->alloc)
			buf->ptr[0] = '\0';
		buf->alloc = n;
	}
}

void try_buf_add(struct try_buf *buf, const void *data, size_t len)
{
	if (!len)
		return;
	try_buf_grow(buf, len);
	memcpy(buf->ptr + buf->len, data, len);
	buf->len += len;
	buf->ptr[buf->len] = '\0';
}

void try_buf_adds(struct try_buf *buf, const char *s)
{
	try_buf_add(buf, s, strlen(s));
}

void try_buf_addch(struct try_buf *buf, int c)
{
	char ch = (char)c;
	try_buf_add(buf, &ch, 1);
}

void try_buf_vaddf(struct try_buf *buf, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	try_buf_grow(buf, (size_t)n);
	vsnprintf(buf->ptr + buf->len, (size_t)n + 1, fmt, ap);
	buf->len += (size_t)n;
}

void try_buf_addf(struct try_buf *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	try_buf_vaddf(buf, fmt, ap);
	va_end(ap);
}

void try_buf_reset(struct try_buf *buf)
{
	try_buf_setlen(buf, 0);
}

void try_buf_setlen(struct try_buf *buf, size_t len)
{
	if (!buf->alloc)
		return;
	if (len > buf->len)
		len = buf->len;
	buf->len = len;
	buf->ptr[len] = '\0';
}

void try_buf_rtrim(struct try_buf *buf)
{
	size_t n = buf->len;

	while (n && (buf->ptr[n - 1] == ' ' || buf->ptr[n - 1] == '\t' ||
		     buf->ptr[n - 1] == '\n' || buf->ptr[n - 1] == '\r'))
		n--;
	try_buf_setlen(buf, n);
}

int try_buf_read_fd(struct try_buf *buf, int fd, size_t cap)
{
	for (;;) {
		ssize_t n;

		try_buf_grow(buf, 8192);
		n = read(fd, buf->ptr + buf->len, buf->alloc - buf->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			try_error_set("read failed: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		buf->len += (size_t)n;
		buf->ptr[buf->len] = '\0';
		if (cap && buf->len > cap) {
			try_error_set("input larger than %zu bytes", cap);
			return -1;
		}
	}
	return 0;
}

int try_buf_read_file(struct try_buf *buf, const char *path, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0) {
		try_error_set("cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	ret = try_buf_read_fd(buf, fd, cap);
	close(fd);
	if (ret < 0)
		try_error_set("cannot read '%s': %s", path, try_error_last());
	return ret;
}

void try_buf_add_shquoted(struct try_buf *buf, const char *s)
{
	try_buf_addch(buf, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			try_buf_adds(buf, "'\\''");
		else
			try_buf_addch(buf, *s);
	}
	try_buf_addch(buf, '\'');
}
