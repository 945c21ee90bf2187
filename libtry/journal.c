#include "libtry/journal.h"
#include "libtry/buf.h"
#include "libtry/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int try_journal_path(char **out, git_repository *repo,
		     const struct try_config *cfg)
{
	struct try_buf b = TRY_BUF_INIT;
	const char *gitdir = git_repository_path(repo);
	const char *p = cfg && cfg->journal ? cfg->journal : TRY_JOURNAL_DEFAULT;

	if (*p != '/') {
		try_buf_adds(&b, gitdir);
		if (b.len && b.ptr[b.len - 1] != '/')
			try_buf_addch(&b, '/');
	}
	try_buf_adds(&b, p);
	*out = try_buf_detach(&b);
	return 0;
}

/* Creates the folders above `path` (mkdir -p of its dirname). */
static int make_parents(const char *path)
{
	char *dir = try_xstrdup(path), *p;
	int ret = 0;

	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
			try_error_set("cannot create '%s': %s", dir,
				      strerror(errno));
			ret = -1;
			break;
		}
		*p = '/';
	}
	free(dir);
	return ret;
}

int try_journal_open(struct try_journal *j, const char *path)
{
	j->fd = -1;
	j->torn = 0;
	j->path = try_xstrdup(path);
	if (make_parents(path) < 0)
		return -1;
	j->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (j->fd < 0) {
		try_error_set("cannot open journal '%s': %s", path,
			      strerror(errno));
		return -1;
	}
	while (flock(j->fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		try_error_set("cannot lock journal '%s': %s", path,
			      strerror(errno));
		return -1;
	}
	return 0;
}

int try_journal_append(struct try_journal *j, const char *line, size_t len)
{
	struct try_buf b = TRY_BUF_INIT;
	struct stat st;
	ssize_t n;
	int ret = -1, ended = 0;

	if (memchr(line, '\n', len)) {
		try_error_set("journal line holds a newline");
		return -1;
	}
	if (fstat(j->fd, &st) < 0) {
		try_error_set("cannot stat journal '%s': %s", j->path,
			      strerror(errno));
		return -1;
	}
	/*
	 * A writer killed mid-write leaves a fragment without a newline.
	 * End it first (in the same write), or this line would be glued
	 * onto it and lost to every reader with it.
	 */
	if (st.st_size > 0) {
		char last;
		ssize_t got;

		do {
			got = pread(j->fd, &last, 1, st.st_size - 1);
		} while (got < 0 && errno == EINTR);
		if (got != 1) {
			try_error_set("cannot read journal '%s': %s", j->path,
				      got < 0 ? strerror(errno) : "short read");
			goto done;
		}
		if (last != '\n') {
			try_buf_addch(&b, '\n');
			j->torn++;
			ended = 1;
		}
	}
	try_buf_add(&b, line, len);
	try_buf_addch(&b, '\n');
	do {
		n = write(j->fd, b.ptr, b.len);
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)b.len) {
		ret = 0;
		goto done;
	}
	if (ended)
		j->torn--; /* cut back below: the fragment stays torn */
	if (n < 0)
		try_error_set("cannot write journal '%s': %s", j->path,
			      strerror(errno));
	else
		try_error_set("short write to journal '%s' (disk full?)",
			      j->path);
	/* we hold the lock: nobody wrote after us, so cut the torn line */
	if (n > 0 && ftruncate(j->fd, st.st_size) < 0)
		try_error_set("short write to journal '%s', and cannot cut "
			      "it back: %s", j->path, strerror(errno));
done:
	try_buf_release(&b);
	return ret;
}

int try_journal_close(struct try_journal *j)
{
	int ret = 0;

	if (j->fd >= 0) {
		if (fsync(j->fd) < 0) {
			try_error_set("cannot sync journal '%s': %s", j->path,
				      strerror(errno));
			ret = -1;
		}
		/* closing drops the lock */
		close(j->fd);
	}
	j->fd = -1;
	j->torn = 0;
	free(j->path);
	j->path = NULL;
	return ret;
}

#define CHUNK 65536

int try_journal_tail(const char *path, size_t max,
		     int (*fn)(const char *line, size_t len, void *payload),
		     void *payload)
{
	struct try_buf tail = TRY_BUF_INIT;
	struct stat st;
	off_t start;
	size_t lines = 0, i;
	char *p, *end;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			try_error_set("no journal at '%s'", path);
			return TRY_ENOTFOUND;
		}
		try_error_set("cannot open journal '%s': %s", path,
			      strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		try_error_set("cannot stat journal '%s': %s", path,
			      strerror(errno));
		goto done;
	}
	/*
	 * Read chunks from the end until the buffer holds more than `max`
	 * newlines (then at least `max` complete lines follow the first one)
	 * or the whole file.
	 */
	start = st.st_size;
	while (start > 0 && (!max || lines <= max)) {
		off_t from = start > CHUNK ? start - CHUNK : 0;
		size_t n = (size_t)(start - from), len = tail.len;
		ssize_t got;

		try_buf_grow(&tail, n);
		memmove(tail.ptr + n, tail.ptr, len + 1);
		got = pread(fd, tail.ptr, n, from);
		if (got != (ssize_t)n) {
			try_error_set("cannot read journal '%s': %s", path,
				      got < 0 ? strerror(errno) : "short read");
			goto done;
		}
		tail.len = len + n;
		for (i = 0; i < n; i++)
			lines += tail.ptr[i] == '\n';
		start = from;
	}

	/* drop a last line that is still being written */
	end = tail.ptr + tail.len;
	while (end > tail.ptr && end[-1] != '\n')
		end--;
	p = tail.ptr;
	if (start > 0) {
		/* the first bytes may be the end of an older line */
		p = memchr(p, '\n', (size_t)(end - p));
		p = p ? p + 1 : end;
	}
	if (max) {
		/* skip to the last `max` lines */
		size_t total = 0;
		char *q;
		for (q = p; q < end; q++)
			total += *q == '\n';
		while (total > max) {
			p = (char *)memchr(p, '\n', (size_t)(end - p)) + 1;
			total--;
		}
	}
	ret = 0;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl > p) {
			ret = fn(p, (size_t)(nl - p), payload);
			if (ret)
				break;
		}
		p = nl + 1;
	}
done:
	close(fd);
	try_buf_release(&tail);
	return ret;
}
