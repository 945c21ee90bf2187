/*
 * Repository discovery and configuration without libgit2: see gitfast.h.
 * The configuration reader follows git's config.c (git_parse_source,
 * get_base_var, get_extended_base_var, parse_value).
 */
#include "libtry/gitfast.h"
#include "libtry/buf.h"
#include "libtry/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

int try_gitfast_read_file(struct try_buf *buf, int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR ||
		    errno == ELOOP)
			return 0;
		try_error_set("cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	ret = try_buf_read_fd(buf, fd, 64 << 20);
	close(fd);
	if (ret < 0)
		return -1;
	return 1;
}

void try_gitfast_add_dir(struct try_buf *buf, const char *path)
{
	try_buf_adds(buf, path);
	if (!buf->len || buf->ptr[buf->len - 1] != '/')
		try_buf_addch(buf, '/');
}

int try_gitfast_parse_bool(const char *v)
{
	if (!v)
		return 1;
	if (!*v || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
	    !strcasecmp(v, "off") || !strcmp(v, "0"))
		return 0;
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
	    !strcasecmp(v, "on") || !strcmp(v, "1"))
		return 1;
	return -1;
}

static int env_set(const char *name)
{
	const char *v = getenv(name);
	return v && *v;
}

static int path_exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/* "a/b/c" -> length of "a/b", 0 for "c". */
static size_t dirname_len(const char *path, size_t len)
{
	while (len && path[len - 1] != '/')
		len--;
	return len ? len - 1 : 0;
}

/* ------------------------------------------------------------------ */
/* discovery */

void try_gitfast_repo_release(struct try_gitfast_repo *repo)
{
	free(repo->workdir);
	free(repo->gitdir);
	free(repo->commondir);
	repo->workdir = repo->gitdir = repo->commondir = NULL;
}

/*
 * $GIT_DIR as git sets it for hooks: the working tree is the current
 * directory `cwd` for git; libgit2 derives it from the git directory (its
 * parent for ".git", the "gitdir" file of a linked worktree).  Handled only
 * when both agree.  Fills `gitdir` and `workdir`; 0 or FALLBACK.
 */
static int from_git_dir(struct try_buf *gitdir, struct try_buf *workdir,
			const char *cwd)
{
	struct try_buf file = TRY_BUF_INIT, path = TRY_BUF_INIT;
	char *real = realpath(getenv("GIT_DIR"), NULL), *wt = NULL;
	size_t len;
	int r, ret = TRY_GITFAST_FALLBACK;

	if (!real)
		goto done;
	try_gitfast_add_dir(&path, real);
	try_buf_adds(&path, "gitdir");
	r = try_gitfast_read_file(&file, AT_FDCWD, path.ptr);
	if (r < 0)
		goto done;
	if (r > 0) {
		/* a linked worktree: "gitdir" names its ".git" file */
		try_buf_rtrim(&file);
		if (file.ptr[0] != '/')
			goto done;
		try_buf_setlen(&path, 0);
		try_buf_adds(&path, real);
		try_buf_adds(&path, "/commondir");
		if (!path_exists(path.ptr))
			goto done;
		len = dirname_len(file.ptr, file.len);
		try_buf_setlen(&file, len);
	} else {
		len = strlen(real);
		if (len < 5 || strcmp(real + len - 5, "/.git"))
			goto done;
		try_buf_adds(&file, real);
		try_buf_setlen(&file, len - 5);
	}
	wt = realpath(file.len ? file.ptr : "/", NULL);
	if (!wt || strcmp(wt, cwd))
		goto done;
	try_gitfast_add_dir(gitdir, real);
	try_buf_adds(workdir, wt);
	ret = 0;
done:
	free(real);
	free(wt);
	try_buf_release(&file);
	try_buf_release(&path);
	return ret;
}

