/*
 * git commit-age: the age of the oldest uncommitted change.  See age.h for
 * the estimate and docs/commit-age.md for its limits.
 *
 * The layout of this file follows a measure from start to end:
 *
 *   levels           commitAge.levels and what each level says
 *   setup            finding the repository and reading its configuration
 *                    without libgit2 (the fast path), or with it
 *   index            reading .git/index in place (versions 2 to 4, the
 *                    cache-tree extension)
 *   scan             one pass over every tracked directory, in threads:
 *                    lstat for tracked files, names of untracked ones
 *   content          hashing files whose stat data changed
 *   ignore           .gitignore rules for untracked names
 *   staged           index against HEAD (cache-tree first, trees if needed)
 *   git status       the fallback for indexes this file cannot read
 *   state            the stored "dirty since" time
 */
#include "libtry/age.h"
#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/fs.h"
#include "libtry/gitfast.h"
#include "libtry/ignore.h"
#include "libtry/index.h"
#include "libtry/repo.h"
#include "libtry/run.h"
#include "libtry/trace.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <nettle/sha1.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define STATE_FILE "try/dirty-since"
#define HEAD_CACHE_FILE "try/head-tree"
#define OID_RAWSZ TRY_OID_RAWSZ
#define OID_HEXSZ TRY_OID_HEXSZ
#define MAX_THREADS 8
#define DIRS_PER_GRAB 4

/* ------------------------------------------------------------------ */
/* levels */

static const char *const level_names[] = {
	"fine", "uncomfortable", "alarmed", "very alarmed", "stash",
};

static const char *const level_advice[] = {
	"keep going: commit as soon as the next small step works",
	"commit soon: finish the smallest step that works and commit it",
	"commit now: commit what works, hide the rest behind a flag",
	"stop and commit what works, or start over in smaller steps",
	"stash and restart in smaller steps: git commit-age --stash",
};

int try_age_parse_levels(struct try_age_levels *out, const char *value)
{
	struct try_age_levels levels;
	const char *p;
	int i;

	if (!value)
		value = TRY_AGE_DEFAULT_LEVELS;
	p = value;
	for (i = 0; i < TRY_AGE_THRESHOLDS; i++) {
		long n = 0;
		int digits = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		while (*p >= '0' && *p <= '9') {
			n = n * 10 + (*p++ - '0');
			if (n > 1000000)
				goto bad;
			digits++;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (!digits || n <= 0)
			goto bad;
		if (i && n <= levels.minutes[i - 1])
			goto bad;
		levels.minutes[i] = (int)n;
		if (i < TRY_AGE_THRESHOLDS - 1) {
			if (*p != ',')
				goto bad;
			p++;
		}
	}
	if (*p)
		goto bad;
	*out = levels;
	return 0;
bad:
	try_error_set("%s: '%s' is not four increasing numbers of minutes "
		      "like '%s'", TRY_AGE_LEVELS_KEY, value,
		      TRY_AGE_DEFAULT_LEVELS);
	return -1;
}

enum try_age_level try_age_level_for(const struct try_age_levels *levels,
				     int64_t age_seconds)
{
	int level = 0;

	while (level < TRY_AGE_THRESHOLDS &&
	       age_seconds >= (int64_t)levels->minutes[level] * 60)
		level++;
	return (enum try_age_level)level;
}

const char *try_age_level_name(enum try_age_level level)
{
	if ((unsigned)level > TRY_AGE_STASH)
		return "unknown";
	return level_names[level];
}

const char *try_age_level_advice(enum try_age_level level)
{
	if ((unsigned)level > TRY_AGE_STASH)
		return "";
	return level_advice[level];
}

void try_age_format_duration(struct try_buf *buf, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		try_buf_addf(buf, "%llds", (long long)s);
	else if (s < 3600)
		try_buf_addf(buf, "%lldm", (long long)(s / 60));
	else if (s < 86400)
		try_buf_addf(buf, "%lldh%02lldm", (long long)(s / 3600),
			     (long long)(s / 60 % 60));
	else
		try_buf_addf(buf, "%lldd%02lldh", (long long)(s / 86400),
			     (long long)(s / 3600 % 24));
}

/* ------------------------------------------------------------------ */
/* small helpers */

/* "a/b/c" -> length of "a/b", 0 for "c". */
static size_t dirname_len(const char *path, size_t len)
{
	while (len && path[len - 1] != '/')
		len--;
	return len ? len - 1 : 0;
}

/* ------------------------------------------------------------------ */
/* setup */

/* What the measure needs from git's configuration. */
struct settings {
	char *levels;           /* commitAge.levels, NULL when unset */
	int filemode;           /* core.fileMode */
	int trustctime;         /* core.trustCtime */
	int checkstat_minimal;  /* core.checkStat = minimal */
	int autocrlf;           /* core.autocrlf is true or input */
	int show_untracked;     /* status.showUntrackedFiles is not "no" */
	char *excludes_file;    /* core.excludesFile, ~ expanded */
	char *attributes_file;  /* core.attributesFile, ~ expanded */
	int bare;               /* core.bare */
	int bail;               /* the fast path cannot handle this setup */
};

/* One measure, from setup to answer. */
struct ctx {
	unsigned flags;
	int64_t now;
	const char *open_path;  /* what the caller asked about */

	char *workdir;          /* absolute, ends in '/' */
	char *gitdir;           /* absolute, ends in '/' */
	char *commondir;        /* absolute, ends in '/' */
	char *index_path;
	struct settings set;
	struct try_age_levels levels;

	int lib;                /* git_libgit2_init() was called */
	git_repository *repo;
	int own_repo;           /* repo is ours to free */
	unsigned how;

	int rootfd;
	struct try_ignore ignore;       /* set up once the paths are known */

	/* what the scan saw of the index and HEAD, for try/last-scan */
	int have_ids;
	uint64_t index_id[4];
	char head_id[OID_HEXSZ + 1];
};

static void settings_init(struct settings *s)
{
	memset(s, 0, sizeof(*s));
	s->filemode = 1;
	s->trustctime = 1;
	s->show_untracked = 1;
}

static void settings_release(struct settings *s)
{
	free(s->levels);
	free(s->excludes_file);
	free(s->attributes_file);
	settings_init(s);
}

static int bad_value(const char *key, const char *value)
{
	try_error_set("%s: bad value '%s'", key, value ? value : "");
	return -1;
}

/*
 * One configuration value: `key` is "section.name" in lower case (keys with
 * a subsection never reach here), `value` NULL for a bare boolean key.
 * Returns -1 with a message for a value git would not accept; sets s->bail
 * for settings the fast path leaves to libgit2.
 */
static int settings_set(struct settings *s, const char *key,
			const char *value)
{
	int b;

	if (!strcmp(key, "commitage.levels")) {
		free(s->levels);
		s->levels = try_xstrdup(value ? value : "");
	} else if (!strcmp(key, "core.filemode")) {
		if ((b = try_gitfast_parse_bool(value)) < 0)
			return bad_value("core.fileMode", value);
		s->filemode = b;
	} else if (!strcmp(key, "core.trustctime")) {
		if ((b = try_gitfast_parse_bool(value)) < 0)
			return bad_value("core.trustCtime", value);
		s->trustctime = b;
	} else if (!strcmp(key, "core.checkstat")) {
		s->checkstat_minimal = value && !strcasecmp(value, "minimal");
	} else if (!strcmp(key, "core.autocrlf")) {
		if (value && !strcasecmp(value, "input"))
			s->autocrlf = 1;
		else if ((b = try_gitfast_parse_bool(value)) < 0)
			return bad_value("core.autocrlf", value);
		else
			s->autocrlf = b;
	} else if (!strcmp(key, "status.showuntrackedfiles")) {
		s->show_untracked = !(value && (!strcasecmp(value, "no") ||
						try_gitfast_parse_bool(value) == 0));
	} else if (!strcmp(key, "core.excludesfile") ||
		   !strcmp(key, "core.attributesfile")) {
		char **slot = key[5] == 'e' ? &s->excludes_file :
					      &s->attributes_file;
		char *path = value ? try_fs_expand_home(value) : NULL;
		if (!path) {
			s->bail = 1;
			return 0;
		}
		free(*slot);
		*slot = path;
	} else if (!strcmp(key, "core.bare")) {
		if ((b = try_gitfast_parse_bool(value)) < 0)
			return bad_value("core.bare", value);
		s->bare = b;
	} else if (!strcmp(key, "core.worktree")) {
		s->bail = 1;
	} else if (!strncmp(key, "extensions.", 11)) {
		/* worktreeConfig, objectFormat, ...: libgit2 knows them */
		if (try_gitfast_parse_bool(value) != 0)
			s->bail = 1;
	}
	return 0;
}

/* Callbacks for try_gitfast_config_*(): keys with a subsection do not matter. */
static int settings_cb(const char *key, const char *value, void *data)
{
	struct settings *s = data;

	if (strchr(key, '.') != strrchr(key, '.'))
		return 0;
	if (settings_set(s, key, value) < 0 || s->bail)
		return TRY_GITFAST_FALLBACK;
	return 0;
}

static int parameters_cb(const char *key, const char *value, void *data)
{
	return settings_set(data, key, value) < 0 ? -1 : 0;
}

/*
 * `git -c key=value commit-age` passes settings in $GIT_CONFIG_PARAMETERS.
 * libgit2 1.5 ignores them, so both paths apply them here.
 */
static int apply_config_parameters(struct settings *s)
{
	return try_gitfast_config_parameters(parameters_cb, s) ? -1 : 0;
}

/*
 * The configuration the way git layers it, without libgit2.  Anything out
 * of the ordinary sets s->bail.
 */
static void fast_config(struct ctx *c)
{
	if (try_gitfast_config_read(c->commondir, settings_cb, &c->set))
		c->set.bail = 1;
}

/* The same through libgit2. */
static int lib_config(struct ctx *c)
{
	static const char *const keys[] = {
		"commitAge.levels", "core.fileMode", "core.trustCtime",
		"core.checkStat", "core.autocrlf",
		"status.showUntrackedFiles", "core.excludesFile",
		"core.attributesFile", "core.bare",
	};
	git_config *cfg = NULL;
	git_buf value = GIT_BUF_INIT;
	size_t i;
	int ret = -1;

	if (git_repository_config_snapshot(&cfg, c->repo) < 0) {
		try_error_from_git("cannot read git config");
		return -1;
	}
	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		char lower[64];
		size_t j;
		int error;

		if (strstr(keys[i], "File"))
			error = git_config_get_path(&value, cfg, keys[i]);
		else
			error = git_config_get_string_buf(&value, cfg,
							  keys[i]);
		if (error == GIT_ENOTFOUND)
			continue;
		if (error < 0) {
			try_error_from_git(keys[i]);
			goto done;
		}
		for (j = 0; keys[i][j] && j < sizeof(lower) - 1; j++)
			lower[j] = (char)tolower((unsigned char)keys[i][j]);
		lower[j] = '\0';
		if (settings_set(&c->set, lower, value.ptr) < 0)
			goto done;
		git_buf_dispose(&value);
	}
	ret = 0;
done:
	git_buf_dispose(&value);
	git_config_free(cfg);
	return ret;
}

/* Opens the repository through libgit2, initialising it first. */
static int lib_open(struct ctx *c)
{
	if (c->repo)
		return 0;
	if (!c->lib) {
		if (git_libgit2_init() < 0) {
			try_error_from_git("cannot initialise libgit2");
			return -1;
		}
		c->lib = 1;
		c->how |= TRY_AGE_HOW_LIBGIT2;
	}
	if (try_repo_open(&c->repo, c->open_path, 0) < 0)
		return -1;
	c->own_repo = 1;
	return 0;
}

