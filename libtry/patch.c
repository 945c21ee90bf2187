#include "libtry/patch.h"
#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/repo.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Output of git diff is capped: a try of more than this is a mistake. */
#define PATCH_CAP ((size_t)512 * 1024 * 1024)

static const char zero_oid[] = "0000000000000000000000000000000000000000";

struct run {
	const char *const *argv;   /* argv[0] is the program */
	const char *dir;           /* NULL: the current directory */
	const char *index_file;    /* GIT_INDEX_FILE, or NULL */
	int literal_pathspecs;     /* GIT_LITERAL_PATHSPECS=1 */
	const char *in;            /* standard input, or NULL: /dev/null */
	size_t in_len;
	struct try_buf *out;       /* standard output, or NULL: discarded */
	struct try_buf *err;       /* standard error, captured */
};

static void child_exec(const struct run *r, int in_fd, int out_fd, int err_fd)
{
	int devnull = open("/dev/null", O_RDWR);

	if (in_fd < 0)
		in_fd = devnull;
	if (out_fd < 0)
		out_fd = devnull;
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(127);
	if (r->dir && chdir(r->dir) < 0)
		_exit(127);
	/* what would change git's diff output behind the pinned options */
	unsetenv("GIT_EXTERNAL_DIFF");
	unsetenv("GIT_DIFF_OPTS");
	unsetenv("GIT_PAGER");
	unsetenv("GIT_ICASE_PATHSPECS");
	unsetenv("GIT_GLOB_PATHSPECS");
	unsetenv("GIT_NOGLOB_PATHSPECS");
	if (r->literal_pathspecs)
		setenv("GIT_LITERAL_PATHSPECS", "1", 1);
	else
		unsetenv("GIT_LITERAL_PATHSPECS");
	if (r->index_file)
		setenv("GIT_INDEX_FILE", r->index_file, 1);
	setenv("GIT_OPTIONAL_LOCKS", "0", 1);
	signal(SIGPIPE, SIG_DFL);
	execvp(r->argv[0], (char *const *)r->argv);
	_exit(127);
}

/* The first line of git's complaint, for a message. */
static void first_error_line(struct try_buf *out, const struct try_buf *err)
{
	const char *p = err->ptr, *end = err->ptr + err->len;

	/* skip warnings and hints, show the error when there is one */
	const char *e = strstr(p, "fatal: ");
	if (!e)
		e = strstr(p, "error: ");
	if (e)
		p = e;
	end = memchr(p, '\n', (size_t)(end - p));
	if (!end)
		end = err->ptr + err->len;
	try_buf_add(out, p, (size_t)(end - p));
}

/*
 * Runs r->argv, feeding r->in and collecting standard output and error
 * without deadlock.  0 when it exits with 0; -1 with a message naming
 * `what` and git's error otherwise.
 */