/* Walks up from `cwd`; fills `gitdir` and `workdir`; 0, FALLBACK, ENOTFOUND. */
static int walk_up(struct try_buf *gitdir, struct try_buf *workdir,
		   const char *cwd)
{
	struct try_buf *dir = workdir;
	struct stat st;
	dev_t dev = 0;
	int first = 1;

	if (strstr(cwd, "/.git/") || (strlen(cwd) >= 5 &&
	    !strcmp(cwd + strlen(cwd) - 5, "/.git")))
		return TRY_GITFAST_FALLBACK;
	try_buf_adds(dir, cwd);
	while (dir->len > 1 && dir->ptr[dir->len - 1] == '/')
		try_buf_setlen(dir, dir->len - 1);

	for (;;) {
		size_t base = dir->len;

		if (lstat(dir->len ? dir->ptr : "/", &st) < 0)
			return TRY_GITFAST_FALLBACK;
		if (!first && st.st_dev != dev)
			return TRY_ENOTFOUND;
		dev = st.st_dev;
		first = 0;

		try_buf_adds(dir, "/.git");
		if (!lstat(dir->ptr, &st)) {
			if (S_ISDIR(st.st_mode)) {
				try_gitfast_add_dir(gitdir, dir->ptr);
			} else if (S_ISREG(st.st_mode)) {
				struct try_buf file = TRY_BUF_INIT;
				int r = try_gitfast_read_file(&file, AT_FDCWD,
							      dir->ptr);
				if (r <= 0 ||
				    strncmp(file.ptr, "gitdir: ", 8)) {
					try_buf_release(&file);
					return TRY_GITFAST_FALLBACK;
				}
				try_buf_rtrim(&file);
				if (file.ptr[8] != '/') {
					try_buf_add(gitdir, dir->ptr, base);
					try_buf_addch(gitdir, '/');
				}
				try_gitfast_add_dir(gitdir, file.ptr + 8);
				try_buf_release(&file);
			} else {
				return TRY_GITFAST_FALLBACK;
			}
			try_buf_setlen(dir, base);
			return 0;
		}
		try_buf_setlen(dir, base);
		/* a git directory on the way up: bare, or inside .git */
		try_buf_adds(dir, "/HEAD");
		if (path_exists(dir->ptr)) {
			try_buf_setlen(dir, base);
			try_buf_adds(dir, "/objects");
			if (path_exists(dir->ptr))
				return TRY_GITFAST_FALLBACK;
		}
		try_buf_setlen(dir, base);
		if (!dir->len)
			return TRY_ENOTFOUND;
		try_buf_setlen(dir, dirname_len(dir->ptr, dir->len));
	}
}