/* Fills the paths of `c` from its libgit2 repository. */
static int lib_paths(struct ctx *c)
{
	struct try_buf buf = TRY_BUF_INIT;
	const char *index_file = getenv("GIT_INDEX_FILE");

	if (git_repository_is_bare(c->repo) ||
	    !git_repository_workdir(c->repo)) {
		try_error_set("this operation must be run in a work tree "
			      "(the repository is bare)");
		return -1;
	}
	try_gitfast_add_dir(&buf, git_repository_workdir(c->repo));
	c->workdir = try_buf_detach(&buf);
	try_gitfast_add_dir(&buf, git_repository_path(c->repo));
	c->gitdir = try_buf_detach(&buf);
	try_gitfast_add_dir(&buf, git_repository_commondir(c->repo));
	c->commondir = try_buf_detach(&buf);
	if (index_file && *index_file)
		c->index_path = try_xstrdup(index_file);
	else
		c->index_path = try_xstrdup("");
	return 0;
}

/*
 * Finds the working tree the fast way (try_gitfast_discover()).  Returns 0
 * when found, 1 when the setup is one to leave to libgit2, TRY_ENOTFOUND
 * when there is no repository.
 */
static int fast_discover(struct ctx *c)
{
	struct try_gitfast_repo repo = TRY_GITFAST_REPO_INIT;
	const char *index_file = getenv("GIT_INDEX_FILE");
	int r = try_gitfast_discover(&repo, c->open_path);

	if (r) {
		try_gitfast_repo_release(&repo);
		return r == TRY_ENOTFOUND ? TRY_ENOTFOUND : 1;
	}
	c->workdir = repo.workdir;
	c->gitdir = repo.gitdir;
	c->commondir = repo.commondir;
	c->index_path = try_xstrdup(index_file && *index_file ? index_file : "");
	return 0;
}

/* Writes `data` to git-dir file `name` atomically; failures are ignored. */
static void write_gitdir_file(struct ctx *c, const char *name,
			      const char *data, size_t len)
{
	struct try_buf path = TRY_BUF_INIT;

	try_buf_addf(&path, "%stry", c->gitdir);
	if (mkdir(path.ptr, 0777) < 0 && errno != EEXIST)
		goto done;
	try_buf_reset(&path);
	try_buf_addf(&path, "%s%s", c->gitdir, name);
	try_fs_write_atomic(path.ptr, data, len, 0666);
done:
	try_buf_release(&path);
}

/* ------------------------------------------------------------------ */
/* the tracked directories */

struct dir {
	char *path;             /* "" for the top, else "a/b" */
	uint32_t len;
	uint32_t parent;
	uint32_t file_first, file_nr;   /* slice of scan.files */
	uint32_t sub_first, sub_nr;     /* slice of scan.subs */

	/* written by the thread that reads this directory */
	unsigned char gone;             /* missing, or not a directory */
	unsigned char unreadable;
	unsigned char has_gitignore;
	unsigned char has_gitattributes;
	/* written by the thread that reads the parent */
	unsigned char shadowed;         /* the parent has a non-directory */

	/* after the scan */
	signed char excluded;           /* -1 not known yet */
	struct try_ignore_list *ignore;
	unsigned char ignore_loaded;

	/* the listing cache (see "listing cache" below) */
	unsigned char from_cache;       /* names came from the cache */
	unsigned char cacheable;        /* read now, settled: store it */
	struct dirstat {
		int64_t mtime_s, ctime_s;
		uint32_t mtime_ns, ctime_ns;
		uint64_t ino;
	} st;
	uint32_t cand_worker, cand_first, cand_nr;
};

enum entry_state {
	ST_CLEAN = 0,
	ST_MODIFIED,
	ST_DELETED,
	ST_CANDIDATE,           /* stat data differ: compare contents */
	ST_CONFLICT,
};
#define ST_STAGED 0x80

/* A name that the index does not know, found while reading a directory. */
struct cand {
	uint32_t dir;
	uint32_t name;          /* offset in the worker's names */
	unsigned char dtype;
};

struct scan;

struct worker {
	struct scan *s;
	uint32_t id;
	pthread_t thread;
	struct cand *cands;
	size_t ncands, cands_alloc;
	struct try_buf names;
	uint32_t *hash;
	size_t hash_alloc;
	unsigned char *seen;
	size_t seen_alloc;
	char *dents;
};

struct scan {
	struct ctx *c;
	struct try_index *ix;
	struct dir *dirs;
	uint32_t ndirs, dirs_alloc;
	uint32_t *files;        /* entry numbers, grouped by directory */
	uint32_t *subs;         /* directory numbers, grouped by parent */
	unsigned char *state;   /* per entry: enum entry_state | ST_STAGED */
	int64_t *mtime;         /* per entry: INT64_MIN when unknown */
	uint32_t next;          /* the next directory to read (atomic) */
	struct worker *workers;
	int nworkers;

	/* listing cache */
	struct try_buf cache;
	const unsigned char **cached;   /* per directory, or NULL */
	int64_t settled;        /* directories changed before are settled */
	int cache_usable;       /* the index is git's own one */
};

static uint32_t new_dir(struct scan *s, const char *path, size_t len,
			uint32_t parent)
{
	struct dir *d;

	if (s->ndirs == s->dirs_alloc) {
		size_t alloc = s->dirs_alloc;
		TRY_ARRAY_GROW(s->dirs, s->ndirs + 1, alloc);
		s->dirs_alloc = (uint32_t)alloc;
	}
	d = &s->dirs[s->ndirs];
	memset(d, 0, sizeof(*d));
	d->path = try_xstrndup(path, len);
	d->len = (uint32_t)len;
	d->parent = parent;
	d->excluded = -1;
	return s->ndirs++;
}

/*
 * Builds the directory table from the sorted index: every directory that
 * holds a tracked path, in pre-order, with its files and subdirectories.
 */
static void build_dirs(struct scan *s)
{
	struct try_index *ix = s->ix;
	uint32_t *entry_dir = try_xcalloc(ix->nr ? ix->nr : 1,
					  sizeof(*entry_dir));
	uint32_t *stack = NULL, *count;
	size_t stack_nr = 0, stack_alloc = 0;
	uint32_t i, d;

	new_dir(s, "", 0, 0);
	TRY_ARRAY_GROW(stack, 1, stack_alloc);
	stack[stack_nr++] = 0;
	for (i = 0; i < ix->nr; i++) {
		const struct try_index_entry *e = &ix->e[i];
		size_t dlen = dirname_len(e->path, e->pathlen), start;

		if (e->flags & TRY_INDEX_DUP) {
			entry_dir[i] = UINT32_MAX;
			continue;
		}
		for (;;) {
			const struct dir *top = &s->dirs[stack[stack_nr - 1]];
			if (!top->len ||
			    (top->len <= dlen && e->path[top->len] == '/' &&
			     !memcmp(e->path, top->path, top->len)))
				break;
			stack_nr--;
		}
		start = s->dirs[stack[stack_nr - 1]].len;
		if (start)
			start++;
		while (start < dlen) {
			const char *slash = memchr(e->path + start, '/',
						   dlen - start);
			size_t end = slash ? (size_t)(slash - e->path) : dlen;
			uint32_t nd = new_dir(s, e->path, end,
					      stack[stack_nr - 1]);
			TRY_ARRAY_GROW(stack, stack_nr + 1, stack_alloc);
			stack[stack_nr++] = nd;
			start = end + 1;
		}
		entry_dir[i] = stack[stack_nr - 1];
	}
	free(stack);

	/* counting sorts: files by directory, directories by parent */
	count = try_xcalloc(s->ndirs + 1, sizeof(*count));
	for (i = 0; i < ix->nr; i++)
		if (entry_dir[i] != UINT32_MAX)
			count[entry_dir[i]]++;
	for (d = 0, i = 0; d < s->ndirs; d++) {
		s->dirs[d].file_first = i;
		i += count[d];
		count[d] = s->dirs[d].file_first;
	}
	s->files = try_xcalloc(i ? i : 1, sizeof(*s->files));
	for (i = 0; i < ix->nr; i++)
		if (entry_dir[i] != UINT32_MAX)
			s->files[count[entry_dir[i]]++] = i;
	for (d = 0; d < s->ndirs; d++)
		s->dirs[d].file_nr = count[d] - s->dirs[d].file_first;

	memset(count, 0, (s->ndirs + 1) * sizeof(*count));
	for (d = 1; d < s->ndirs; d++)
		count[s->dirs[d].parent]++;
	for (d = 0, i = 0; d < s->ndirs; d++) {
		s->dirs[d].sub_first = i;
		i += count[d];
		count[d] = s->dirs[d].sub_first;
	}
	s->subs = try_xcalloc(i ? i : 1, sizeof(*s->subs));
	for (d = 1; d < s->ndirs; d++)
		s->subs[count[s->dirs[d].parent]++] = d;
	for (d = 0; d < s->ndirs; d++)
		s->dirs[d].sub_nr = count[d] - s->dirs[d].sub_first;
	free(count);
	free(entry_dir);
}

/* ------------------------------------------------------------------ */
/* scan */

struct try_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

#define DENTS_SIZE (64 * 1024)

/*
 * Compares an entry's stat data with the file's, as git's
 * ie_match_stat() does; ST_CANDIDATE when only the contents can tell.
 */
static int compare_stat(const struct scan *s, const struct try_index_entry *e,
			const struct stat *st)
{
	const struct settings *set = &s->c->set;
	uint32_t mode = try_index_ce(e, TRY_CE_MODE);
	uint32_t size = try_index_ce(e, TRY_CE_SIZE);
	uint32_t m_s = try_index_ce(e, TRY_CE_MTIME);
	uint32_t m_ns = try_index_ce(e, TRY_CE_MTIME + 4);
	int meta = 0;

	switch (mode & 0170000) {
	case 0100000:
		if (!S_ISREG(st->st_mode))
			return ST_MODIFIED;
		if (set->filemode && ((mode ^ st->st_mode) & 0100))
			return ST_MODIFIED;
		break;
	case 0120000:
		if (!S_ISLNK(st->st_mode))
			return ST_MODIFIED;
		break;
	case 0160000:
		/* a submodule: its own contents are its own business */
		return S_ISDIR(st->st_mode) ? ST_CLEAN : ST_MODIFIED;
	default:
		return ST_MODIFIED;
	}
	if (size != (uint32_t)st->st_size) {
		/* size 0: smudged by git as racy, or truly empty */
		if (size)
			return ST_MODIFIED;
		meta = 1;
	}
	if (m_s != (uint32_t)st->st_mtim.tv_sec)
		meta = 1;
	if (!set->checkstat_minimal) {
		/* git without USE_NSEC stores 0 nanoseconds */
		if (m_ns && m_ns != (uint32_t)st->st_mtim.tv_nsec)
			meta = 1;
		if (set->trustctime) {
			uint32_t c_s = try_index_ce(e, TRY_CE_CTIME);
			uint32_t c_ns = try_index_ce(e, TRY_CE_CTIME + 4);
			if (c_s != (uint32_t)st->st_ctim.tv_sec ||
			    (c_ns && c_ns != (uint32_t)st->st_ctim.tv_nsec))
				meta = 1;
		}
		if (try_index_ce(e, TRY_CE_UID) != (uint32_t)st->st_uid ||
		    try_index_ce(e, TRY_CE_GID) != (uint32_t)st->st_gid ||
		    try_index_ce(e, TRY_CE_INO) != (uint32_t)st->st_ino)
			meta = 1;
	}
	if (meta)
		return ST_CANDIDATE;
	/* racily clean: written in the same tick as the index */
	if (s->ix->mtime_s &&
	    (s->ix->mtime_s < (int64_t)m_s ||
	     (s->ix->mtime_s == (int64_t)m_s &&
	      (!m_ns || s->ix->mtime_ns <= (int64_t)m_ns))))
		return ST_CANDIDATE;
	return ST_CLEAN;
}

/* The state of an entry whose file is missing. */
static unsigned char missing_state(const struct try_index_entry *e)
{
	return e->flags & TRY_INDEX_CONFLICT ? ST_CONFLICT : ST_DELETED;
}

static uint32_t name_hash(const char *name)
{
	uint32_t h = 2166136261u;

	while (*name)
		h = (h ^ (unsigned char)*name++) * 16777619u;
	return h;
}