static int run(const struct run *r, const char *what)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	struct try_buf errbuf = TRY_BUF_INIT;
	struct try_buf *errp = r->err ? r->err : &errbuf;
	size_t in_off = 0;
	pid_t pid = -1;
	int status = 0, ret = -1, open_fds;

	if ((r->in && pipe2(in, O_CLOEXEC) < 0) || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(err, O_CLOEXEC) < 0) {
		try_error_set("%s: cannot make a pipe: %s", what,
			      strerror(errno));
		goto done;
	}
	pid = fork();
	if (pid < 0) {
		try_error_set("%s: cannot fork: %s", what, strerror(errno));
		goto done;
	}
	if (pid == 0)
		child_exec(r, in[0], out[1], err[1]);
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	if (r->in) {
		close(in[0]);
		in[0] = -1;
		fcntl(in[1], F_SETFL, O_NONBLOCK);
		if (!r->in_len) {
			close(in[1]);
			in[1] = -1;
		}
	}

	open_fds = 2;
	while (open_fds || in[1] >= 0) {
		struct pollfd fds[3];
		int n = 0, i;

		if (out[0] >= 0)
			fds[n++] = (struct pollfd){ out[0], POLLIN, 0 };
		if (err[0] >= 0)
			fds[n++] = (struct pollfd){ err[0], POLLIN, 0 };
		if (in[1] >= 0)
			fds[n++] = (struct pollfd){ in[1], POLLOUT, 0 };
		if (poll(fds, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			try_error_set("%s: poll: %s", what, strerror(errno));
			goto done;
		}
		for (i = 0; i < n; i++) {
			int fd = fds[i].fd;

			if (!fds[i].revents)
				continue;
			if (fd == in[1]) {
				ssize_t w = write(fd, r->in + in_off,
						  r->in_len - in_off);
				if (w < 0 &&
				    (errno == EAGAIN || errno == EINTR))
					continue;
				if (w >= 0)
					in_off += (size_t)w;
				if (w < 0 || in_off == r->in_len) {
					/* EPIPE: git stopped reading; its
					 * exit status tells */
					close(in[1]);
					in[1] = -1;
				}
			} else {
				struct try_buf *b = fd == out[0] ?
					(r->out ? r->out : &errbuf) : errp;
				char chunk[65536];
				ssize_t got = read(fd, chunk, sizeof(chunk));

				if (got < 0 && errno == EINTR)
					continue;
				if (got <= 0) {
					close(fd);
					if (fd == out[0])
						out[0] = -1;
					else
						err[0] = -1;
					open_fds--;
					continue;
				}
				if (fd == out[0] && !r->out)
					continue;
				try_buf_add(b, chunk, (size_t)got);
				if (b->len > PATCH_CAP) {
					try_error_set("%s: output larger than "
						      "%zu bytes", what,
						      PATCH_CAP);
					kill(pid, SIGTERM);
					goto done;
				}
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			try_error_set("%s: waitpid: %s", what, strerror(errno));
			goto done;
		}
	}
	pid = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		ret = 0;
	} else {
		struct try_buf msg = TRY_BUF_INIT;

		try_buf_addf(&msg, "%s failed", what);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127 &&
		    !errp->len)
			try_buf_addf(&msg, ": cannot run '%s'", r->argv[0]);
		else if (WIFSIGNALED(status))
			try_buf_addf(&msg, ": killed by signal %d",
				     WTERMSIG(status));
		if (errp->len) {
			try_buf_adds(&msg, ": ");
			first_error_line(&msg, errp);
		}
		try_error_set("%s", msg.ptr);
		try_buf_release(&msg);
	}
done:
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	if (err[0] >= 0)
		close(err[0]);
	if (err[1] >= 0)
		close(err[1]);
	try_buf_release(&errbuf);
	return ret;
}

int try_patch_base(git_oid *out, git_repository *repo,
		   const struct try_config *cfg, const char *rev)
{
	struct try_buf ref = TRY_BUF_INIT;
	git_object *obj = NULL, *commit = NULL;
	git_oid head, upstream;
	int error, ret = -1;

	if (rev) {
		if (git_revparse_single(&obj, repo, rev) < 0) {
			try_error_set("bad revision '%s'", rev);
			goto done;
		}
		if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0) {
			try_error_set("'%s' is not a commit", rev);
			goto done;
		}
		git_oid_cpy(out, git_object_id(commit));
		ret = 0;
		goto done;
	}

	try_buf_addf(&ref, "refs/remotes/%s/%s", cfg->remote,
		     cfg->trunk_branch);
	if (try_repo_ref_commit(&upstream, repo, ref.ptr) < 0) {
		try_error_set("no remote-tracking branch '%s/%s' to find the "
			      "base: run 'git fetch %s', or give --base <rev>",
			      cfg->remote, cfg->trunk_branch, cfg->remote);
		goto done;
	}
	if (git_reference_name_to_id(&head, repo, "HEAD") < 0) {
		try_error_set("HEAD does not point at a commit yet; give "
			      "--base <rev>");
		goto done;
	}
	error = git_merge_base(out, repo, &head, &upstream);
	if (error == GIT_ENOTFOUND) {
		try_error_set("HEAD and '%s/%s' have no common history; give "
			      "--base <rev>", cfg->remote, cfg->trunk_branch);
		goto done;
	}
	if (error < 0) {
		try_error_from_git("cannot find the merge-base");
		goto done;
	}
	ret = 0;
done:
	git_object_free(commit);
	git_object_free(obj);
	try_buf_release(&ref);
	return ret;
}