int try_gitfast_discover(struct try_gitfast_repo *out, const char *path)
{
	static const char *const env_vars[] = {
		"GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CEILING_DIRECTORIES",
		"GIT_DISCOVERY_ACROSS_FILESYSTEM",
	};
	struct try_buf dir = TRY_BUF_INIT, gitdir = TRY_BUF_INIT;
	struct try_buf tmp = TRY_BUF_INIT, file = TRY_BUF_INIT;
	struct stat st;
	char *cwd = NULL;
	size_t i;
	int r, ret = TRY_GITFAST_FALLBACK;

	out->workdir = out->gitdir = out->commondir = NULL;
	for (i = 0; i < sizeof(env_vars) / sizeof(*env_vars); i++)
		if (env_set(env_vars[i]))
			return TRY_GITFAST_FALLBACK;
	if (path && *path)
		cwd = realpath(path, NULL);
	else
		cwd = getcwd(NULL, 0);
	if (!cwd)
		return TRY_GITFAST_FALLBACK;
	if (env_set("GIT_DIR")) {
		/* git ignores `path` then; so does libgit2 (try_repo_open) */
		if (path && *path)
			goto done;
		r = from_git_dir(&gitdir, &dir, cwd);
	} else {
		r = walk_up(&gitdir, &dir, cwd);
	}
	if (r) {
		ret = r;
		goto done;
	}

	try_buf_adds(&tmp, gitdir.ptr);
	try_buf_adds(&tmp, "HEAD");
	if (!path_exists(tmp.ptr))
		goto done;
	/* git refuses repositories of other users (safe.directory) */
	if (stat(gitdir.ptr, &st) < 0 || st.st_uid != geteuid() ||
	    stat(dir.len ? dir.ptr : "/", &st) < 0 || st.st_uid != geteuid())
		goto done;
	try_buf_reset(&tmp);
	try_buf_addf(&tmp, "%scommondir", gitdir.ptr);
	r = try_gitfast_read_file(&file, AT_FDCWD, tmp.ptr);
	if (r < 0)
		goto done;
	try_buf_reset(&tmp);
	if (r > 0) {
		try_buf_rtrim(&file);
		if (file.ptr[0] != '/')
			try_buf_adds(&tmp, gitdir.ptr);
		try_gitfast_add_dir(&tmp, file.ptr);
	} else {
		try_buf_adds(&tmp, gitdir.ptr);
	}
	out->commondir = try_buf_detach(&tmp);
	out->gitdir = try_buf_detach(&gitdir);
	try_gitfast_add_dir(&tmp, dir.len ? dir.ptr : "/");
	out->workdir = try_buf_detach(&tmp);
	ret = 0;
done:
	free(cwd);
	try_buf_release(&dir);
	try_buf_release(&gitdir);
	try_buf_release(&tmp);
	try_buf_release(&file);
	return ret;
}

/* ------------------------------------------------------------------ */
/* configuration */

struct cfgp {
	const char *p, *end;
	int eof;
};

