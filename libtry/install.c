#include "libtry/install.h"
#include "libtry/error.h"
#include "libtry/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TRY_LIBEXECDIR
#define TRY_LIBEXECDIR "/usr/local/libexec/try"
#endif

static const char *const stdin_hooks[] = {
	"pre-receive", "post-receive", "pre-push", "post-rewrite",
	"reference-transaction", NULL
};

int try_hook_reads_stdin(const char *name)
{
	size_t i;

	for (i = 0; stdin_hooks[i]; i++)
		if (!strcmp(stdin_hooks[i], name))
			return 1;
	return 0;
}

/* git ignores the status of these: a failing kept hook must not stop ours */
static int status_ignored(const char *name)
{
	return !strncmp(name, "post-", 5);
}

void try_install_shim_text(struct try_buf *out, const char *name,
			   const char *program)
{
	const char *on_fail = status_ignored(name) ? "" :
		" || { rc=$?; rm -f \"$in\"; exit $rc; }";

	try_buf_adds(out, "#!/bin/sh\n");
	try_buf_addf(out, TRY_SHIM_MARKER " %s: installed by 'git trunk "
		     "install'; 'git trunk uninstall' removes it\n", name);
	try_buf_addf(out, "# and restores the previous hook, kept as "
		     "%s" TRY_ORIG_SUFFIX ", which runs first.\n", name);
	try_buf_adds(out, "prog=");
	try_buf_add_shquoted(out, program);
	try_buf_adds(out, "\n");
	try_buf_addf(out, "orig=\"${0%%/*}/%s" TRY_ORIG_SUFFIX "\"\n", name);
	try_buf_adds(out, "if [ -x \"$orig\" ]; then\n");
	if (try_hook_reads_stdin(name)) {
		try_buf_adds(out,
			"\tin=$(mktemp) || exit 1\n"
			"\tcat >\"$in\" || { rm -f \"$in\"; exit 1; }\n"
			"\t\"$orig\" \"$@\" <\"$in\"");
		try_buf_adds(out, on_fail);
		try_buf_adds(out, "\n"
			"\t\"$prog\" \"$@\" <\"$in\"\n"
			"\trc=$?\n"
			"\trm -f \"$in\"\n"
			"\texit $rc\n");
	} else {
		try_buf_addf(out, "\t\"$orig\" \"$@\"%s\n",
			     status_ignored(name) ? "" : " || exit $?");
	}
	try_buf_adds(out, "fi\nexec \"$prog\" \"$@\"\n");
}

static int is_ours(const char *path)
{
	struct try_buf b = TRY_BUF_INIT;
	int ours = 0;

	if (try_buf_read_file(&b, path, 1 << 20) == 0)
		ours = strstr(b.ptr, TRY_SHIM_MARKER) != NULL;
	try_buf_release(&b);
	return ours;
}

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* Writes `text` to `path` atomically (temp file + rename), mode 0755. */
static int write_executable(const char *path, const struct try_buf *text)
{
	struct try_buf tmp = TRY_BUF_INIT;
	int fd, ret = -1;

	try_buf_addf(&tmp, "%s.try-new", path);
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0) {
		try_error_set("cannot write '%s': %s", tmp.ptr, strerror(errno));
		goto done;
	}
	if (write(fd, text->ptr, text->len) != (ssize_t)text->len ||
	    fchmod(fd, 0755) < 0 || close(fd) < 0) {
		try_error_set("cannot write '%s': %s", tmp.ptr, strerror(errno));
		unlink(tmp.ptr);
		goto done;
	}
	if (rename(tmp.ptr, path) < 0) {
		try_error_set("cannot write '%s': %s", path, strerror(errno));
		unlink(tmp.ptr);
		goto done;
	}
	ret = 0;
done:
	try_buf_release(&tmp);
	return ret;
}