/* 1 when ref `name` leads to `base` or a descendant of it, else 0. */
static int ref_has(git_repository *repo, const char *name, const git_oid *base)
{
	git_oid tip;

	if (try_repo_ref_commit(&tip, repo, name) < 0)
		return 0;
	if (git_oid_equal(&tip, base))
		return 1;
	return git_graph_descendant_of(repo, &tip, base) == 1;
}

int try_patch_base_on_remote(git_repository *repo, const git_oid *base,
			     const char *remote, const char *trunk_branch)
{
	struct try_buf glob = TRY_BUF_INIT, name = TRY_BUF_INIT;
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int error, ret = -1, seen = 0;

	if (trunk_branch) {
		try_buf_addf(&name, "refs/remotes/%s/%s", remote, trunk_branch);
		if (ref_has(repo, name.ptr, base)) {
			ret = 0;
			goto done;
		}
	}
	try_buf_addf(&glob, "refs/remotes/%s/*", remote);
	if (git_reference_iterator_glob_new(&it, repo, glob.ptr) < 0) {
		try_error_from_git("cannot list remote-tracking branches");
		goto done;
	}
	while ((error = git_reference_next(&ref, it)) == 0) {
		int has = ref_has(repo, git_reference_name(ref), base);

		seen++;
		git_reference_free(ref);
		ref = NULL;
		if (has) {
			ret = 0;
			goto done;
		}
	}
	if (error != GIT_ITEROVER) {
		try_error_from_git("cannot list remote-tracking branches");
		goto done;
	}
	git_oid_tostr(hex, sizeof(hex), base);
	if (!seen)
		try_error_set("remote '%s' has no remote-tracking branches, so "
			      "base %.12s may not be there: push it, or run "
			      "'git fetch %s'", remote, hex, remote);
	else
		try_error_set("base %.12s is not on remote '%s' (no "
			      "remote-tracking branch contains it): push it "
			      "first, or run 'git fetch %s' if it is there "
			      "already", hex, remote, remote);
	ret = TRY_ENOTFOUND;
done:
	git_reference_free(ref);
	git_reference_iterator_free(it);
	try_buf_release(&glob);
	try_buf_release(&name);
	return ret;
}

int try_patch_is_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;

	while (p < end) {
		unsigned c = *p;
		size_t n, i;
		unsigned cp;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if ((size_t)(end - p) <= n)
			return 0;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		/* overlong forms, surrogates, past U+10FFFF */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		p += n + 1;
	}
	return 1;
}

size_t try_patch_count_files(const char *patch, size_t len)
{
	const char *p = patch, *end = patch + len;
	size_t n = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if ((size_t)(end - p) > 11 && !memcmp(p, "diff --git ", 11))
			n++;
		if (!nl)
			break;
		p = nl + 1;
	}
	return n;
}

/*
 * Unquotes a path of a patch header ("a/x" or "\"a/\\303\\251\"") into
 * `out` and strips the one-component prefix.  -1 when malformed.
 */
static int header_path(struct try_buf *out, const char *s, size_t len)
{
	size_t i;

	try_buf_reset(out);
	if (len && s[0] == '"') {
		for (i = 1; i < len && s[i] != '"'; i++) {
			int c = (unsigned char)s[i];

			if (c == '\\' && i + 1 < len) {
				c = (unsigned char)s[++i];
				switch (c) {
				case 'a': c = '\a'; break;
				case 'b': c = '\b'; break;
				case 't': c = '\t'; break;
				case 'n': c = '\n'; break;
				case 'v': c = '\v'; break;
				case 'f': c = '\f'; break;
				case 'r': c = '\r'; break;
				case '"': case '\\': break;
				default:
					if (c >= '0' && c <= '3' &&
					    i + 2 < len) {
						c = (c - '0') * 64 +
						    (s[i + 1] - '0') * 8 +
						    (s[i + 2] - '0');
						i += 2;
					} else {
						return -1;
					}
				}
			}
			try_buf_addch(out, c);
		}
	} else {
		try_buf_add(out, s, len);
	}
	if (out->len < 2 || out->ptr[1] != '/')
		return -1;
	memmove(out->ptr, out->ptr + 2, out->len - 2);
	try_buf_setlen(out, out->len - 2);
	return 0;
}

