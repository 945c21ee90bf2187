/*
 * Ignore rules: see ignore.h.  The parsing and matching follow git's
 * dir.c (add_patterns_from_buffer, last_matching_pattern_from_list).
 */
#include "libtry/ignore.h"
#include "libtry/buf.h"
#include "libtry/glob.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum pattern_flags {
	PAT_NEGATIVE = (1 << 0),
	PAT_MUSTBEDIR = (1 << 1),
	PAT_NODIR = (1 << 2),   /* no slash: matches the base name */
};

struct pattern {
	char *text;
	unsigned flags;
};

struct try_ignore_list {
	char *base;             /* "" or "a/b/" */
	size_t baselen;
	struct pattern *items;
	size_t nr, alloc;
	char *buf;
};

void try_ignore_list_free(struct try_ignore_list *l)
{
	if (!l)
		return;
	free(l->base);
	free(l->items);
	free(l->buf);
	free(l);
}

/* Trailing spaces go unless escaped (dir.c, trim_trailing_spaces). */
static void trim_trailing_spaces(char *buf)
{
	char *p, *last_space = NULL;

	for (p = buf; *p; p++) {
		switch (*p) {
		case ' ':
			if (!last_space)
				last_space = p;
			break;
		case '\\':
			p++;
			if (!*p)
				return;
			/* fallthrough */
		default:
			last_space = NULL;
		}
	}
	if (last_space)
		*last_space = '\0';
}

struct try_ignore_list *try_ignore_list_parse(char *buf, const char *base)
{
	struct try_ignore_list *l = try_xcalloc(1, sizeof(*l));
	char *line = buf, *next;

	l->buf = buf;
	l->base = try_xstrdup(base);
	l->baselen = strlen(base);
	if (!strncmp(line, "\xef\xbb\xbf", 3))
		line += 3;
	for (; line && *line; line = next) {
		struct pattern *pat;
		size_t len;
		unsigned flags = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		trim_trailing_spaces(line);
		if (line[0] == '!') {
			flags |= PAT_NEGATIVE;
			line++;
		}
		len = strlen(line);
		if (len && line[len - 1] == '/') {
			flags |= PAT_MUSTBEDIR;
			line[--len] = '\0';
		}
		if (!len)
			continue;
		if (!strchr(line, '/'))
			flags |= PAT_NODIR;
		TRY_ARRAY_GROW(l->items, l->nr + 1, l->alloc);
		pat = &l->items[l->nr++];
		pat->text = line;
		pat->flags = flags;
	}
	return l;
}

struct try_ignore_list *try_ignore_list_load(int dirfd, const char *path,
					     const char *base)
{
	struct try_buf buf = TRY_BUF_INIT;
	int fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (try_buf_read_fd(&buf, fd, 16 << 20) < 0) {
		close(fd);
		try_buf_release(&buf);
		return NULL;
	}
	close(fd);
	return try_ignore_list_parse(try_buf_detach(&buf), base);
}

int try_ignore_list_match(const struct try_ignore_list *l, const char *path,
			  const char *basename, int is_dir)
{
	size_t i;

	if (!l)
		return 0;
	for (i = l->nr; i-- > 0;) {
		const struct pattern *p = &l->items[i];
		const char *text = p->text;
		int hit;

		if ((p->flags & PAT_MUSTBEDIR) && !is_dir)
			continue;
		if (p->flags & PAT_NODIR) {
			hit = try_glob_match(text, basename, 0);
		} else {
			if (*text == '/')
				text++;
			if (strncmp(path, l->base, l->baselen))
				continue;
			hit = try_glob_match(text, path + l->baselen,
					     TRY_GLOB_PATHNAME);
		}
		if (hit)
			return p->flags & PAT_NEGATIVE ? -1 : 1;
	}
	return 0;
}

void try_ignore_init(struct try_ignore *ig, const char *commondir,
		     const char *excludes_file)
{
	memset(ig, 0, sizeof(*ig));
	ig->commondir = commondir;
	ig->excludes_file = excludes_file;
}

static void load_shared(struct try_ignore *ig)
{
	struct try_buf path = TRY_BUF_INIT;
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");

	if (ig->loaded)
		return;
	ig->loaded = 1;
	try_buf_addf(&path, "%sinfo/exclude", ig->commondir);
	ig->info_exclude = try_ignore_list_load(AT_FDCWD, path.ptr, "");
	try_buf_reset(&path);
	if (ig->excludes_file)
		try_buf_adds(&path, ig->excludes_file);
	else if (xdg && *xdg)
		try_buf_addf(&path, "%s/git/ignore", xdg);
	else if (home && *home)
		try_buf_addf(&path, "%s/.config/git/ignore", home);
	if (path.len)
		ig->excludes = try_ignore_list_load(AT_FDCWD, path.ptr, "");
	try_buf_release(&path);
}

int try_ignore_excluded(struct try_ignore *ig,
			struct try_ignore_list *const *chain, size_t nr,
			const char *path, int is_dir)
{
	const char *basename = strrchr(path, '/');
	int r;

	basename = basename ? basename + 1 : path;
	while (nr--)
		if ((r = try_ignore_list_match(chain[nr], path, basename,
					       is_dir)))
			return r > 0;
	load_shared(ig);
	if ((r = try_ignore_list_match(ig->info_exclude, path, basename,
				       is_dir)))
		return r > 0;
	return try_ignore_list_match(ig->excludes, path, basename, is_dir) > 0;
}

void try_ignore_release(struct try_ignore *ig)
{
	try_ignore_list_free(ig->info_exclude);
	try_ignore_list_free(ig->excludes);
	ig->info_exclude = ig->excludes = NULL;
	ig->loaded = 0;
}
