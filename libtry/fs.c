/*
 * File system primitives: see fs.h.
 */
#include "libtry/fs.h"
#include "libtry/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_MAX (64 * 1024)

/* mkdir of every prefix of `path` ending before a '/' (and all of it). */
static int mkdirs(const char *path, int last)
{
	char *dir = try_xstrdup(path), *p;
	int ret = 0;

	for (p = dir + 1; ret == 0; p++) {
		char c = *p;

		if (c && c != '/')
			continue;
		if (!c && !last)
			break;
		*p = '\0';
		if (*dir && mkdir(dir, 0777) < 0 && errno != EEXIST) {
			try_error_set("cannot create '%s': %s", dir,
				      strerror(errno));
			ret = -1;
		}
		*p = c;
		if (!c)
			break;
	}
	free(dir);
	return ret;
}

int try_fs_mkdir_p(const char *path)
{
	return *path ? mkdirs(path, 1) : 0;
}

int try_fs_mkdir_parents(const char *path)
{
	return *path ? mkdirs(path, 0) : 0;
}

int try_fs_write_in_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (!n) {
			errno = ENOSPC;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int try_fs_write_atomic(const char *path, const void *data, size_t len,
			mode_t mode)
{
	struct try_buf tmp = TRY_BUF_INIT;
	int fd, ret = -1;

	try_buf_addf(&tmp, "%s.%ld.tmp", path, (long)getpid());
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		try_error_set("cannot create '%s': %s", tmp.ptr,
			      strerror(errno));
		goto done;
	}
	if (try_fs_write_in_full(fd, data, len) < 0) {
		try_error_set("cannot write '%s': %s", tmp.ptr,
			      strerror(errno));
		close(fd);
		unlink(tmp.ptr);
		goto done;
	}
	if (close(fd) < 0 || rename(tmp.ptr, path) < 0) {
		try_error_set("cannot write '%s': %s", path, strerror(errno));
		unlink(tmp.ptr);
		goto done;
	}
	ret = 0;
done:
	try_buf_release(&tmp);
	return ret;
}

char *try_fs_expand_home(const char *path)
{
	struct try_buf buf = TRY_BUF_INIT;
	const char *home = getenv("HOME");

	if (path[0] != '~')
		return try_xstrdup(path);
	if (path[1] && path[1] != '/')
		return NULL;
	if (!home || !*home)
		return NULL;
	try_buf_adds(&buf, home);
	try_buf_adds(&buf, path + 1);
	return try_buf_detach(&buf);
}

int try_fs_read_secret(struct try_buf *out, const char *path,
		       const char *base)
{
	struct try_buf full = TRY_BUF_INIT;
	char *expanded = try_fs_expand_home(path);
	int ret = -1;

	if (!expanded) {
		try_error_set("cannot expand '%s': only '~/' with $HOME "
			      "set is understood", path);
		return -1;
	}
	if (base && expanded[0] != '/') {
		try_buf_adds(&full, base);
		if (full.len && full.ptr[full.len - 1] != '/')
			try_buf_addch(&full, '/');
	}
	try_buf_adds(&full, expanded);
	try_buf_reset(out);
	if (try_buf_read_file(out, full.ptr, SECRET_MAX) < 0)
		goto done;
	while (out->len && (out->ptr[out->len - 1] == '\n' ||
			    out->ptr[out->len - 1] == '\r'))
		try_buf_setlen(out, out->len - 1);
	if (!out->len) {
		try_error_set("'%s' is empty", full.ptr);
		goto done;
	}
	ret = 0;
done:
	free(expanded);
	try_buf_release(&full);
	return ret;
}