/* The new side's content: the blob when stored, else the working file. */
static int new_content(struct try_buf *out, git_repository *repo,
		       const char *path, const git_oid *id, unsigned mode)
{
	struct try_buf full = TRY_BUF_INIT;
	git_filter_list *filters = NULL;
	git_buf filtered = GIT_BUF_INIT;
	git_blob *blob = NULL;
	git_oid got;
	int ret = -1;

	if (git_blob_lookup(&blob, repo, id) == 0) {
		try_buf_add(out, git_blob_rawcontent(blob),
			    (size_t)git_blob_rawsize(blob));
		ret = 0;
		goto done;
	}
	git_error_clear();
	try_buf_addf(&full, "%s%s", git_repository_workdir(repo), path);
	if (mode == 0120000) {
		char target[4096];
		ssize_t n = readlink(full.ptr, target, sizeof(target));

		if (n < 0 || (size_t)n == sizeof(target)) {
			try_error_set("cannot read link '%s': %s", path,
				      n < 0 ? strerror(errno) : "too long");
			goto done;
		}
		try_buf_add(out, target, (size_t)n);
	} else {
		if (git_filter_list_load(&filters, repo, NULL, path,
					 GIT_FILTER_TO_ODB, 0) < 0 ||
		    git_filter_list_apply_to_file(&filtered, filters, repo,
						  path) < 0) {
			try_error_from_git(path);
			goto done;
		}
		try_buf_add(out, filtered.ptr, filtered.size);
	}
	if (git_odb_hash(&got, out->ptr, out->len, GIT_OBJECT_BLOB) < 0 ||
	    !git_oid_equal(&got, id)) {
		try_error_set("'%s' changed while the patch was made; try "
			      "again", path);
		goto done;
	}
	ret = 0;
done:
	git_buf_dispose(&filtered);
	git_filter_list_free(filters);
	git_blob_free(blob);
	try_buf_release(&full);
	return ret;
}

/* Finds a line starting with `prefix` in [p, end); NULL when none. */
static const char *find_line(const char *p, const char *end,
			     const char *prefix, const char **eol)
{
	size_t plen = strlen(prefix);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if ((size_t)(le - p) >= plen && !memcmp(p, prefix, plen)) {
			*eol = le;
			return p;
		}
		p = nl ? nl + 1 : end;
	}
	return NULL;
}

static unsigned parse_mode(const char *p, const char *end)
{
	unsigned mode = 0;

	while (p < end && *p >= '0' && *p <= '7')
		mode = mode * 8 + (unsigned)(*p++ - '0');
	return mode;
}

/*
 * Appends section [s, end) of a text patch to `out` as a binary patch: the
 * header lines as git wrote them, then libgit2's "GIT binary patch" of the
 * same two blobs.
 */