/* The name of child `k` of `d` (files first, then subdirectories). */
static const char *child_name(const struct scan *s, const struct dir *d,
			      uint32_t k)
{
	size_t skip = d->len ? d->len + 1 : 0;

	if (k < d->file_nr)
		return s->ix->e[s->files[d->file_first + k]].path + skip;
	return s->dirs[s->subs[d->sub_first + k - d->file_nr]].path + skip;
}

static void add_cand(struct worker *w, uint32_t dir, const char *name,
		     unsigned char dtype)
{
	struct cand *c;

	TRY_ARRAY_GROW(w->cands, w->ncands + 1, w->cands_alloc);
	c = &w->cands[w->ncands++];
	c->dir = dir;
	c->name = (uint32_t)w->names.len;
	c->dtype = dtype;
	try_buf_add(&w->names, name, strlen(name) + 1);
}

/*
 * Compares entry `i` with its file; 1 when a directory took the place of
 * a tracked file: the file is deleted, the directory may hold untracked
 * files (git status shows both).
 */
static int stat_entry(struct scan *s, int fd, uint32_t i, const char *name)
{
	const struct try_index_entry *e = &s->ix->e[i];
	struct stat st;

	if (e->flags & (TRY_INDEX_VALID | TRY_INDEX_SKIP_WT)) {
		s->state[i] = ST_CLEAN;
		return 0;
	}
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		s->state[i] = missing_state(e);
		return 0;
	}
	if (S_ISDIR(st.st_mode) &&
	    (try_index_ce(e, TRY_CE_MODE) & 0170000) != 0160000) {
		s->state[i] = missing_state(e);
		return 1;
	}
	s->mtime[i] = st.st_mtim.tv_sec;
	if (e->flags & TRY_INDEX_CONFLICT)
		s->state[i] = ST_CONFLICT;
	else if (e->flags & TRY_INDEX_ITA)
		s->state[i] = ST_MODIFIED;
	else
		s->state[i] = (unsigned char)compare_stat(s, e, &st);
	return 0;
}

/* ------------------------------------------------------------------ */
/* listing cache
 *
 * Reading a directory costs four system calls (open, two getdents, close)
 * and its names must be matched with the index: a fifth of a scan.  A
 * directory's names cannot change without its mtime and ctime changing,
 * so the names the index does not know are kept, per directory, in
 * try/dir-cache, and a directory whose stat data are unchanged is not read
 * again: its tracked files are lstat'ed without reading it.  The
 * cache belongs to one index (size, mtime, inode, checksum) and is dropped
 * when the index changes; a directory changed less than two seconds before
 * it was read is not stored (timestamps are coarse, a change in the same
 * tick would go unseen).  Ignore rules are applied after the cache, so
 * editing a .gitignore needs no invalidation.
 *
 *   "try-dircache 1\n", index size (8), mtime s (8) ns (8), inode (8),
 *   checksum (20), number of directories (4); then per directory in
 *   pre-order a byte 0 (nothing stored) or 1 followed by flags (1),
 *   mtime s (8) ns (4), ctime s (8) ns (4), inode (8), number of names
 *   (4) and the names, each a d_type byte and a NUL-terminated name.
 */

#define DIRCACHE_FILE "try/dir-cache"
#define DIRCACHE_MAGIC "try-dircache 1\n"
#define DIRCACHE_MAGIC_LEN 15
#define DIRCACHE_HEADER (DIRCACHE_MAGIC_LEN + 32 + OID_RAWSZ + 4)
#define DIRCACHE_RECORD 37

static void cache_identity(struct try_buf *buf, const struct try_index *ix)
{
	uint64_t v[4];
	uint32_t n;

	v[0] = ix->size;
	v[1] = (uint64_t)ix->mtime_s;
	v[2] = (uint64_t)ix->mtime_ns;
	v[3] = ix->ino;
	try_buf_add(buf, DIRCACHE_MAGIC, DIRCACHE_MAGIC_LEN);
	try_buf_add(buf, v, sizeof(v));
	if (ix->map)
		try_buf_add(buf, ix->map + ix->size - OID_RAWSZ, OID_RAWSZ);
	else
		try_buf_add(buf, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
			    OID_RAWSZ);
	n = 0;
	try_buf_add(buf, &n, sizeof(n));
}

static void dirstat_from(struct dirstat *ds, const struct stat *st)
{
	ds->mtime_s = st->st_mtim.tv_sec;
	ds->mtime_ns = (uint32_t)st->st_mtim.tv_nsec;
	ds->ctime_s = st->st_ctim.tv_sec;
	ds->ctime_ns = (uint32_t)st->st_ctim.tv_nsec;
	ds->ino = (uint64_t)st->st_ino;
}

static void cache_load(struct scan *s)
{
	struct try_buf want = TRY_BUF_INIT, path = TRY_BUF_INIT;
	const unsigned char *p, *end;
	uint32_t d, ndirs;

	s->settled = (int64_t)time(NULL) - 2;
	s->cache_usable = !*s->c->index_path;
	if (!s->cache_usable)
		return;
	try_buf_addf(&path, "%s%s", s->c->gitdir, DIRCACHE_FILE);
	if (try_gitfast_read_file(&s->cache, AT_FDCWD, path.ptr) <= 0)
		goto fail;
	cache_identity(&want, s->ix);
	if (s->cache.len < DIRCACHE_HEADER ||
	    memcmp(s->cache.ptr, want.ptr, DIRCACHE_HEADER - 4))
		goto fail;
	memcpy(&ndirs, s->cache.ptr + DIRCACHE_HEADER - 4, 4);
	if (ndirs != s->ndirs)
		goto fail;
	s->cached = try_xcalloc(s->ndirs, sizeof(*s->cached));
	p = (const unsigned char *)s->cache.ptr + DIRCACHE_HEADER;
	end = (const unsigned char *)s->cache.ptr + s->cache.len;
	for (d = 0; d < ndirs; d++) {
		uint32_t n, k;

		if (p >= end)
			goto fail;
		if (!*p++)
			continue;
		if (end - p < DIRCACHE_RECORD)
			goto fail;
		s->cached[d] = p;
		memcpy(&n, p + DIRCACHE_RECORD - 4, 4);
		p += DIRCACHE_RECORD;
		for (k = 0; k < n; k++) {
			const unsigned char *nul;
			if (end - p < 2)
				goto fail;
			nul = memchr(p + 1, '\0', end - p - 1);
			if (!nul || nul == p + 1)
				goto fail;
			p = nul + 1;
		}
	}
	goto done;
fail:
	free(s->cached);
	s->cached = NULL;
done:
	try_buf_release(&want);
	try_buf_release(&path);
}

/*
 * Directory `d` from the cache, when its stat data are unchanged: 1 done,
 * 0 to read it.  Its files are lstat'ed relative to an O_PATH descriptor
 * of it: a fifth less kernel time than full paths from the top.
 */