static int cfg_getc(struct cfgp *c)
{
	int ch;

	if (c->p >= c->end) {
		c->eof = 1;
		return '\n';
	}
	ch = (unsigned char)*c->p++;
	if (ch == '\r' && c->p < c->end && *c->p == '\n') {
		c->p++;
		ch = '\n';
	}
	return ch;
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static int is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static int to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/*
 * The value after '=' (config.c, parse_value); -1 on a syntax error, and
 * where git and libgit2 disagree: git turns a tab between words into a
 * space, libgit2 keeps it.
 */
static int cfg_value(struct cfgp *c, struct try_buf *val)
{
	int quote = 0, comment = 0, odd_space = 0;
	size_t space = 0;

	try_buf_reset(val);
	for (;;) {
		int ch = cfg_getc(c);

		if (ch == '\n')
			return quote ? -1 : 0;
		if (comment)
			continue;
		if (is_space(ch) && !quote) {
			if (val->len) {
				space++;
				odd_space |= ch != ' ';
			}
			continue;
		}
		if (!quote && (ch == ';' || ch == '#')) {
			comment = 1;
			continue;
		}
		if (space && odd_space)
			return -1;
		for (; space; space--)
			try_buf_addch(val, ' ');
		if (ch == '\\') {
			ch = cfg_getc(c);
			if (c->eof)
				return -1;
			switch (ch) {
			case '\n':
				continue;
			case 't':
				ch = '\t';
				break;
			case 'b':
				ch = '\b';
				break;
			case 'n':
				ch = '\n';
				break;
			case '\\':
			case '"':
				break;
			default:
				return -1;
			}
			try_buf_addch(val, ch);
			continue;
		}
		if (ch == '"') {
			quote = !quote;
			continue;
		}
		try_buf_addch(val, ch);
	}
}

/* Settings that change how the repository is read: libgit2's business. */
static int setup_key(const char *key, const char *value)
{
	if (!strncmp(key, "extensions.", 11))
		return try_gitfast_parse_bool(value) != 0;
	if (!strcmp(key, "core.worktree"))
		return 1;
	if (!strcmp(key, "core.repositoryformatversion"))
		return !value || (strcmp(value, "0") && strcmp(value, "1"));
	return 0;
}

/* Calls `fn` after the setup check; keys with a subsection go through. */
static int emit(const char *key, int subsection, const char *value,
		try_gitfast_config_fn fn, void *data)
{
	if (!subsection && setup_key(key, value))
		return TRY_GITFAST_FALLBACK;
	return fn ? fn(key, value, data) : 0;
}

int try_gitfast_config_parse(const char *buf, size_t len,
			     try_gitfast_config_fn fn, void *data)
{
	struct cfgp c = { buf, buf + len, 0 };
	struct try_buf section = TRY_BUF_INIT, key = TRY_BUF_INIT;
	struct try_buf val = TRY_BUF_INIT;
	int comment = 0, subsection = 0, ret = 0;

	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		c.p += 3;
	for (;;) {
		int ch = cfg_getc(&c);

		if (ch == '\n') {
			if (c.eof)
				break;
			comment = 0;
			continue;
		}
		if (comment || is_space(ch))
			continue;
		if (ch == '#' || ch == ';') {
			comment = 1;
			continue;
		}
		if (ch == '[') {
			try_buf_reset(&section);
			subsection = 0;
			for (;;) {
				ch = cfg_getc(&c);
				if (c.eof || ch == '\n')
					goto bail;
				if (ch == ']')
					break;
				if (is_space(ch)) {
					/* [section "sub"] */
					if (!section.len)
						goto bail;
					while (is_space(ch = cfg_getc(&c)))
						;
					if (ch != '"')
						goto bail;
					try_buf_addch(&section, '.');
					for (;;) {
						ch = cfg_getc(&c);
						if (ch == '\n')
							goto bail;
						if (ch == '"')
							break;
						if (ch == '\\') {
							ch = cfg_getc(&c);
							if (ch == '\n')
								goto bail;
						}
						try_buf_addch(&section, ch);
					}
					if (cfg_getc(&c) != ']')
						goto bail;
					subsection = 1;
					break;
				}
				if (!is_alnum(ch) && ch != '-' && ch != '.')
					goto bail;
				if (ch == '.')
					subsection = 1;
				try_buf_addch(&section, to_lower(ch));
			}
			if (!section.len)
				goto bail;
			if (!strcmp(section.ptr, "include") ||
			    !strncmp(section.ptr, "include.", 8) ||
			    !strncmp(section.ptr, "includeif", 9))
				goto bail;
			continue;
		}
		if (!is_alnum(ch) || (ch >= '0' && ch <= '9'))
			goto bail;
		if (!section.len)
			goto bail;
		try_buf_reset(&key);
		try_buf_add(&key, section.ptr, section.len);
		try_buf_addch(&key, '.');
		while (is_alnum(ch) || ch == '-') {
			try_buf_addch(&key, to_lower(ch));
			ch = cfg_getc(&c);
		}
		while (ch == ' ' || ch == '\t')
			ch = cfg_getc(&c);
		if (ch == '\n') {
			ret = emit(key.ptr, subsection, NULL, fn, data);
			if (ret || c.eof)
				break;
			continue;
		}
		if (ch != '=')
			goto bail;
		if (cfg_value(&c, &val) < 0)
			goto bail;
		ret = emit(key.ptr, subsection, val.ptr, fn, data);
		if (ret || c.eof)
			break;
	}
	goto done;
bail:
	ret = TRY_GITFAST_FALLBACK;
done:
	try_buf_release(&section);
	try_buf_release(&key);
	try_buf_release(&val);
	return ret;
}

static int read_config_file(const char *path, try_gitfast_config_fn fn,
			    void *data)
{
	struct try_buf buf = TRY_BUF_INIT;
	int r = try_gitfast_read_file(&buf, AT_FDCWD, path);

	if (r < 0)
		r = TRY_GITFAST_FALLBACK;
	else if (r > 0)
		r = try_gitfast_config_parse(buf.ptr, buf.len, fn, data);
	try_buf_release(&buf);
	return r;
}

int try_gitfast_config_read(const char *commondir, try_gitfast_config_fn fn,
			    void *data)
{
	static const char *const env_vars[] = {
		"GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_COUNT",
		"GIT_CONFIG",
	};
	struct try_buf path = TRY_BUF_INIT;
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *nosystem = getenv("GIT_CONFIG_NOSYSTEM");
	size_t i;
	int ret = 0;

	for (i = 0; i < sizeof(env_vars) / sizeof(*env_vars); i++)
		if (env_set(env_vars[i]))
			return TRY_GITFAST_FALLBACK;
	if (!nosystem || try_gitfast_parse_bool(nosystem) <= 0)
		ret = read_config_file("/etc/gitconfig", fn, data);
	if (!ret && xdg && *xdg) {
		try_buf_addf(&path, "%s/git/config", xdg);
		ret = read_config_file(path.ptr, fn, data);
	} else if (!ret && home && *home) {
		try_buf_addf(&path, "%s/.config/git/config", home);
		ret = read_config_file(path.ptr, fn, data);
	}
	if (!ret && home && *home) {
		try_buf_reset(&path);
		try_buf_addf(&path, "%s/.gitconfig", home);
		ret = read_config_file(path.ptr, fn, data);
	}
	if (!ret) {
		try_buf_reset(&path);
		try_buf_addf(&path, "%sconfig", commondir);
		ret = read_config_file(path.ptr, fn, data);
	}
	try_buf_release(&path);
	return ret;
}

/*
 * One shell-quoted word of $GIT_CONFIG_PARAMETERS ('it'\''s'); NULL on a
 * syntax error.  Advances *pp past the word.
 */
static char *sq_word(const char **pp)
{
	struct try_buf buf = TRY_BUF_INIT;
	const char *p = *pp;

	if (*p != '\'')
		return NULL;
	for (;;) {
		p++;
		while (*p && *p != '\'')
			try_buf_addch(&buf, *p++);
		if (!*p)
			goto bad;
		p++;
		/* 'a'\''b' : an escaped quote between two quoted parts */
		if (p[0] == '\\' && p[1] && p[2] == '\'') {
			try_buf_addch(&buf, p[1]);
			p += 2;
			continue;
		}
		break;
	}
	*pp = p;
	return try_buf_detach(&buf);
bad:
	try_buf_release(&buf);
	return NULL;
}

int try_gitfast_config_parameters(try_gitfast_config_fn fn, void *data)
{
	const char *p = getenv("GIT_CONFIG_PARAMETERS");
	int ret = 0;

	if (!p)
		return 0;
	while (*p) {
		char *k, *v = NULL, *eq;
		size_t i;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (!(k = sq_word(&p)))
			goto bad;
		if (*p == '=') {
			p++;
			if (!(v = sq_word(&p))) {
				free(k);
				goto bad;
			}
		} else if ((eq = strchr(k, '='))) {
			*eq = '\0';
			v = try_xstrdup(eq + 1);
		}
		/* only "section.key" in lower case matters here */
		for (i = 0; k[i]; i++)
			k[i] = (char)to_lower(k[i]);
		if (strchr(k, '.') == strrchr(k, '.'))
			ret = fn(k, v, data);
		free(k);
		free(v);
		if (ret)
			return ret;
	}
	return 0;
bad:
	try_error_set("bogus GIT_CONFIG_PARAMETERS");
	return -1;
}

/* ------------------------------------------------------------------ */
/* refs */

int try_gitfast_branch_name_ok(const char *name)
{
	const char *p, *comp = name;

	if (!is_alnum((unsigned char)*name) && *name != '_')
		return 0;
	for (p = name;; p++) {
		int ch = (unsigned char)*p;

		if (ch == '/' || !ch) {
			size_t n = (size_t)(p - comp);
			if (!n || comp[0] == '.' || comp[n - 1] == '.' ||
			    (n >= 5 && !memcmp(p - 5, ".lock", 5)))
				return 0;
			if (!ch)
				return 1;
			comp = p + 1;
			continue;
		}
		if (!is_alnum(ch) && ch != '.' && ch != '_' && ch != '-')
			return 0;
		if (ch == '.' && p[1] == '.')
			return 0;
	}
}

int try_gitfast_head_branch(char **out, const char *gitdir)
{
	struct try_buf path = TRY_BUF_INIT, head = TRY_BUF_INIT;
	struct stat st;
	size_t i;
	int ret = TRY_GITFAST_FALLBACK;

	*out = NULL;
	try_buf_addf(&path, "%sHEAD", gitdir);
	if (lstat(path.ptr, &st) < 0 || !S_ISREG(st.st_mode) ||
	    try_gitfast_read_file(&head, AT_FDCWD, path.ptr) <= 0)
		goto done;
	try_buf_rtrim(&head);
	if (!strncmp(head.ptr, "ref: ", 5)) {
		const char *target = head.ptr + 5;
		if (!strncmp(target, "refs/heads/", 11)) {
			if (!try_gitfast_branch_name_ok(target + 11))
				goto done;
			*out = try_xstrdup(target + 11);
		} else if (strncmp(target, "refs/", 5)) {
			goto done;
		}
		ret = 0;
		goto done;
	}
	/* detached: a full object name */
	if (head.len != 40 && head.len != 64)
		goto done;
	for (i = 0; i < head.len; i++)
		if (!strchr("0123456789abcdef", head.ptr[i]))
			goto done;
	ret = 0;
done:
	try_buf_release(&path);
	try_buf_release(&head);
	return ret;
}

/* ------------------------------------------------------------------ */
/* object ids and references */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int try_gitfast_oid_parse(unsigned char *raw, const char *hex)
{
	int i;

	for (i = 0; i < TRY_OID_RAWSZ; i++) {
		int hi = hexval(hex[2 * i]), lo;
		if (hi < 0)
			return -1;
		lo = hexval(hex[2 * i + 1]);
		if (lo < 0)
			return -1;
		raw[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void try_gitfast_oid_fmt(char *hex, const unsigned char *raw)
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < TRY_OID_RAWSZ; i++) {
		hex[2 * i] = digits[raw[i] >> 4];
		hex[2 * i + 1] = digits[raw[i] & 15];
	}
	hex[TRY_OID_HEXSZ] = '\0';
}

int try_gitfast_ref(unsigned char *oid, const char *commondir,
		    const char *name)
{
	struct try_buf buf = TRY_BUF_INIT, path = TRY_BUF_INIT;
	size_t namelen = strlen(name);
	const char *p;
	int r, ret = -1;

	try_buf_addf(&path, "%s%s", commondir, name);
	r = try_gitfast_read_file(&buf, AT_FDCWD, path.ptr);
	if (r < 0)
		goto done;
	if (r > 0) {
		if (buf.len >= TRY_OID_HEXSZ &&
		    !try_gitfast_oid_parse(oid, buf.ptr))
			ret = 1;
		goto done;
	}
	try_buf_reset(&path);
	try_buf_addf(&path, "%spacked-refs", commondir);
	try_buf_reset(&buf);
	r = try_gitfast_read_file(&buf, AT_FDCWD, path.ptr);
	if (r < 0)
		goto done;
	ret = 0;
	for (p = buf.ptr; r > 0 && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len == TRY_OID_HEXSZ + 1 + namelen &&
		    p[TRY_OID_HEXSZ] == ' ' &&
		    !memcmp(p + TRY_OID_HEXSZ + 1, name, namelen)) {
			ret = try_gitfast_oid_parse(oid, p) ? -1 : 1;
			break;
		}
		p += len + (nl ? 1 : 0);
	}
done:
	try_buf_release(&buf);
	try_buf_release(&path);
	return ret;
}