static int add_as_binary(struct try_buf *out, git_repository *repo,
			 const char *s, const char *end)
{
	struct try_buf oldpath = TRY_BUF_INIT, newpath = TRY_BUF_INIT;
	struct try_buf oldc = TRY_BUF_INIT, newc = TRY_BUF_INIT;
	git_diff_options opts;
	git_patch *patch = NULL;
	git_buf text = GIT_BUF_INIT;
	git_blob *blob = NULL;
	const char *minus, *plus, *index, *eol, *bin, *e2;
	git_oid old_id, new_id;
	unsigned mode = 0100644;
	int ret = -1;

	index = find_line(s, end, "index ", &eol);
	minus = find_line(s, end, "--- ", &e2);
	if (!index || !minus || index > minus ||
	    (size_t)(eol - index) < 6 + 2 * GIT_OID_HEXSZ + 2 ||
	    git_oid_fromstrn(&old_id, index + 6, GIT_OID_HEXSZ) < 0 ||
	    git_oid_fromstrn(&new_id, index + 8 + GIT_OID_HEXSZ,
			     GIT_OID_HEXSZ) < 0)
		goto malformed;
	if (index + 8 + 2 * GIT_OID_HEXSZ < eol)
		mode = parse_mode(index + 9 + 2 * GIT_OID_HEXSZ, eol);
	else {
		const char *m = find_line(s, index, "new mode ", &e2);
		if (!m)
			m = find_line(s, index, "new file mode ", &e2);
		if (m)
			mode = parse_mode(strchr(m, 'm') + 5, e2);
	}
	plus = find_line(minus, end, "+++ ", &e2);
	if (!plus)
		goto malformed;
	{
		const char *me = memchr(minus, '\n', (size_t)(end - minus));
		size_t ml = (size_t)(me - minus) - 4;
		size_t pl = (size_t)(e2 - plus) - 4;
		int null_old = ml == 9 && !memcmp(minus + 4, "/dev/null", 9);
		int null_new = pl == 9 && !memcmp(plus + 4, "/dev/null", 9);

		if ((!null_old && header_path(&oldpath, minus + 4, ml) < 0) ||
		    (!null_new && header_path(&newpath, plus + 4, pl) < 0))
			goto malformed;
		if (null_old)
			try_buf_adds(&oldpath, newpath.ptr);
		if (null_new)
			try_buf_adds(&newpath, oldpath.ptr);
	}

	if (memcmp(index + 6, zero_oid, GIT_OID_HEXSZ)) {
		if (git_blob_lookup(&blob, repo, &old_id) < 0) {
			try_error_from_git(oldpath.ptr);
			goto done;
		}
		try_buf_add(&oldc, git_blob_rawcontent(blob),
			    (size_t)git_blob_rawsize(blob));
	}
	if (memcmp(index + 8 + GIT_OID_HEXSZ, zero_oid, GIT_OID_HEXSZ) &&
	    new_content(&newc, repo, newpath.ptr, &new_id, mode) < 0)
		goto done;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.flags = GIT_DIFF_SHOW_BINARY | GIT_DIFF_FORCE_BINARY;
	opts.id_abbrev = GIT_OID_HEXSZ;
	if (git_patch_from_buffers(&patch, oldc.ptr, oldc.len, oldpath.ptr,
				   newc.ptr, newc.len, newpath.ptr,
				   &opts) < 0 ||
	    git_patch_to_buf(&text, patch) < 0) {
		try_error_from_git("cannot make a binary patch");
		goto done;
	}
	bin = text.ptr ? strstr(text.ptr, "\nGIT binary patch\n") : NULL;
	if (!bin) {
		try_error_set("cannot make a binary patch of '%s'",
			      newpath.ptr);
		goto done;
	}
	try_buf_add(out, s, (size_t)(minus - s));
	try_buf_add(out, bin + 1, text.size - (size_t)(bin + 1 - text.ptr));
	ret = 0;
	goto done;
malformed:
	try_error_set("cannot parse git's patch near '%.40s'", s);
done:
	git_buf_dispose(&text);
	git_patch_free(patch);
	git_blob_free(blob);
	try_buf_release(&oldpath);
	try_buf_release(&newpath);
	try_buf_release(&oldc);
	try_buf_release(&newc);
	return ret;
}

/*
 * Rewrites the sections of `patch` that are not UTF-8 as binary patches.
 * Most patches are UTF-8 and are left as they are.
 */
static int make_utf8(struct try_buf *patch, git_repository *repo)
{
	struct try_buf out = TRY_BUF_INIT;
	const char *p = patch->ptr, *end = patch->ptr + patch->len;
	int ret = -1;

	if (try_patch_is_utf8(patch->ptr, patch->len))
		return 0;
	while (p < end) {
		const char *next = p + 1, *q;

		/* the next section starts at the next "diff --git " line */
		for (;;) {
			q = memchr(next, '\n', (size_t)(end - next));
			if (!q || (size_t)(end - q) <= 11) {
				next = end;
				break;
			}
			if (!memcmp(q + 1, "diff --git ", 11)) {
				next = q + 1;
				break;
			}
			next = q + 1;
		}
		if (try_patch_is_utf8(p, (size_t)(next - p)))
			try_buf_add(&out, p, (size_t)(next - p));
		else if (add_as_binary(&out, repo, p, next) < 0)
			goto done;
		p = next;
	}
	try_buf_release(patch);
	*patch = out;
	try_buf_init(&out);
	ret = 0;
done:
	try_buf_release(&out);
	return ret;
}