int try_install_hook(enum try_install_result *out, const char *hooks_dir,
		     const char *name, const char *program)
{
	struct try_buf path = TRY_BUF_INIT, orig = TRY_BUF_INIT;
	struct try_buf text = TRY_BUF_INIT, cur = TRY_BUF_INIT;
	int ret = -1;

	try_buf_addf(&path, "%s/%s", hooks_dir, name);
	try_buf_addf(&orig, "%s" TRY_ORIG_SUFFIX, path.ptr);
	try_install_shim_text(&text, name, program);

	if (try_fs_mkdir_p(hooks_dir) < 0)
		goto done;
	if (exists(path.ptr)) {
		if (is_ours(path.ptr)) {
			if (try_buf_read_file(&cur, path.ptr, 1 << 20) == 0 &&
			    cur.len == text.len &&
			    !memcmp(cur.ptr, text.ptr, text.len)) {
				*out = TRY_INSTALL_UNCHANGED;
				ret = 0;
				goto done;
			}
			*out = TRY_INSTALL_UPDATED;
		} else {
			if (exists(orig.ptr)) {
				try_error_set("cannot keep '%s': '%s' exists "
					      "already", path.ptr, orig.ptr);
				goto done;
			}
			if (rename(path.ptr, orig.ptr) < 0) {
				try_error_set("cannot keep '%s': %s", path.ptr,
					      strerror(errno));
				goto done;
			}
			*out = TRY_INSTALL_CHAINED;
		}
	} else {
		*out = TRY_INSTALL_CREATED;
	}
	if (write_executable(path.ptr, &text) < 0) {
		/* put the kept hook back where it was */
		if (*out == TRY_INSTALL_CHAINED)
			rename(orig.ptr, path.ptr);
		goto done;
	}
	ret = 0;
done:
	try_buf_release(&path);
	try_buf_release(&orig);
	try_buf_release(&text);
	try_buf_release(&cur);
	return ret;
}

int try_uninstall_hook(enum try_uninstall_result *out, const char *hooks_dir,
		       const char *name)
{
	struct try_buf path = TRY_BUF_INIT, orig = TRY_BUF_INIT;
	int ret = -1;

	try_buf_addf(&path, "%s/%s", hooks_dir, name);
	try_buf_addf(&orig, "%s" TRY_ORIG_SUFFIX, path.ptr);
	if (!exists(path.ptr) || !is_ours(path.ptr)) {
		*out = TRY_UNINSTALL_ABSENT;
		ret = 0;
		goto done;
	}
	if (exists(orig.ptr)) {
		if (rename(orig.ptr, path.ptr) < 0) {
			try_error_set("cannot restore '%s': %s", orig.ptr,
				      strerror(errno));
			goto done;
		}
		*out = TRY_UNINSTALL_RESTORED;
	} else {
		if (unlink(path.ptr) < 0) {
			try_error_set("cannot remove '%s': %s", path.ptr,
				      strerror(errno));
			goto done;
		}
		*out = TRY_UNINSTALL_REMOVED;
	}
	ret = 0;
done:
	try_buf_release(&path);
	try_buf_release(&orig);
	return ret;
}

enum try_hook_state try_hook_state(const char *hooks_dir, const char *name)
{
	struct try_buf path = TRY_BUF_INIT;
	enum try_hook_state st;

	try_buf_addf(&path, "%s/%s", hooks_dir, name);
	if (!exists(path.ptr)) {
		st = TRY_HOOK_NONE;
	} else if (!is_ours(path.ptr)) {
		st = TRY_HOOK_FOREIGN;
	} else {
		try_buf_adds(&path, TRY_ORIG_SUFFIX);
		st = exists(path.ptr) ? TRY_HOOK_CHAINED : TRY_HOOK_OURS;
	}
	try_buf_release(&path);
	return st;
}

static int try_candidate(char **out, const char *dir, const char *rel,
			 const char *name)
{
	struct try_buf b = TRY_BUF_INIT;
	char real[PATH_MAX];

	try_buf_addf(&b, "%s%s/%s", dir, rel, name);
	if (access(b.ptr, X_OK) == 0 && realpath(b.ptr, real)) {
		*out = try_xstrdup(real);
		try_buf_release(&b);
		return 1;
	}
	try_buf_release(&b);
	return 0;
}

int try_install_find_program(char **out, const char *name)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	*out = NULL;
	if (n > 0) {
		char *slash;
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		if (try_candidate(out, self, "/../libexec/try", name) ||
		    try_candidate(out, self, "/../hooks", name) ||
		    try_candidate(out, self, "", name))
			return 0;
	}
	if (try_candidate(out, TRY_LIBEXECDIR, "", name))
		return 0;
	try_error_set("cannot find the program '%s' (looked beside this "
		      "binary and in " TRY_LIBEXECDIR ")", name);
	return TRY_ENOTFOUND;
}