static int scan_cached(struct scan *s, struct worker *w, uint32_t d)
{
	struct dir *dir = &s->dirs[d];
	const unsigned char *p = s->cached[d];
	struct dirstat cst, now;
	struct stat st;
	uint32_t n, k, j;
	unsigned char flags = p[0];
	int fd = s->c->rootfd, ret = 0;

	memcpy(&cst.mtime_s, p + 1, 8);
	memcpy(&cst.mtime_ns, p + 9, 4);
	memcpy(&cst.ctime_s, p + 13, 8);
	memcpy(&cst.ctime_ns, p + 21, 4);
	memcpy(&cst.ino, p + 25, 8);
	memcpy(&n, p + 33, 4);
	p += DIRCACHE_RECORD;
	if (d)
		fd = openat(s->c->rootfd, dir->path,
			    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
		goto done;
	dirstat_from(&now, &st);
	if (now.mtime_s != cst.mtime_s || now.mtime_ns != cst.mtime_ns ||
	    now.ctime_s != cst.ctime_s || now.ctime_ns != cst.ctime_ns ||
	    now.ino != cst.ino)
		goto done;
	dir->from_cache = 1;
	dir->st = cst;
	dir->has_gitignore = flags & 1;
	dir->has_gitattributes = !!(flags & 2);
	dir->cand_worker = w->id;
	dir->cand_first = (uint32_t)w->ncands;
	for (k = 0; k < n; k++) {
		unsigned char dtype = *p++;
		const char *name = (const char *)p;

		p += strlen(name) + 1;
		add_cand(w, d, name, dtype);
		/* listed although tracked: no longer a directory */
		for (j = 0; j < dir->sub_nr; j++) {
			uint32_t sub = s->subs[dir->sub_first + j];
			if (!strcmp(child_name(s, dir, dir->file_nr + j), name))
				s->dirs[sub].shadowed = 1;
		}
	}
	dir->cand_nr = (uint32_t)w->ncands - dir->cand_first;
	for (k = 0; k < dir->file_nr; k++)
		stat_entry(s, fd, s->files[dir->file_first + k],
			   child_name(s, dir, k));
	ret = 1;
done:
	if (d && fd >= 0)
		close(fd);
	return ret;
}

/* Stores the listings when some directory was read and has settled. */
static void cache_store(struct scan *s)
{
	struct try_buf buf = TRY_BUF_INIT;
	uint32_t d, ndirs = s->ndirs;
	int fresh = 0;

	if (!s->cache_usable)
		return;
	for (d = 0; d < s->ndirs && !fresh; d++)
		fresh = s->dirs[d].cacheable && !s->dirs[d].from_cache;
	if (!fresh)
		return;
	cache_identity(&buf, s->ix);
	memcpy(buf.ptr + DIRCACHE_HEADER - 4, &ndirs, 4);
	for (d = 0; d < s->ndirs; d++) {
		const struct dir *dir = &s->dirs[d];
		const struct worker *w = &s->workers[dir->cand_worker];
		unsigned char flags;
		uint32_t k;

		if (!(dir->from_cache || dir->cacheable) || dir->gone ||
		    dir->unreadable) {
			try_buf_addch(&buf, 0);
			continue;
		}
		flags = (unsigned char)((dir->has_gitignore ? 1 : 0) |
					(dir->has_gitattributes ? 2 : 0));
		try_buf_addch(&buf, 1);
		try_buf_addch(&buf, flags);
		try_buf_add(&buf, &dir->st.mtime_s, 8);
		try_buf_add(&buf, &dir->st.mtime_ns, 4);
		try_buf_add(&buf, &dir->st.ctime_s, 8);
		try_buf_add(&buf, &dir->st.ctime_ns, 4);
		try_buf_add(&buf, &dir->st.ino, 8);
		try_buf_add(&buf, &dir->cand_nr, 4);
		for (k = 0; k < dir->cand_nr; k++) {
			const struct cand *cd = &w->cands[dir->cand_first + k];
			try_buf_addch(&buf, (char)cd->dtype);
			try_buf_adds(&buf, w->names.ptr + cd->name);
			try_buf_addch(&buf, 0);
		}
	}
	write_gitdir_file(s->c, DIRCACHE_FILE, buf.ptr, buf.len);
	try_buf_release(&buf);
}

/*
 * Child `k` of directory `d` is a tracked directory; anything but a
 * directory under its name shadows it (its files count as deleted) and may
 * be untracked itself.
 */
static void tracked_subdir(struct scan *s, struct worker *w, uint32_t d,
			   int fd, uint32_t k, const struct try_dirent64 *de)
{
	const struct dir *dir = &s->dirs[d];
	uint32_t sub = s->subs[dir->sub_first + k - dir->file_nr];
	int is_dir = de->d_type == DT_DIR;
	struct stat st;

	if (de->d_type == DT_UNKNOWN)
		is_dir = !fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
			 S_ISDIR(st.st_mode);
	if (!is_dir) {
		s->dirs[sub].shadowed = 1;
		add_cand(w, d, de->d_name, de->d_type);
	}
}

/*
 * Reads directory `d` once: tracked files are compared by lstat data
 * (relative to the open directory, which spares the kernel the path walk),
 * names the index does not know become candidates for untracked files.
 */
static void scan_dir(struct scan *s, struct worker *w, uint32_t d)
{
	struct dir *dir = &s->dirs[d];
	uint32_t n = dir->file_nr + dir->sub_nr, k, mask;
	size_t hsize = 16;
	struct stat dst;
	int fd;

	if (s->cached && s->cached[d] && scan_cached(s, w, d))
		return;
	if (!d)
		fd = s->c->rootfd;
	else
		fd = openat(s->c->rootfd, dir->path,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			dir->gone = 1;
		else
			dir->unreadable = 1;
		return;
	}
	if (!fstat(fd, &dst)) {
		dirstat_from(&dir->st, &dst);
		dir->cacheable = dir->st.mtime_s < s->settled &&
				 dir->st.ctime_s < s->settled;
	}
	dir->cand_worker = w->id;
	dir->cand_first = (uint32_t)w->ncands;

	while (hsize < 2 * (size_t)n)
		hsize *= 2;
	if (hsize > w->hash_alloc) {
		free(w->hash);
		w->hash = try_xmalloc(hsize * sizeof(*w->hash));
		w->hash_alloc = hsize;
	}
	memset(w->hash, 0, hsize * sizeof(*w->hash));
	mask = (uint32_t)hsize - 1;
	if (n > w->seen_alloc) {
		free(w->seen);
		w->seen = try_xmalloc(n);
		w->seen_alloc = n;
	}
	if (n)	/* seen is still NULL for a first, empty directory */
		memset(w->seen, 0, n);
	for (k = 0; k < n; k++) {
		uint32_t h = name_hash(child_name(s, dir, k)) & mask;
		while (w->hash[h])
			h = (h + 1) & mask;
		w->hash[h] = k + 1;
	}

	for (;;) {
		long got = syscall(SYS_getdents64, fd, w->dents, DENTS_SIZE);
		long off;

		if (got <= 0) {
			if (got < 0) {
				dir->unreadable = 1;
				dir->cacheable = 0;
			}
			break;
		}
		for (off = 0; off < got;) {
			struct try_dirent64 *de =
				(struct try_dirent64 *)(w->dents + off);
			const char *name = de->d_name;
			uint32_t h, slot = 0;

			off += de->d_reclen;
			if (name[0] == '.' && (!name[1] || (name[1] == '.' &&
							    !name[2])))
				continue;
			if (name[0] == '.') {
				if (!strcmp(name, ".git"))
					continue;
				if (!strcmp(name, ".gitignore"))
					dir->has_gitignore = 1;
				else if (!strcmp(name, ".gitattributes"))
					dir->has_gitattributes = 1;
			}
			for (h = name_hash(name) & mask; w->hash[h];
			     h = (h + 1) & mask) {
				if (!strcmp(child_name(s, dir, w->hash[h] - 1),
					    name)) {
					slot = w->hash[h];
					break;
				}
			}
			if (!slot) {
				add_cand(w, d, name, de->d_type);
				continue;
			}
			k = slot - 1;
			w->seen[k] = 1;
			if (k < dir->file_nr) {
				if (stat_entry(s, fd,
					       s->files[dir->file_first + k],
					       name))
					add_cand(w, d, name, DT_DIR);
			} else {
				tracked_subdir(s, w, d, fd, k, de);
			}
		}
	}
	dir->cand_nr = (uint32_t)w->ncands - dir->cand_first;
	for (k = 0; k < dir->file_nr; k++) {
		uint32_t i = s->files[dir->file_first + k];
		const struct try_index_entry *e = &s->ix->e[i];

		if (w->seen[k])
			continue;
		if (e->flags & (TRY_INDEX_VALID | TRY_INDEX_SKIP_WT))
			s->state[i] = ST_CLEAN;
		else
			s->state[i] = missing_state(e);
	}
	if (d)
		close(fd);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct scan *s = w->s;

	for (;;) {
		uint32_t d = __atomic_fetch_add(&s->next, DIRS_PER_GRAB,
						__ATOMIC_RELAXED);
		uint32_t stop = d + DIRS_PER_GRAB;

		if (d >= s->ndirs)
			break;
		if (stop > s->ndirs)
			stop = s->ndirs;
		for (; d < stop; d++)
			scan_dir(s, w, d);
	}
	return NULL;
}

static int online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

/* Reads every tracked directory, with a thread per CPU for big trees. */
static int run_scan(struct scan *s)
{
	int n = online_cpus(), i, ret = 0;

	/* a thread costs ~50 us to start; a file ~1 us to lstat */
	if ((uint32_t)n > 1 + s->ix->nr / 1000)
		n = 1 + (int)(s->ix->nr / 1000);
	s->workers = try_xcalloc((size_t)n, sizeof(*s->workers));
	s->nworkers = n;
	for (i = 0; i < n; i++) {
		s->workers[i].s = s;
		s->workers[i].id = (uint32_t)i;
		s->workers[i].dents = try_xmalloc(DENTS_SIZE);
	}
	for (i = 1; i < n; i++) {
		if (pthread_create(&s->workers[i].thread, NULL, worker_main,
				   &s->workers[i])) {
			s->nworkers = i;
			break;
		}
	}
	worker_main(&s->workers[0]);
	for (i = 1; i < s->nworkers; i++)
		pthread_join(s->workers[i].thread, NULL);
	s->nworkers = n;
	return ret;
}

static void scan_release(struct scan *s)
{
	uint32_t d;
	int i;

	for (i = 0; i < s->nworkers; i++) {
		struct worker *w = &s->workers[i];
		free(w->cands);
		try_buf_release(&w->names);
		free(w->hash);
		free(w->seen);
		free(w->dents);
	}
	free(s->workers);
	try_buf_release(&s->cache);
	free(s->cached);
	for (d = 0; d < s->ndirs; d++)
		free(s->dirs[d].path);
	free(s->dirs);
	free(s->files);
	free(s->subs);
	free(s->state);
	free(s->mtime);
	memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------------ */
/* ignore: which untracked names count (rules in ignore.c) */

/*
 * Whether `path` is excluded by the lists `chain` (outermost first: the
 * top directory's .gitignore at 0) and the global ones.
 */
static int excluded_by(struct ctx *c, struct try_ignore_list *const *chain,
		       size_t nr, const char *path, int is_dir)
{
	return try_ignore_excluded(&c->ignore, chain, nr, path, is_dir);
}

static struct try_ignore_list *dir_ignore(struct scan *s, uint32_t d)
{
	struct dir *dir = &s->dirs[d];

	if (!dir->ignore_loaded) {
		struct try_buf path = TRY_BUF_INIT, base = TRY_BUF_INIT;

		dir->ignore_loaded = 1;
		if (dir->has_gitignore) {
			if (dir->len) {
				try_buf_addf(&path, "%s/.gitignore", dir->path);
				try_buf_addf(&base, "%s/", dir->path);
			} else {
				try_buf_adds(&path, ".gitignore");
			}
			dir->ignore = try_ignore_list_load(s->c->rootfd,
							   path.ptr, base.ptr);
		}
		try_buf_release(&path);
		try_buf_release(&base);
	}
	return dir->ignore;
}

/* The ignore lists that apply inside tracked directory `d`. */
static size_t dir_chain(struct scan *s, uint32_t d,
			struct try_ignore_list ***chain, size_t *alloc)
{
	size_t depth = 0, i;
	uint32_t x;

	for (x = d;; x = s->dirs[x].parent) {
		depth++;
		if (!x)
			break;
	}
	TRY_ARRAY_GROW(*chain, depth + 1, *alloc);
	for (i = depth, x = d;; x = s->dirs[x].parent) {
		(*chain)[--i] = dir_ignore(s, x);
		if (!x)
			break;
	}
	return depth;
}

/* Whether tracked directory `d` lies in an ignored directory (or is one). */
static int dir_excluded(struct scan *s, uint32_t d)
{
	struct dir *dir = &s->dirs[d];

	if (dir->excluded < 0) {
		if (!d) {
			dir->excluded = 0;
		} else if (dir_excluded(s, dir->parent)) {
			dir->excluded = 1;
		} else {
			struct try_ignore_list **chain = NULL;
			size_t alloc = 0;
			size_t nr = dir_chain(s, dir->parent, &chain, &alloc);
			int r = excluded_by(s->c, chain, nr, dir->path, 1);
			dir->excluded = (signed char)r;
			free(chain);
		}
	}
	return dir->excluded;
}

/* ------------------------------------------------------------------ */
/* results */

/* What the scan found, before the stored time joins in. */
#define FOUND_SAMPLES 15

struct found {
	size_t modified, deleted, staged, untracked, conflicted, changed;
	int64_t oldest;         /* INT64_MAX when nothing has a time */
	enum try_age_source source;
	char *oldest_path;
	char *sample[FOUND_SAMPLES];    /* a few changed paths */
	size_t nsample;
};

static void found_release(struct found *f)
{
	size_t i;

	free(f->oldest_path);
	for (i = 0; i < f->nsample; i++)
		free(f->sample[i]);
	memset(f, 0, sizeof(*f));
}

/* Changed path `path` was (last) modified at `t`, or later. */
static void found_time(struct found *f, int64_t t, enum try_age_source src,
		       const char *path, size_t len)
{
	if (f->nsample < FOUND_SAMPLES)
		f->sample[f->nsample++] = try_xstrndup(path, len);
	if (t >= f->oldest)
		return;
	f->oldest = t;
	f->source = src;
	free(f->oldest_path);
	f->oldest_path = try_xstrndup(path, len);
}

/*
 * A path without a file of its own (deleted): the closest existing
 * directory above it was modified when the path went away, or later.
 */
static void found_gone(struct ctx *c, struct found *f, const char *path)
{
	size_t len = strlen(path);
	struct stat st;

	for (;;) {
		char *dir;
		int r;

		len = dirname_len(path, len);
		dir = try_xstrndup(path, len);
		r = fstatat(c->rootfd, len ? dir : ".", &st, 0);
		free(dir);
		if (!r && S_ISDIR(st.st_mode)) {
			found_time(f, st.st_mtim.tv_sec,
				   TRY_AGE_SOURCE_DIR_MTIME, path,
				   strlen(path));
			return;
		}
		if (!len)
			return;
	}
}

/* ------------------------------------------------------------------ */
/* content */

/*
 * Whether an attributes file may ask for a content filter (text, eol,
 * crlf, ident, filter, working-tree-encoding).  A word search: false
 * alarms only cost the slower, exact hash through libgit2.
 */
static int attributes_may_filter(int dirfd, const char *path)
{
	static const char *const words[] = {
		"text", "eol", "crlf", "ident", "filter", "encoding",
	};
	struct try_buf buf = TRY_BUF_INIT;
	int r = try_gitfast_read_file(&buf, dirfd, path), hit = 0;
	size_t i;

	if (r < 0)
		hit = 1;
	for (i = 0; r > 0 && i < sizeof(words) / sizeof(*words); i++)
		if (strstr(buf.ptr, words[i]))
			hit = 1;
	try_buf_release(&buf);
	return hit;
}

/* Whether git would run a file through a filter before hashing it. */
static int needs_filters(struct scan *s)
{
	struct ctx *c = s->c;
	struct try_buf path = TRY_BUF_INIT;
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
	uint32_t d;
	int hit = c->set.autocrlf;

	for (d = 0; !hit && d < s->ndirs; d++) {
		if (!s->dirs[d].has_gitattributes)
			continue;
		try_buf_reset(&path);
		if (s->dirs[d].len)
			try_buf_addf(&path, "%s/", s->dirs[d].path);
		try_buf_adds(&path, ".gitattributes");
		hit = attributes_may_filter(c->rootfd, path.ptr);
	}
	if (!hit) {
		try_buf_reset(&path);
		try_buf_addf(&path, "%sinfo/attributes", c->commondir);
		hit = attributes_may_filter(AT_FDCWD, path.ptr);
	}
	if (!hit) {
		try_buf_reset(&path);
		if (c->set.attributes_file)
			try_buf_adds(&path, c->set.attributes_file);
		else if (xdg && *xdg)
			try_buf_addf(&path, "%s/git/attributes", xdg);
		else if (home && *home)
			try_buf_addf(&path, "%s/.config/git/attributes", home);
		if (path.len)
			hit = attributes_may_filter(AT_FDCWD, path.ptr);
	}
	try_buf_release(&path);
	return hit;
}

/*
 * The blob id of a working tree file without filters; -1 when unreadable.
 * SHA-1 is nettle's: no start-up cost (libgit2 needs its 4.5 ms
 * initialisation), and several times faster than the plain C this file
 * had (docs/age.md has the figures).
 */
static int hash_worktree(unsigned char *out, int rootfd, const char *path,
			 int is_link)
{
	struct sha1_ctx sha;
	char hdr[32];
	int hdrlen, ret = -1;

	sha1_init(&sha);
	if (is_link) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(rootfd, path, target, sizeof(target));
		if (n < 0)
			return -1;
		hdrlen = snprintf(hdr, sizeof(hdr), "blob %zd", n) + 1;
		sha1_update(&sha, (size_t)hdrlen, (const uint8_t *)hdr);
		sha1_update(&sha, (size_t)n, (const uint8_t *)target);
		ret = 0;
	} else {
		unsigned char buf[65536];
		struct stat st;
		off_t left;
		int fd = openat(rootfd, path,
				O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0)
			return -1;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			goto close;
		hdrlen = snprintf(hdr, sizeof(hdr), "blob %lld",
				  (long long)st.st_size) + 1;
		sha1_update(&sha, (size_t)hdrlen, (const uint8_t *)hdr);
		for (left = st.st_size; left > 0;) {
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				goto close;
			sha1_update(&sha, (size_t)n, buf);
			left -= n;
		}
		/* grown while we read: changed, whatever the hash says */
		if (read(fd, buf, 1) != 0)
			goto close;
		ret = 0;
close:
		close(fd);
	}
	if (!ret)
		sha1_digest(&sha, SHA1_DIGEST_SIZE, out);
	return ret;
}

/* Settles ST_CANDIDATE entries by their contents. */
static int check_contents(struct scan *s)
{
	struct ctx *c = s->c;
	uint32_t i;
	int filters = -1;

	for (i = 0; i < s->ix->nr; i++) {
		const struct try_index_entry *e = &s->ix->e[i];
		int is_link = (try_index_ce(e, TRY_CE_MODE) & 0170000) ==
			      0120000;
		unsigned char oid[OID_RAWSZ];

		if (s->state[i] != ST_CANDIDATE)
			continue;
		c->how |= TRY_AGE_HOW_HASHED;
		if (!is_link && filters < 0)
			filters = needs_filters(s);
		if (!is_link && filters) {
			git_oid goid;
			if (lib_open(c) < 0)
				return -1;
			if (git_repository_hashfile(&goid, c->repo, e->path,
						    GIT_OBJECT_BLOB,
						    e->path) < 0) {
				git_error_clear();
				s->state[i] = ST_MODIFIED;
				continue;
			}
			memcpy(oid, goid.id, OID_RAWSZ);
		} else if (hash_worktree(oid, c->rootfd, e->path,
					 is_link) < 0) {
			s->state[i] = ST_MODIFIED;
			continue;
		}
		s->state[i] = memcmp(oid, e->ce + TRY_CE_OID, OID_RAWSZ) ?
			      ST_MODIFIED : ST_CLEAN;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* untracked */

struct untracked_walk {
	struct ctx *c;
	struct found *f;
	struct try_ignore_list **chain;
	size_t nr, alloc;
	struct try_buf path;
	int depth;
};

static int resolve_dtype(int dirfd, const char *name, unsigned char dtype)
{
	struct stat st;

	if (dtype != DT_UNKNOWN)
		return dtype;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return DT_UNKNOWN;
	if (S_ISREG(st.st_mode))
		return DT_REG;
	if (S_ISLNK(st.st_mode))
		return DT_LNK;
	if (S_ISDIR(st.st_mode))
		return DT_DIR;
	return DT_UNKNOWN;
}

static void untracked_file(struct untracked_walk *u, const char *path)
{
	struct stat st;

	u->f->untracked++;
	u->f->changed++;
	if (!fstatat(u->c->rootfd, path, &st, AT_SYMLINK_NOFOLLOW))
		found_time(u->f, st.st_mtim.tv_sec, TRY_AGE_SOURCE_MTIME,
			   path, strlen(path));
}

/*
 * An untracked, not ignored directory (u->path, no trailing slash): every
 * file in it that is not ignored counts.  A nested repository counts as
 * one untracked path, as git status shows it.
 */
static void untracked_dir(struct untracked_walk *u)
{
	struct try_buf names = TRY_BUF_INIT;
	char *dents = NULL;
	size_t base = u->path.len, off;
	int fd, nested = 0, has_ignore = 0, pushed = 0;

	if (u->depth > 256)
		return;
	fd = openat(u->c->rootfd, u->path.ptr,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	dents = try_xmalloc(DENTS_SIZE);
	for (;;) {
		long got = syscall(SYS_getdents64, fd, dents, DENTS_SIZE), o;
		if (got <= 0)
			break;
		for (o = 0; o < got;) {
			struct try_dirent64 *de =
				(struct try_dirent64 *)(dents + o);
			const char *name = de->d_name;

			o += de->d_reclen;
			if (name[0] == '.' && (!name[1] || (name[1] == '.' &&
							    !name[2])))
				continue;
			if (!strcmp(name, ".git")) {
				nested = 1;
				continue;
			}
			if (!strcmp(name, ".gitignore"))
				has_ignore = 1;
			try_buf_addch(&names, (char)de->d_type);
			try_buf_add(&names, name, strlen(name) + 1);
		}
	}
	free(dents);
	if (nested) {
		untracked_file(u, u->path.ptr);
		goto done;
	}
	if (has_ignore) {
		struct try_buf gi = TRY_BUF_INIT;
		try_buf_addf(&gi, "%s/", u->path.ptr);
		TRY_ARRAY_GROW(u->chain, u->nr + 1, u->alloc);
		u->chain[u->nr++] = try_ignore_list_load(fd, ".gitignore",
							 gi.ptr);
		pushed = 1;
		try_buf_release(&gi);
	}
	for (off = 0; off < names.len;) {
		unsigned char dtype = (unsigned char)names.ptr[off];
		const char *name = names.ptr + off + 1;
		int type;

		off += strlen(name) + 2;
		type = resolve_dtype(fd, name, dtype);
		if (type != DT_REG && type != DT_LNK && type != DT_DIR)
			continue;
		try_buf_setlen(&u->path, base);
		try_buf_addch(&u->path, '/');
		try_buf_adds(&u->path, name);
		if (excluded_by(u->c, u->chain, u->nr, u->path.ptr,
				type == DT_DIR))
			continue;
		if (type == DT_DIR) {
			u->depth++;
			untracked_dir(u);
			u->depth--;
		} else {
			untracked_file(u, u->path.ptr);
		}
	}
	try_buf_setlen(&u->path, base);
	if (pushed)
		try_ignore_list_free(u->chain[--u->nr]);
done:
	close(fd);
	try_buf_release(&names);
}

/* Untracked candidates of the scan: ignored ones go, the rest count. */
static void settle_untracked(struct scan *s, struct found *f)
{
	struct untracked_walk u = { s->c, f, NULL, 0, 0, TRY_BUF_INIT, 0 };
	int i;

	for (i = 0; i < s->nworkers; i++) {
		const struct worker *w = &s->workers[i];
		size_t k;

		for (k = 0; k < w->ncands; k++) {
			const struct cand *cd = &w->cands[k];
			const struct dir *dir = &s->dirs[cd->dir];
			const char *name = w->names.ptr + cd->name;
			int type;

			if (dir->gone || dir_excluded(s, cd->dir))
				continue;
			try_buf_reset(&u.path);
			if (dir->len)
				try_buf_addf(&u.path, "%s/", dir->path);
			try_buf_adds(&u.path, name);
			type = resolve_dtype(s->c->rootfd, u.path.ptr,
					     cd->dtype);
			if (type != DT_REG && type != DT_LNK && type != DT_DIR)
				continue;
			u.nr = dir_chain(s, cd->dir, &u.chain, &u.alloc);
			if (excluded_by(s->c, u.chain, u.nr, u.path.ptr,
					type == DT_DIR))
				continue;
			if (type == DT_DIR)
				untracked_dir(&u);
			else
				untracked_file(&u, u.path.ptr);
		}
	}
	free(u.chain);
	try_buf_release(&u.path);
}

/* ------------------------------------------------------------------ */
/* staged: the index against HEAD */

/* What HEAD is, as far as the fast path could tell. */
struct head {
	int unborn;
	int commit_known;
	int tree_known;
	unsigned char commit[OID_RAWSZ];
	unsigned char tree[OID_RAWSZ];
};

/*
 * HEAD without libgit2: its commit from the ref files, its tree from our
 * cache (a commit's tree never changes).  0, or -1 to ask libgit2.
 */
static int fast_head(struct ctx *c, struct head *h)
{
	struct try_buf buf = TRY_BUF_INIT, path = TRY_BUF_INIT;
	unsigned char cached[OID_RAWSZ];
	int r, ret = -1;

	try_buf_addf(&path, "%sHEAD", c->gitdir);
	if (try_gitfast_read_file(&buf, AT_FDCWD, path.ptr) <= 0)
		goto done;
	try_buf_rtrim(&buf);
	if (!strncmp(buf.ptr, "ref: refs/heads/", 16)) {
		r = try_gitfast_ref(h->commit, c->commondir, buf.ptr + 5);
		if (r < 0)
			goto done;
		if (!r) {
			h->unborn = 1;
			ret = 0;
			goto done;
		}
	} else if (buf.len != OID_HEXSZ ||
		   try_gitfast_oid_parse(h->commit, buf.ptr)) {
		goto done;
	}
	h->commit_known = 1;
	try_buf_reset(&path);
	try_buf_reset(&buf);
	try_buf_addf(&path, "%s%s", c->gitdir, HEAD_CACHE_FILE);
	if (try_gitfast_read_file(&buf, AT_FDCWD, path.ptr) > 0 &&
	    buf.len >= 2 * OID_HEXSZ + 1 &&
	    !try_gitfast_oid_parse(cached, buf.ptr) &&
	    !memcmp(cached, h->commit, OID_RAWSZ) &&
	    !try_gitfast_oid_parse(h->tree, buf.ptr + OID_HEXSZ + 1))
		h->tree_known = 1;
	ret = 0;
done:
	try_buf_release(&buf);
	try_buf_release(&path);
	return ret;
}

/* HEAD through libgit2; caches the tree id for the next fast run. */
static int lib_head(struct ctx *c, struct head *h)
{
	git_reference *ref = NULL;
	git_commit *commit = NULL;
	char line[2 * OID_HEXSZ + 3];
	int error, ret = -1;

	if (lib_open(c) < 0)
		return -1;
	memset(h, 0, sizeof(*h));
	error = git_repository_head(&ref, c->repo);
	if (error == GIT_EUNBORNBRANCH || error == GIT_ENOTFOUND) {
		git_error_clear();
		h->unborn = 1;
		return 0;
	}
	if (error < 0) {
		try_error_from_git("cannot read HEAD");
		return -1;
	}
	if (git_reference_peel((git_object **)&commit, ref,
			       GIT_OBJECT_COMMIT) < 0) {
		try_error_from_git("cannot read the HEAD commit");
		goto done;
	}
	memcpy(h->commit, git_commit_id(commit)->id, OID_RAWSZ);
	memcpy(h->tree, git_commit_tree_id(commit)->id, OID_RAWSZ);
	h->commit_known = h->tree_known = 1;
	try_gitfast_oid_fmt(line, h->commit);
	line[OID_HEXSZ] = ' ';
	try_gitfast_oid_fmt(line + OID_HEXSZ + 1, h->tree);
	line[2 * OID_HEXSZ + 1] = '\n';
	line[2 * OID_HEXSZ + 2] = '\0';
	write_gitdir_file(c, HEAD_CACHE_FILE, line, strlen(line));
	ret = 0;
done:
	git_commit_free(commit);
	git_reference_free(ref);
	return ret;
}

/* git's tree order: a directory sorts as if its name ended in '/'. */
static int tree_name_cmp(const char *a, size_t alen, int adir,
			 const char *b, size_t blen, int bdir)
{
	size_t n = alen < blen ? alen : blen;
	int cmp = memcmp(a, b, n);
	int ca, cb;

	if (cmp)
		return cmp;
	ca = alen > n ? (unsigned char)a[n] : adir ? '/' : 0;
	cb = blen > n ? (unsigned char)b[n] : bdir ? '/' : 0;
	return ca - cb;
}

struct staged_walk {
	struct scan *s;
	struct found *f;
	struct try_buf path;
};

static void staged_gone(struct staged_walk *w, const char *path)
{
	w->f->staged++;
	w->f->changed++;
	found_gone(w->s->c, w->f, path);
}

static int count_deleted_tree(const char *root, const git_tree_entry *te,
			      void *payload)
{
	struct staged_walk *w = payload;
	struct try_buf path = TRY_BUF_INIT;

	if (git_tree_entry_type(te) != GIT_OBJECT_TREE) {
		try_buf_addf(&path, "%s%s%s", w->path.ptr, root,
			     git_tree_entry_name(te));
		staged_gone(w, path.ptr);
		try_buf_release(&path);
	}
	return 0;
}

static void mark_staged(struct scan *s, uint32_t i)
{
	if (!(s->ix->e[i].flags &
	      (TRY_INDEX_DUP | TRY_INDEX_ITA | TRY_INDEX_CONFLICT)))
		s->state[i] |= ST_STAGED;
}

static int staged_tree(struct staged_walk *w, git_tree *tree, uint32_t lo,
		       uint32_t hi, int64_t node);

/* A tree entry HEAD has and the index does not: staged deletions. */
static int staged_deleted(struct staged_walk *w, const git_tree_entry *te)
{
	size_t plen = w->path.len;
	git_tree *sub = NULL;

	try_buf_adds(&w->path, git_tree_entry_name(te));
	if (git_tree_entry_type(te) != GIT_OBJECT_TREE) {
		staged_gone(w, w->path.ptr);
	} else {
		try_buf_addch(&w->path, '/');
		if (git_tree_lookup(&sub, w->s->c->repo,
				    git_tree_entry_id(te)) < 0) {
			try_error_from_git("cannot read tree");
			return -1;
		}
		git_tree_walk(sub, GIT_TREEWALK_PRE, count_deleted_tree, w);
		git_tree_free(sub);
	}
	try_buf_setlen(&w->path, plen);
	return 0;
}

/*
 * A directory both have: skipped when its cache-tree node is valid and
 * holds the same tree id, else compared entry by entry.
 */
static int staged_dir(struct staged_walk *w, const git_tree_entry *te,
		      uint32_t lo, uint32_t hi, int64_t node)
{
	const struct try_index *ix = w->s->ix;
	const char *name = git_tree_entry_name(te);
	int64_t child = try_index_tree_child(ix, node, name, strlen(name));
	size_t plen = w->path.len;
	git_tree *sub = NULL;
	int r;

	if (child >= 0 && ix->tree[child].count >= 0 &&
	    !memcmp(ix->tree[child].oid, git_tree_entry_id(te)->id, OID_RAWSZ))
		return 0;
	if (git_tree_lookup(&sub, w->s->c->repo, git_tree_entry_id(te)) < 0) {
		try_error_from_git("cannot read tree");
		return -1;
	}
	try_buf_adds(&w->path, name);
	try_buf_addch(&w->path, '/');
	r = staged_tree(w, sub, lo, hi, child);
	try_buf_setlen(&w->path, plen);
	git_tree_free(sub);
	return r;
}

/* A file both have: staged when its id or mode differ. */
static void staged_file(struct staged_walk *w, const git_tree_entry *te,
			uint32_t j)
{
	const struct try_index_entry *e = &w->s->ix->e[j];
	uint32_t mode = try_index_ce(e, TRY_CE_MODE);

	if (e->flags & TRY_INDEX_CONFLICT)
		return;
	if ((mode & 0170000) == 0100000)
		mode = mode & 0100 ? 0100755 : 0100644;
	if (mode != (uint32_t)git_tree_entry_filemode(te) ||
	    memcmp(e->ce + TRY_CE_OID, git_tree_entry_id(te)->id, OID_RAWSZ))
		mark_staged(w->s, j);
}

/*
 * Compares tree `tree` (at w->path, "" or "a/b/") with index entries
 * [lo, hi), which are exactly those under that path, merging the two
 * sorted lists.  Subtrees whose cache-tree node (`node`, -1 for none) is
 * valid and equal are skipped without reading them.
 */
static int staged_tree(struct staged_walk *w, git_tree *tree, uint32_t lo,
		       uint32_t hi, int64_t node)
{
	const struct try_index *ix = w->s->ix;
	size_t n = git_tree_entrycount(tree), t = 0, plen = w->path.len;
	uint32_t j = lo;

	while (t < n || j < hi) {
		const git_tree_entry *te = t < n ?
			git_tree_entry_byindex(tree, t) : NULL;
		const char *iname = NULL, *slash = NULL;
		size_t ilen = 0;
		uint32_t k;
		int idir = 0, cmp;

		if (j < hi) {
			iname = ix->e[j].path + plen;
			slash = strchr(iname, '/');
			ilen = slash ? (size_t)(slash - iname) : strlen(iname);
			idir = slash != NULL;
		}
		if (!te)
			cmp = 1;
		else if (j >= hi)
			cmp = -1;
		else
			cmp = tree_name_cmp(git_tree_entry_name(te),
					    strlen(git_tree_entry_name(te)),
					    git_tree_entry_type(te) ==
						    GIT_OBJECT_TREE,
					    iname, ilen, idir);
		if (cmp < 0) {
			if (staged_deleted(w, te) < 0)
				return -1;
			t++;
			continue;
		}

		/* the entries of this name: its stages, or all below it */
		for (k = j + 1; k < hi; k++)
			if (idir ? strncmp(ix->e[k].path, ix->e[j].path,
					   plen + ilen + 1) :
				   !(ix->e[k].flags & TRY_INDEX_DUP))
				break;
		if (cmp > 0) {
			/* only in the index: staged additions */
			for (; j < k; j++)
				mark_staged(w->s, j);
			continue;
		}
		if (idir && staged_dir(w, te, j, k, node) < 0)
			return -1;
		if (!idir)
			staged_file(w, te, j);
		t++;
		j = k;
	}
	return 0;
}

/* Marks index entries that differ from HEAD, and counts HEAD's lost paths. */
static int find_staged(struct scan *s, struct found *f, struct head *h)
{
	struct ctx *c = s->c;
	const struct try_index *ix = s->ix;
	struct staged_walk w = { s, f, TRY_BUF_INIT };
	git_tree *tree = NULL;
	git_oid oid;
	uint32_t i;
	int ret = -1;

	if (h->unborn) {
		for (i = 0; i < ix->nr; i++)
			mark_staged(s, i);
		return 0;
	}
	if (h->tree_known && ix->ntree && ix->tree[0].count >= 0 &&
	    !memcmp(ix->tree[0].oid, h->tree, OID_RAWSZ))
		return 0;
	if (!h->tree_known && lib_head(c, h) < 0)
		return -1;
	if (h->unborn) {
		for (i = 0; i < ix->nr; i++)
			mark_staged(s, i);
		return 0;
	}
	if (ix->ntree && ix->tree[0].count >= 0 &&
	    !memcmp(ix->tree[0].oid, h->tree, OID_RAWSZ))
		return 0;
	if (lib_open(c) < 0)
		return -1;
	c->how |= TRY_AGE_HOW_TREE_WALK;
	memcpy(oid.id, h->tree, OID_RAWSZ);
	if (git_tree_lookup(&tree, c->repo, &oid) < 0) {
		try_error_from_git("cannot read the HEAD tree");
		goto done;
	}
	ret = staged_tree(&w, tree, 0, ix->nr, ix->ntree ? 0 : -1);
done:
	git_tree_free(tree);
	try_buf_release(&w.path);
	return ret;
}

/* ------------------------------------------------------------------ */
/* running git */

/*
 * Runs git with `argv` (without "git") in working tree `workdir`; its
 * standard output (and error, with `merge_err`) is appended to `out`.
 * With $GIT_DIR set git runs where we are, as the repository was found
 * from here (a relative $GIT_DIR would not survive a "-C").  Returns git's
 * exit code, or -1 with a message when it did not run.
 */
static int run_git(struct try_buf *out, int merge_err, const char *workdir,
		   const char *const *argv)
{
	struct try_run run = TRY_RUN_INIT;
	const char *args[32];
	int i, n = 0;

	if (!(getenv("GIT_DIR") && *getenv("GIT_DIR")) && workdir) {
		args[n++] = "-C";
		args[n++] = workdir;
	}
	for (i = 0; argv[i] && n < 31; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	run.argv = args;
	run.out = out;
	run.flags = TRY_RUN_GIT | (merge_err ? TRY_RUN_MERGE_ERR : 0);
	return try_run(&run);
}

/*
 * The fallback scan: `git status --porcelain -z`, for indexes this file
 * cannot read (split, sparse, a future version).  Takes no lock.  With
 * --no-renames a staged rename counts as two changes, as in the fast path.
 */
static int scan_with_git_status(struct ctx *c, struct found *f)
{
	const char *argv[] = {
		"--no-optional-locks", "status", "--porcelain", "-z",
		"--no-renames",
		c->set.show_untracked ? "--untracked-files=all" :
					"--untracked-files=no",
		"--ignore-submodules=all", NULL,
	};
	struct try_buf out = TRY_BUF_INIT;
	struct try_buf path = TRY_BUF_INIT;
	size_t off = 0;
	int rc, ret = -1;

	c->how |= TRY_AGE_HOW_GIT_STATUS;
	rc = run_git(&out, 0, c->workdir, argv);
	if (rc < 0)
		goto done;
	if (rc) {
		try_error_set("git status failed (exit %d)", rc);
		goto done;
	}
	while (off + 3 < out.len) {
		const char *rec = out.ptr + off;
		char x = rec[0], y = rec[1];
		const char *name = rec + 3;
		struct stat st;

		off += 3 + strlen(name) + 1;
		if (x == 'R' || x == 'C')
			off += strlen(out.ptr + off) + 1;
		f->changed++;
		if (x == '?')
			f->untracked++;
		else if (x == 'U' || y == 'U' || (x == 'A' && y == 'A') ||
			 (x == 'D' && y == 'D'))
			f->conflicted++;
		else {
			if (x != ' ')
				f->staged++;
			if (y == 'D')
				f->deleted++;
			else if (y != ' ')
				f->modified++;
		}
		if (!fstatat(c->rootfd, name, &st, AT_SYMLINK_NOFOLLOW))
			found_time(f, st.st_mtim.tv_sec, TRY_AGE_SOURCE_MTIME,
				   name, strlen(name));
		else
			found_gone(c, f, name);
	}
	ret = 0;
done:
	try_buf_release(&out);
	try_buf_release(&path);
	return ret;
}

/* ------------------------------------------------------------------ */
/* state: the stored "dirty since" time
 *
 *   since <epoch seconds>
 *   stash-top <id of refs/stash when recorded, or "none">
 * or, once the work went into a stash entry and the tree is clean:
 *   since <epoch seconds>
 *   stashed <id of that stash entry>
 */

struct state {
	int present;
	int64_t since;
	int stashed;                    /* 1: `oid` is the stash entry */
	int has_top;                    /* 1: `oid` is the stash top */
	unsigned char oid[OID_RAWSZ];
};

static void read_state(struct ctx *c, struct state *st)
{
	struct try_buf buf = TRY_BUF_INIT, path = TRY_BUF_INIT;
	const char *p;

	memset(st, 0, sizeof(*st));
	try_buf_addf(&path, "%s%s", c->gitdir, STATE_FILE);
	if (try_gitfast_read_file(&buf, AT_FDCWD, path.ptr) <= 0)
		goto done;
	for (p = buf.ptr; *p;) {
		const char *nl = strchr(p, '\n');

		if (!strncmp(p, "since ", 6)) {
			char *end;
			long long v = strtoll(p + 6, &end, 10);
			if (end != p + 6 && v > 0) {
				st->since = v;
				st->present = 1;
			}
		} else if (!strncmp(p, "stash-top ", 10)) {
			st->has_top = !try_gitfast_oid_parse(st->oid, p + 10);
		} else if (!strncmp(p, "stashed ", 8)) {
			st->stashed = !try_gitfast_oid_parse(st->oid, p + 8);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
done:
	try_buf_release(&buf);
	try_buf_release(&path);
}

static void write_state(struct ctx *c, int64_t since, const char *key,
			const unsigned char *oid)
{
	struct try_buf buf = TRY_BUF_INIT;
	char hex[OID_HEXSZ + 1];

	if (c->flags & TRY_AGE_NO_RECORD)
		return;
	if (oid)
		try_gitfast_oid_fmt(hex, oid);
	try_buf_addf(&buf, "since %lld\n%s %s\n", (long long)since, key,
		     oid ? hex : "none");
	write_gitdir_file(c, STATE_FILE, buf.ptr, buf.len);
	try_buf_release(&buf);
}

static void remove_state(struct ctx *c)
{
	struct try_buf path = TRY_BUF_INIT;

	if (c->flags & TRY_AGE_NO_RECORD)
		return;
	try_buf_addf(&path, "%s%s", c->gitdir, STATE_FILE);
	unlink(path.ptr);
	try_buf_release(&path);
}

/* Whether stash entry `oid` is still in the stash list. */
static int stash_has(struct ctx *c, const unsigned char *oid)
{
	struct try_buf buf = TRY_BUF_INIT, path = TRY_BUF_INIT;
	unsigned char top[OID_RAWSZ], id[OID_RAWSZ];
	const char *p;
	int found = 0;

	if (try_gitfast_ref(top, c->commondir, "refs/stash") == 1 &&
	    !memcmp(top, oid, OID_RAWSZ))
		return 1;
	try_buf_addf(&path, "%slogs/refs/stash", c->commondir);
	if (try_gitfast_read_file(&buf, AT_FDCWD, path.ptr) > 0) {
		for (p = buf.ptr; !found && *p;) {
			const char *nl = strchr(p, '\n');
			if (strlen(p) > 2 * OID_HEXSZ + 1 &&
			    !try_gitfast_oid_parse(id, p + OID_HEXSZ + 1) &&
			    !memcmp(id, oid, OID_RAWSZ))
				found = 1;
			if (!nl)
				break;
			p = nl + 1;
		}
	}
	try_buf_release(&buf);
	try_buf_release(&path);
	return found;
}

/*
 * Brings the stored time up to date with what the scan saw, and returns
 * it (0 when the tree is clean or nothing is stored).
 */
static int64_t update_state(struct ctx *c, const struct found *f)
{
	struct state st;
	unsigned char top[OID_RAWSZ];
	int has_top;
	int64_t start;

	read_state(c, &st);
	if (f->changed && st.present && !st.stashed)
		return st.since;
	if (!f->changed && !st.present)
		return 0;
	has_top = try_gitfast_ref(top, c->commondir, "refs/stash") == 1;
	if (f->changed) {
		if (st.present && !stash_has(c, st.oid)) {
			/* the stashed work came back */
			write_state(c, st.since, "stash-top",
				    has_top ? top : NULL);
			return st.since;
		}
		start = f->oldest < c->now ? f->oldest : c->now;
		write_state(c, start, "stash-top", has_top ? top : NULL);
		return start;
	}
	if (st.stashed) {
		if (!stash_has(c, st.oid))
			remove_state(c);
		return 0;
	}
	if (has_top && (!st.has_top || memcmp(top, st.oid, OID_RAWSZ))) {
		/* clean because the work went into a new stash entry */
		write_state(c, st.since, "stashed", top);
		return 0;
	}
	remove_state(c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* measure */

static void ctx_init(struct ctx *c, unsigned flags, const char *path)
{
	const char *now = getenv("TRY_TEST_NOW");

	memset(c, 0, sizeof(*c));
	c->flags = flags;
	c->open_path = path;
	c->rootfd = -1;
	c->now = now && *now ? strtoll(now, NULL, 10) : (int64_t)time(NULL);
	settings_init(&c->set);
}

static void ctx_reset_paths(struct ctx *c)
{
	free(c->workdir);
	free(c->gitdir);
	free(c->commondir);
	free(c->index_path);
	c->workdir = c->gitdir = c->commondir = c->index_path = NULL;
}

static void ctx_release(struct ctx *c)
{
	ctx_reset_paths(c);
	settings_release(&c->set);
	try_ignore_release(&c->ignore);
	if (c->rootfd >= 0)
		close(c->rootfd);
	if (c->own_repo)
		git_repository_free(c->repo);
	if (c->lib)
		git_libgit2_shutdown();
	memset(c, 0, sizeof(*c));
	c->rootfd = -1;
}

/* Files of gone directories are deleted, whatever their threads saw. */
static void settle_gone(struct scan *s)
{
	uint32_t d, k;

	for (d = 1; d < s->ndirs; d++)
		if (s->dirs[s->dirs[d].parent].gone || s->dirs[d].shadowed)
			s->dirs[d].gone = 1;
	for (d = 0; d < s->ndirs; d++) {
		if (!s->dirs[d].gone)
			continue;
		for (k = 0; k < s->dirs[d].file_nr; k++) {
			uint32_t i = s->files[s->dirs[d].file_first + k];
			const struct try_index_entry *e = &s->ix->e[i];

			s->mtime[i] = INT64_MIN;
			if (e->flags & (TRY_INDEX_VALID | TRY_INDEX_SKIP_WT))
				s->state[i] = ST_CLEAN;
			else
				s->state[i] = missing_state(e);
		}
	}
}

static void count_entries(struct scan *s, struct found *f)
{
	uint32_t i;

	for (i = 0; i < s->ix->nr; i++) {
		const struct try_index_entry *e = &s->ix->e[i];
		int st = s->state[i] & ~ST_STAGED;

		if (e->flags & TRY_INDEX_DUP)
			continue;
		if (st == ST_CLEAN && !(s->state[i] & ST_STAGED))
			continue;
		f->changed++;
		if (st == ST_MODIFIED)
			f->modified++;
		else if (st == ST_DELETED)
			f->deleted++;
		else if (st == ST_CONFLICT)
			f->conflicted++;
		if (s->state[i] & ST_STAGED)
			f->staged++;
		if (s->mtime[i] != INT64_MIN && st != ST_DELETED)
			found_time(f, s->mtime[i], TRY_AGE_SOURCE_MTIME,
				   e->path, e->pathlen);
		else
			found_gone(s->c, f, e->path);
	}
}

/* The scan proper, from the index to the counts. */
static int scan_tree(struct ctx *c, struct found *f)
{
	struct try_index ix;
	struct scan s;
	struct head h;
	struct try_buf path = TRY_BUF_INIT;
	uint32_t i;
	int ret = -1;

	memset(&s, 0, sizeof(s));
	memset(&h, 0, sizeof(h));
	if (*c->index_path)
		try_buf_adds(&path, c->index_path);
	else
		try_buf_addf(&path, "%sindex", c->gitdir);
	if (try_index_load(&ix, path.ptr) < 0)
		goto done;
	if (ix.unsupported) {
		ret = scan_with_git_status(c, f);
		goto done;
	}
	if ((c->repo || fast_head(c, &h) < 0) && lib_head(c, &h) < 0)
		goto done;
	c->have_ids = 1;
	c->index_id[0] = ix.size;
	c->index_id[1] = (uint64_t)ix.mtime_s;
	c->index_id[2] = (uint64_t)ix.mtime_ns;
	c->index_id[3] = ix.ino;
	if (h.commit_known)
		try_gitfast_oid_fmt(c->head_id, h.commit);
	else
		memcpy(c->head_id, "unborn", 7);

	s.c = c;
	s.ix = &ix;
	build_dirs(&s);
	s.state = try_xcalloc(ix.nr ? ix.nr : 1, 1);
	s.mtime = try_xmalloc((ix.nr ? ix.nr : 1) * sizeof(*s.mtime));
	for (i = 0; i < ix.nr; i++)
		s.mtime[i] = INT64_MIN;
	cache_load(&s);
	if (run_scan(&s) < 0)
		goto done;
	cache_store(&s);
	settle_gone(&s);
	if (check_contents(&s) < 0)
		goto done;
	if (c->set.show_untracked)
		settle_untracked(&s, f);
	if (find_staged(&s, f, &h) < 0)
		goto done;
	count_entries(&s, f);
	ret = 0;
done:
	if (s.dirs) {
		uint32_t d;
		for (d = 0; d < s.ndirs; d++)
			try_ignore_list_free(s.dirs[d].ignore);
	}
	scan_release(&s);
	try_index_release(&ix);
	try_buf_release(&path);
	return ret;
}

/* ------------------------------------------------------------------ */
/* last scan: what --prompt may reuse
 *
 * A prompt shows nothing under the first level, so a change made in the
 * last seconds cannot alter what it prints: only the end of a dirty spell
 * can, and that moves the index or HEAD (commit, stash, reset, checkout)
 * or touches a file that was changed (an editor's undo).  So a prompt may
 * answer from the last full scan when it is less than LAST_SCAN_TTL
 * seconds old, the index and HEAD are the same, and the changed paths it
 * recorded (the oldest first, up to 16) have the very same lstat data.
 * Anything else scans.  try/last-scan:
 *
 *   scanned <epoch>
 *   index <size> <mtime s> <mtime ns> <inode>
 *   head <commit id | unborn>
 *   counts <changed> <modified> <deleted> <staged> <untracked> <unmerged>
 *   oldest <epoch | -> <source>
 *   path <mtime s> <mtime ns> <ctime s> <ctime ns> <size> <inode> <path>
 *   gone <path>
 */

#define LAST_SCAN_FILE "try/last-scan"
#define LAST_SCAN_TTL 30

static void add_path_line(struct ctx *c, struct try_buf *buf,
			  const char *path)
{
	struct stat st;

	if (strchr(path, '\n'))
		return;
	if (fstatat(c->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		try_buf_addf(buf, "gone %s\n", path);
	else
		try_buf_addf(buf, "path %lld %ld %lld %ld %lld %llu %s\n",
			     (long long)st.st_mtim.tv_sec,
			     (long)st.st_mtim.tv_nsec,
			     (long long)st.st_ctim.tv_sec,
			     (long)st.st_ctim.tv_nsec,
			     (long long)st.st_size,
			     (unsigned long long)st.st_ino, path);
}

static void write_last_scan(struct ctx *c, const struct found *f)
{
	struct try_buf buf = TRY_BUF_INIT, old = TRY_BUF_INIT;
	struct try_buf path = TRY_BUF_INIT;
	const char *nl, *nl2;
	long long scanned;
	size_t i;

	if (!c->have_ids || *c->index_path || (c->flags & TRY_AGE_NO_RECORD))
		return;
	try_buf_addf(&buf, "scanned %lld\nindex %llu %llu %llu %llu\n"
		     "head %s\ncounts %zu %zu %zu %zu %zu %zu\n",
		     (long long)time(NULL),
		     (unsigned long long)c->index_id[0],
		     (unsigned long long)c->index_id[1],
		     (unsigned long long)c->index_id[2],
		     (unsigned long long)c->index_id[3], c->head_id,
		     f->changed, f->modified, f->deleted, f->staged,
		     f->untracked, f->conflicted);
	if (f->changed && f->oldest != INT64_MAX)
		try_buf_addf(&buf, "oldest %lld %d\n", (long long)f->oldest,
			     (int)f->source);
	else
		try_buf_addf(&buf, "oldest - 0\n");
	if (f->oldest_path)
		add_path_line(c, &buf, f->oldest_path);
	for (i = 0; i < f->nsample; i++)
		if (!f->oldest_path || strcmp(f->sample[i], f->oldest_path))
			add_path_line(c, &buf, f->sample[i]);

	/* the same answer, recorded recently: spare the write */
	try_buf_addf(&path, "%s%s", c->gitdir, LAST_SCAN_FILE);
	if (try_gitfast_read_file(&old, AT_FDCWD, path.ptr) > 0 &&
	    sscanf(old.ptr, "scanned %lld", &scanned) == 1 &&
	    (long long)time(NULL) - scanned < LAST_SCAN_TTL / 2 &&
	    (nl = strchr(old.ptr, '\n')) && (nl2 = strchr(buf.ptr, '\n')) &&
	    !strcmp(nl, nl2))
		goto done;
	write_gitdir_file(c, LAST_SCAN_FILE, buf.ptr, buf.len);
done:
	try_buf_release(&buf);
	try_buf_release(&old);
	try_buf_release(&path);
}

/*
 * Answers from try/last-scan when it still holds (see above): 1 with `f`
 * filled, 0 to scan.
 */
static int read_last_scan(struct ctx *c, struct found *f)
{
	struct try_buf buf = TRY_BUF_INIT, path = TRY_BUF_INIT;
	struct head h;
	struct stat st;
	char head_id[OID_HEXSZ + 1];
	unsigned long long id[4];
	long long scanned, t;
	int source, ok = 0, first = 1;
	char *line, *next;

	memset(&h, 0, sizeof(h));
	try_buf_addf(&path, "%s%s", c->gitdir, LAST_SCAN_FILE);
	if (try_gitfast_read_file(&buf, AT_FDCWD, path.ptr) <= 0)
		goto done;
	line = buf.ptr;
	if (sscanf(line, "scanned %lld\nindex %llu %llu %llu %llu\nhead %40s\n"
		   "counts %zu %zu %zu %zu %zu %zu\n", &scanned, &id[0], &id[1],
		   &id[2], &id[3], head_id, &f->changed, &f->modified,
		   &f->deleted, &f->staged, &f->untracked,
		   &f->conflicted) != 12)
		goto done;
	t = (long long)time(NULL);
	if (t < scanned || t - scanned >= LAST_SCAN_TTL)
		goto done;
	try_buf_reset(&path);
	try_buf_addf(&path, "%sindex", c->gitdir);
	if (stat(path.ptr, &st) < 0) {
		if (errno != ENOENT || id[0] || id[3])
			goto done;
	} else if (id[0] != (unsigned long long)st.st_size ||
		   id[1] != (unsigned long long)st.st_mtim.tv_sec ||
		   id[2] != (unsigned long long)st.st_mtim.tv_nsec ||
		   id[3] != (unsigned long long)st.st_ino) {
		goto done;
	}
	if (fast_head(c, &h) < 0)
		goto done;
	if (h.commit_known) {
		char hex[OID_HEXSZ + 1];
		try_gitfast_oid_fmt(hex, h.commit);
		if (strcmp(hex, head_id))
			goto done;
	} else if (strcmp(head_id, "unborn")) {
		goto done;
	}
	line = strstr(buf.ptr, "\noldest ");
	for (line = line ? line + 1 : NULL; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, "oldest ", 7)) {
			if (line[7] == '-')
				continue;
			if (sscanf(line + 7, "%lld %d", &t, &source) != 2)
				goto done;
			f->oldest = t;
			f->source = (enum try_age_source)source;
		} else if (!strncmp(line, "gone ", 5)) {
			if (!fstatat(c->rootfd, line + 5, &st,
				     AT_SYMLINK_NOFOLLOW))
				goto done;
			if (first && f->oldest != INT64_MAX)
				f->oldest_path = try_xstrdup(line + 5);
			first = 0;
		} else if (!strncmp(line, "path ", 5)) {
			long long ms, cs, size;
			long mns, cns;
			unsigned long long ino;
			int n = 0;

			if (sscanf(line + 5, "%lld %ld %lld %ld %lld %llu %n",
				   &ms, &mns, &cs, &cns, &size, &ino,
				   &n) != 6 || !n)
				goto done;
			if (fstatat(c->rootfd, line + 5 + n, &st,
				    AT_SYMLINK_NOFOLLOW) < 0 ||
			    st.st_mtim.tv_sec != ms ||
			    st.st_mtim.tv_nsec != mns ||
			    st.st_ctim.tv_sec != cs ||
			    st.st_ctim.tv_nsec != cns ||
			    st.st_size != size ||
			    (unsigned long long)st.st_ino != ino)
				goto done;
			if (first && f->oldest != INT64_MAX)
				f->oldest_path = try_xstrdup(line + 5 + n);
			first = 0;
		}
	}
	ok = 1;
done:
	try_buf_release(&buf);
	try_buf_release(&path);
	return ok;
}

static void fill_out(struct ctx *c, struct try_age *out,
		     struct found *f, int64_t stored)
{
	int64_t start;

	out->now = c->now;
	out->levels = c->levels;
	out->modified = f->modified;
	out->deleted = f->deleted;
	out->staged = f->staged;
	out->untracked = f->untracked;
	out->conflicted = f->conflicted;
	out->changed = f->changed;
	out->dirty_since = stored;
	if (f->changed) {
		start = f->oldest;
		out->source = f->source;
		if (stored && stored < start) {
			start = stored;
			out->source = TRY_AGE_SOURCE_DIRTY_SINCE;
		} else {
			out->oldest_path = f->oldest_path;
			f->oldest_path = NULL;
		}
		if (start > c->now) {
			/* a file from the future: it changed just now */
			start = c->now;
		}
		out->since = start;
		out->age = c->now - start;
	}
	out->level = try_age_level_for(&c->levels, out->age);
	out->workdir = try_xstrdup(c->workdir);
	out->gitdir = try_xstrdup(c->gitdir);
	out->commondir = try_xstrdup(c->commondir);
}

static int measure(struct ctx *c, struct try_age *out)
{
	struct found f;
	int ret = -1;

	memset(&f, 0, sizeof(f));
	f.oldest = INT64_MAX;
	if (try_age_parse_levels(&c->levels, c->set.levels) < 0)
		goto done;
	try_ignore_init(&c->ignore, c->commondir, c->set.excludes_file);
	c->rootfd = open(c->workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfd < 0) {
		try_error_set("cannot open the work tree '%s': %s", c->workdir,
			      strerror(errno));
		goto done;
	}
	if ((c->flags & TRY_AGE_PROMPT_CACHE) && !*c->index_path &&
	    read_last_scan(c, &f)) {
		struct state st;

		read_state(c, &st);
		fill_out(c, out, &f, f.changed && st.present ? st.since : 0);
		try_trace("age", "scan=last-scan");
		ret = 0;
		goto done;
	}
	found_release(&f);
	f.oldest = INT64_MAX;
	if (c->flags & TRY_AGE_USE_GIT_STATUS) {
		if (scan_with_git_status(c, &f) < 0)
			goto done;
	} else if (scan_tree(c, &f) < 0) {
		goto done;
	}
	fill_out(c, out, &f, update_state(c, &f));
	write_last_scan(c, &f);
	try_trace("age", "scan=%s libgit2=%s hashed=%s tree-walk=%s",
		  c->how & TRY_AGE_HOW_GIT_STATUS ? "git-status" : "index",
		  c->how & TRY_AGE_HOW_LIBGIT2 ? "yes" : "no",
		  c->how & TRY_AGE_HOW_HASHED ? "yes" : "no",
		  c->how & TRY_AGE_HOW_TREE_WALK ? "yes" : "no");
	ret = 0;
done:
	out->how = c->how;
	found_release(&f);
	return ret;
}

/* Sets `c` up through libgit2 (after the fast path gave up). */
static int lib_setup(struct ctx *c)
{
	ctx_reset_paths(c);
	settings_release(&c->set);
	if (lib_open(c) < 0 || lib_paths(c) < 0 || lib_config(c) < 0 ||
	    apply_config_parameters(&c->set) < 0)
		return -1;
	return 0;
}

int try_age_measure(struct try_age *out, const char *path, unsigned flags)
{
	struct ctx c;
	int r, ret = -1;

	memset(out, 0, sizeof(*out));
	ctx_init(&c, flags, path);
	r = fast_discover(&c);
	if (r == TRY_ENOTFOUND) {
		try_error_set("not a git repository (or any of the parent "
			      "directories): '%s'", path ? path : ".");
		ret = TRY_ENOTFOUND;
		goto done;
	}
	if (!r) {
		fast_config(&c);
		if (!c.set.bail && apply_config_parameters(&c.set) < 0)
			goto done;
	}
	if (r || c.set.bail || c.set.bare) {
		if (lib_setup(&c) < 0)
			goto done;
	}
	ret = measure(&c, out);
done:
	ctx_release(&c);
	return ret;
}

int try_age_measure_repo(struct try_age *out, git_repository *repo,
			 unsigned flags)
{
	struct ctx c;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	ctx_init(&c, flags, NULL);
	c.repo = repo;
	if (lib_paths(&c) < 0 || lib_config(&c) < 0 ||
	    apply_config_parameters(&c.set) < 0)
		goto done;
	ret = measure(&c, out);
done:
	ctx_release(&c);
	return ret;
}

void try_age_release(struct try_age *age)
{
	free(age->oldest_path);
	free(age->workdir);
	free(age->gitdir);
	free(age->commondir);
	memset(age, 0, sizeof(*age));
}

/* Removes the state files under `gitdir` (ending in '/'). */
static int clear_state(const char *gitdir)
{
	static const char *const files[] = { STATE_FILE, LAST_SCAN_FILE };
	struct try_buf path = TRY_BUF_INIT;
	size_t i;
	int ret = 0;

	for (i = 0; i < sizeof(files) / sizeof(*files) && !ret; i++) {
		try_buf_reset(&path);
		try_gitfast_add_dir(&path, gitdir);
		try_buf_adds(&path, files[i]);
		if (unlink(path.ptr) < 0 && errno != ENOENT) {
			try_error_set("cannot remove '%s': %s", path.ptr,
				      strerror(errno));
			ret = -1;
		}
	}
	try_buf_release(&path);
	return ret;
}

int try_age_clear_state(git_repository *repo)
{
	return clear_state(git_repository_path(repo));
}

int try_age_clear_state_at(const char *path)
{
	struct try_gitfast_repo fast = TRY_GITFAST_REPO_INIT;
	git_repository *repo = NULL;
	int ret = -1;

	/* the configuration only for what would make libgit2 refuse it */
	if (!try_gitfast_discover(&fast, path) &&
	    !try_gitfast_config_read(fast.commondir, NULL, NULL)) {
		ret = clear_state(fast.gitdir);
		goto done;
	}
	if (git_libgit2_init() < 0) {
		try_error_from_git("cannot initialise libgit2");
		goto done;
	}
	if (!try_repo_open(&repo, path, 0))
		ret = try_age_clear_state(repo);
	git_repository_free(repo);
	git_libgit2_shutdown();
done:
	try_gitfast_repo_release(&fast);
	return ret;
}

int try_age_stash(struct try_buf *output, const struct try_age *age)
{
	struct try_buf msg = TRY_BUF_INIT;
	unsigned char before[OID_RAWSZ], after[OID_RAWSZ];
	const char *argv[] = {
		"stash", "push", "--include-untracked", "-m", NULL, NULL,
	};
	int had, rc, ret = -1;

	if (!age->changed || !age->commondir) {
		try_error_set("nothing to stash: no uncommitted changes");
		return TRY_ENOTFOUND;
	}
	had = try_gitfast_ref(before, age->commondir, "refs/stash") == 1;
	try_buf_adds(&msg, "commit-age: ");
	try_age_format_duration(&msg, age->age);
	try_buf_adds(&msg, " of uncommitted work");
	argv[4] = msg.ptr;
	rc = run_git(output, 1, age->workdir, argv);
	if (rc < 0)
		goto done;
	if (rc) {
		try_error_set("git stash failed (exit %d)", rc);
		goto done;
	}
	if (try_gitfast_ref(after, age->commondir, "refs/stash") != 1 ||
	    (had && !memcmp(before, after, OID_RAWSZ))) {
		try_error_set("nothing to stash: git stash saved nothing");
		ret = TRY_ENOTFOUND;
		goto done;
	}
	ret = 0;
done:
	try_buf_release(&msg);
	return ret;
}