/*
 * Copies the index file `from` to `to` with its modification time: git
 * compares that time with the entries' to spot files changed in the same
 * second as the index was written ("racy git"); a copy with a newer time
 * would make such a change look clean.
 */
static int copy_index(const char *from, const char *to)
{
	struct try_buf data = TRY_BUF_INIT;
	struct stat st;
	int fd = -1, ret = -1;
	size_t off = 0;

	if (stat(from, &st) < 0) {
		try_error_set("cannot stat '%s': %s", from, strerror(errno));
		goto done;
	}
	if (try_buf_read_file(&data, from, 0) < 0)
		goto done;
	fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		try_error_set("cannot create '%s': %s", to, strerror(errno));
		goto done;
	}
	while (off < data.len) {
		ssize_t w = write(fd, data.ptr + off, data.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			try_error_set("cannot write '%s': %s", to,
				      strerror(errno));
			goto done;
		}
		off += (size_t)w;
	}
	{
		struct timespec times[2] = { st.st_atim, st.st_mtim };
		if (futimens(fd, times) < 0) {
			try_error_set("cannot set the time of '%s': %s", to,
				      strerror(errno));
			goto done;
		}
	}
	ret = 0;
done:
	if (fd >= 0 && close(fd) < 0 && ret == 0) {
		try_error_set("cannot write '%s': %s", to, strerror(errno));
		ret = -1;
	}
	try_buf_release(&data);
	return ret;
}

/*
 * A temporary copy of the index in a new folder `*dir`, with every
 * untracked, not ignored file under the pathspecs added as intent-to-add.
 */
static int untracked_index(char **dir, char **index, git_repository *repo,
			   const struct try_patch_options *opts,
			   const char *git)
{
	struct try_buf path = TRY_BUF_INIT, list = TRY_BUF_INIT;
	const char **argv = NULL;
	const char *tmp = getenv("TMPDIR");
	struct run r;
	struct stat st;
	const char *env_index = getenv("GIT_INDEX_FILE");
	size_t i, n = 0;
	int ret = -1;

	*dir = *index = NULL;
	try_buf_addf(&path, "%s/git-try-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(path.ptr)) {
		try_error_set("cannot make a temporary folder '%s': %s",
			      path.ptr, strerror(errno));
		goto done;
	}
	*dir = try_xstrdup(path.ptr);
	try_buf_adds(&path, "/index");
	*index = try_buf_detach(&path);
	if (env_index && *env_index)
		try_buf_adds(&path, env_index);
	else
		try_buf_addf(&path, "%sindex", git_repository_path(repo));
	if (stat(path.ptr, &st) == 0 && copy_index(path.ptr, *index) < 0)
		goto done;

	/* git ls-files -z -o --exclude-standard --full-name -- <paths> */
	argv = try_xcalloc(opts->npaths + 9, sizeof(*argv));
	argv[n++] = git;
	argv[n++] = "ls-files";
	argv[n++] = "-z";
	argv[n++] = "--others";
	argv[n++] = "--exclude-standard";
	argv[n++] = "--full-name";
	argv[n++] = "--";
	for (i = 0; i < opts->npaths; i++)
		argv[n++] = opts->paths[i];
	/* the whole tree, as git diff-index sees it, also from a subfolder */
	if (!opts->npaths)
		argv[n++] = ":/";
	memset(&r, 0, sizeof(r));
	r.argv = argv;
	r.index_file = *index;
	r.out = &list;
	if (run(&r, "git ls-files") < 0)
		goto done;
	if (!list.len) {
		ret = 0;
		goto done;
	}

	/* from the top: the names are full names */
	n = 0;
	argv[n++] = git;
	argv[n++] = "add";
	argv[n++] = "--intent-to-add";
	argv[n++] = "--pathspec-from-file=-";
	argv[n++] = "--pathspec-file-nul";
	argv[n++] = NULL;
	memset(&r, 0, sizeof(r));
	r.argv = argv;
	r.dir = git_repository_workdir(repo);
	r.index_file = *index;
	r.literal_pathspecs = 1;
	r.in = list.ptr;
	r.in_len = list.len;
	if (run(&r, "git add --intent-to-add") < 0)
		goto done;
	ret = 0;
done:
	free(argv);
	try_buf_release(&path);
	try_buf_release(&list);
	return ret;
}

static void remove_tmp(const char *dir, const char *index)
{
	struct try_buf lock = TRY_BUF_INIT;

	if (index) {
		unlink(index);
		try_buf_addf(&lock, "%s.lock", index);
		unlink(lock.ptr);
	}
	if (dir)
		rmdir(dir);
	try_buf_release(&lock);
}

int try_patch_create(struct try_buf *out, git_repository *repo,
		     const git_oid *base, const struct try_patch_options *opts)
{
	static const struct try_patch_options defaults = TRY_PATCH_OPTIONS_INIT;
	const char *git;
	char hex[GIT_OID_HEXSZ + 1];
	const char **argv = NULL;
	char *tmpdir = NULL, *index = NULL;
	struct try_buf patch = TRY_BUF_INIT;
	struct run r;
	size_t i, n = 0;
	int ret = -1;

	if (!opts)
		opts = &defaults;
	git = opts->git ? opts->git : "git";
	if (git_repository_is_bare(repo)) {
		try_error_set("a try needs a working tree; this repository "
			      "is bare");
		goto done;
	}
	if ((opts->flags & TRY_PATCH_STAGED) &&
	    (opts->flags & TRY_PATCH_UNTRACKED)) {
		try_error_set("untracked files are not in the index: "
			      "--staged and --untracked do not mix");
		goto done;
	}
	if ((opts->flags & TRY_PATCH_UNTRACKED) &&
	    untracked_index(&tmpdir, &index, repo, opts, git) < 0)
		goto done;

	git_oid_tostr(hex, sizeof(hex), base);
	argv = try_xcalloc(opts->npaths + 40, sizeof(*argv));
	argv[n++] = git;
	/*
	 * Every setting that would change what git writes, pinned.  Most are
	 * read by porcelain only, but a -c costs nothing and keeps this safe
	 * if plumbing ever reads them.
	 */
	argv[n++] = "-c";
	argv[n++] = "core.quotePath=true";
	argv[n++] = "-c";
	argv[n++] = "core.safecrlf=false";
	argv[n++] = "-c";
	argv[n++] = "diff.noprefix=false";
	argv[n++] = "-c";
	argv[n++] = "diff.mnemonicPrefix=false";
	argv[n++] = "-c";
	argv[n++] = "diff.suppressBlankEmpty=false";
	argv[n++] = "-c";
	argv[n++] = "diff.relative=false";
	argv[n++] = "-c";
	argv[n++] = "diff.submodule=short";
	argv[n++] = "-c";
	argv[n++] = "diff.context=3";
	argv[n++] = "-c";
	argv[n++] = "color.diff=false";
	argv[n++] = "diff-index";
	if (opts->flags & TRY_PATCH_STAGED)
		argv[n++] = "--cached";
	argv[n++] = "-p";
	argv[n++] = "--binary";
	argv[n++] = "--full-index";
	argv[n++] = "--no-color";
	argv[n++] = "--no-ext-diff";
	argv[n++] = "--no-textconv";
	argv[n++] = "--no-relative";
	argv[n++] = "--src-prefix=a/";
	argv[n++] = "--dst-prefix=b/";
	argv[n++] = "--unified=3";
	argv[n++] = "--find-renames";
	argv[n++] = "--ignore-submodules=dirty";
	argv[n++] = "--submodule=short";
	argv[n++] = hex;
	argv[n++] = "--";
	for (i = 0; i < opts->npaths; i++)
		argv[n++] = opts->paths[i];

	memset(&r, 0, sizeof(r));
	r.argv = argv;
	r.index_file = index;
	r.out = &patch;
	if (run(&r, "git diff-index") < 0)
		goto done;
	if (make_utf8(&patch, repo) < 0)
		goto done;
	try_buf_add(out, patch.ptr, patch.len);
	ret = 0;
done:
	remove_tmp(tmpdir, index);
	free(tmpdir);
	free(index);
	free(argv);
	try_buf_release(&patch);
	return ret;
}
