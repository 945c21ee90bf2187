#include "libtry/lanespolicy.h"
#include "libtry/error.h"
#include "libtry/gitfast.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const key_names[TRY_LANES_KEYS] = {
	"lanes.config", "lanes.darkPattern", "lanes.strictDark",
	"trunk.allowMerges",
};

const char *try_lanes_key_name(enum try_lanes_key k)
{
	return (unsigned)k < TRY_LANES_KEYS ? key_names[k] : "?";
}

void try_lanes_file_release(struct try_lanes_file *f)
{
	size_t i;

	for (i = 0; i < TRY_LANES_KEYS; i++)
		try_strlist_release(&f->values[i]);
	memset(f, 0, sizeof(*f));
}

static int is_key_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-';
}

/* The value after '=': quotes, escapes, comments, trimmed; -1 on error. */
static int parse_value(struct try_buf *out, const char *p, const char *end,
		       const char **why)
{
	int quoted = 0;
	size_t keep = 0; /* length up to the last byte that is not blank */

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (; p < end; p++) {
		char c = *p;

		if (c == '"') {
			quoted = !quoted;
			keep = out->len;
			continue;
		}
		if (!quoted && (c == '#' || c == ';'))
			break;
		if (c == '\\') {
			if (++p >= end) {
				*why = "line continuation is not supported";
				return -1;
			}
			switch (*p) {
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			default:
				*why = "unknown escape";
				return -1;
			}
			try_buf_addch(out, c);
			keep = out->len;
			continue;
		}
		try_buf_addch(out, c);
		if (quoted || (c != ' ' && c != '\t'))
			keep = out->len;
	}
	if (quoted) {
		*why = "unterminated quote";
		return -1;
	}
	try_buf_setlen(out, keep);
	return 0;
}

static int find_key(const char *section, const char *name, size_t nlen)
{
	size_t i, slen = strlen(section);

	for (i = 0; i < TRY_LANES_KEYS; i++) {
		const char *k = key_names[i];
		if (!strncasecmp(k, section, slen) && k[slen] == '.' &&
		    strlen(k + slen + 1) == nlen &&
		    !strncasecmp(k + slen + 1, name, nlen))
			return (int)i;
	}
	return -1;
}

static int file_error(size_t lineno, const char *why, const char *what,
		      size_t wlen)
{
	if (what)
		try_error_set("%s line %zu: %s '%.*s'", TRY_LANES_FILE, lineno,
			      why, (int)(wlen > 60 ? 60 : wlen), what);
	else
		try_error_set("%s line %zu: %s", TRY_LANES_FILE, lineno, why);
	return -1;
}

int try_lanes_file_parse(struct try_lanes_file *out, const char *text,
			 size_t len)
{
	const char *p = text, *end = text + len;
	char section[16] = "";
	size_t lineno = 0;
	struct try_buf value = TRY_BUF_INIT;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (len > TRY_LANES_FILE_MAX) {
		try_error_set("%s is %zu bytes, more than the %d a policy may "
			      "have", TRY_LANES_FILE, len, TRY_LANES_FILE_MAX);
		return -1;
	}
	if (memchr(text, '\0', len)) {
		try_error_set("%s is binary (a NUL byte), not git-config text",
			      TRY_LANES_FILE);
		return -1;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *q = p, *name;
		const char *why = NULL;
		size_t nlen;
		int k;

		lineno++;
		p = nl ? nl + 1 : end;
		if (le > q && le[-1] == '\r')
			le--;
		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		if (q == le || *q == '#' || *q == ';')
			continue;
		if (*q == '[') {
			const char *s = ++q;
			while (q < le && is_key_char(*q))
				q++;
			if (q == le || *q != ']') {
				ret = file_error(lineno, q < le && *q == ' ' ?
						 "no subsections here:" :
						 "bad section header", s - 1,
						 (size_t)(le - s + 1));
				goto done;
			}
			if ((size_t)(q - s) >= sizeof(section) ||
			    (strncasecmp(s, "lanes", 5) &&
			     strncasecmp(s, "trunk", 5)) || q - s != 5) {
				ret = file_error(lineno, "unknown section",
						 s, (size_t)(q - s));
				goto done;
			}
			memcpy(section, s, (size_t)(q - s));
			section[q - s] = '\0';
			for (q++; q < le && (*q == ' ' || *q == '\t'); q++)
				;
			if (q < le && *q != '#' && *q != ';') {
				ret = file_error(lineno, "text after the section "
						 "header", q, (size_t)(le - q));
				goto done;
			}
			continue;
		}
		name = q;
		while (q < le && is_key_char(*q))
			q++;
		nlen = (size_t)(q - name);
		if (!nlen) {
			ret = file_error(lineno, "not a key", name,
					 (size_t)(le - name));
			goto done;
		}
		if (!*section) {
			ret = file_error(lineno, "key outside a section", name,
					 nlen);
			goto done;
		}
		k = find_key(section, name, nlen);
		if (k < 0) {
			struct try_buf full = TRY_BUF_INIT;
			try_buf_addf(&full, "%s.%.*s", section, (int)nlen, name);
			ret = file_error(lineno, "unknown key", full.ptr,
					 full.len);
			try_buf_release(&full);
			goto done;
		}
		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		try_buf_reset(&value);
		if (q < le && *q == '=') {
			if (parse_value(&value, q + 1, le, &why) < 0) {
				ret = file_error(lineno, why, NULL, 0);
				goto done;
			}
		} else if (q < le && *q != '#' && *q != ';') {
			ret = file_error(lineno, "expected '=' after", name,
					 nlen);
			goto done;
		} else {
			try_buf_adds(&value, "true"); /* "key" alone */
		}
		switch ((enum try_lanes_key)k) {
		case TRY_LANES_KEY_STRICT_DARK:
		case TRY_LANES_KEY_ALLOW_MERGES:
			if (try_gitfast_parse_bool(value.ptr) < 0) {
				ret = file_error(lineno, "not a boolean",
						 value.ptr, value.len);
				goto done;
			}
			try_strlist_release(&out->values[k]);
			break;
		case TRY_LANES_KEY_DARK_PATTERN:
			try_strlist_release(&out->values[k]);
			/* fall through */
		case TRY_LANES_KEY_CONFIG:
			if (!value.len) {
				ret = file_error(lineno, "empty value for",
						 key_names[k],
						 strlen(key_names[k]));
				goto done;
			}
			break;
		default:
			break;
		}
		try_strlist_add(&out->values[k], value.ptr);
		out->set[k] = 1;
	}
	ret = 0;
done:
	try_buf_release(&value);
	return ret;
}

void try_lanespolicy_release(struct try_lanespolicy *p)
{
	free(p->source);
	free(p->error);
	memset(p, 0, sizeof(*p));
}

/* The blob of .lanes in `commit`'s tree: 1 found, 0 none, -1 refused. */
static int read_file(struct try_buf *out, git_repository *repo,
		     const git_oid *commit)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_blob *blob = NULL;
	const git_tree_entry *e;
	int ret = 0;

	if (git_commit_lookup(&c, repo, commit) < 0 ||
	    git_commit_tree(&tree, c) < 0) {
		try_error_from_git("cannot read the trunk");
		ret = -1;
		goto done;
	}
	e = git_tree_entry_byname(tree, TRY_LANES_FILE);
	if (!e)
		goto done;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
	    git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
		try_error_set("%s is not a regular file", TRY_LANES_FILE);
		ret = -1;
		goto done;
	}
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0) {
		try_error_from_git(TRY_LANES_FILE);
		ret = -1;
		goto done;
	}
	if (git_blob_rawsize(blob) > TRY_LANES_FILE_MAX) {
		try_error_set("%s is %lld bytes, more than the %d a policy may "
			      "have", TRY_LANES_FILE,
			      (long long)git_blob_rawsize(blob),
			      TRY_LANES_FILE_MAX);
		ret = -1;
		goto done;
	}
	try_buf_add(out, git_blob_rawcontent(blob),
		    (size_t)git_blob_rawsize(blob));
	ret = 1;
done:
	git_blob_free(blob);
	git_tree_free(tree);
	git_commit_free(c);
	return ret;
}

/* 1 when git config sets `key` at any level. */
static int config_sets(git_config *snap, const char *key)
{
	git_config_entry *e = NULL;
	int found = git_config_get_entry(&e, snap, key) == 0;

	git_config_entry_free(e);
	git_error_clear();
	return found;
}

static void take(struct try_config *cfg, const struct try_lanes_file *f,
		 enum try_lanes_key k)
{
	const struct try_strlist *v = &f->values[k];
	const char *last = v->items[v->nr - 1];
	size_t i;

	switch (k) {
	case TRY_LANES_KEY_CONFIG:
		try_strlist_release(&cfg->config_globs);
		for (i = 0; i < v->nr; i++)
			try_strlist_add(&cfg->config_globs, v->items[i]);
		break;
	case TRY_LANES_KEY_DARK_PATTERN:
		free(cfg->dark_pattern);
		cfg->dark_pattern = try_xstrdup(last);
		break;
	case TRY_LANES_KEY_STRICT_DARK:
		cfg->strict_dark = try_gitfast_parse_bool(last);
		break;
	case TRY_LANES_KEY_ALLOW_MERGES:
		cfg->allow_merges = try_gitfast_parse_bool(last);
		break;
	default:
		break;
	}
}

int try_lanespolicy_apply(struct try_lanespolicy *out, struct try_config *cfg,
			  git_repository *repo, const git_oid *commit,
			  const char *rev)
{
	struct try_lanes_file f;
	struct try_buf text = TRY_BUF_INIT, src = TRY_BUF_INIT;
	git_config *snap = NULL;
	int ret = -1, found = 0;
	size_t k;

	memset(out, 0, sizeof(*out));
	memset(&f, 0, sizeof(f));
	if (try_config_snapshot(&snap, repo) < 0)
		goto done;
	for (k = 0; k < TRY_LANES_KEYS; k++)
		if (config_sets(snap, key_names[k]))
			out->origin[k] = TRY_LANES_FROM_CONFIG;
	if (commit)
		found = read_file(&text, repo, commit);
	try_buf_addf(&src, "%s:%s", rev ? rev : "?", TRY_LANES_FILE);
	if (found != 0)
		out->source = try_xstrdup(src.ptr);
	if (found > 0 && try_lanes_file_parse(&f, text.ptr, text.len) < 0)
		found = -1;
	if (found < 0) {
		out->error = try_xstrdup(try_error_last());
		ret = 0;
		goto done;
	}
	for (k = 0; k < TRY_LANES_KEYS; k++) {
		if (!f.set[k] || out->origin[k] == TRY_LANES_FROM_CONFIG)
			continue;
		take(cfg, &f, (enum try_lanes_key)k);
		out->origin[k] = TRY_LANES_FROM_FILE;
	}
	ret = 0;
done:
	try_lanes_file_release(&f);
	try_buf_release(&text);
	try_buf_release(&src);
	git_config_free(snap);
	return ret;
}

int try_lanespolicy_apply_client(struct try_lanespolicy *out,
				 struct try_config *cfg,
				 git_repository *repo)
{
	struct try_buf rev = TRY_BUF_INIT;
	git_object *obj = NULL;
	int ret;

	try_buf_addf(&rev, "refs/remotes/%s/%s", cfg->remote,
		     cfg->trunk_branch);
	if (git_revparse_single(&obj, repo, rev.ptr) < 0 ||
	    git_object_type(obj) != GIT_OBJECT_COMMIT) {
		git_object_free(obj);
		obj = NULL;
		try_buf_reset(&rev);
		try_buf_adds(&rev, "HEAD");
		if (git_revparse_single(&obj, repo, "HEAD^{commit}") < 0) {
			git_object_free(obj);
			obj = NULL;
		}
	}
	git_error_clear();
	ret = try_lanespolicy_apply(out, cfg, repo,
				    obj ? git_object_id(obj) : NULL, rev.ptr);
	git_object_free(obj);
	try_buf_release(&rev);
	return ret;
}

static void show_line(struct try_buf *out, const struct try_lanespolicy *p,
		      enum try_lanes_key k, const char *value)
{
	const char *o = p->origin[k] == TRY_LANES_FROM_CONFIG ? "git-config" :
			p->origin[k] == TRY_LANES_FROM_FILE ? p->source :
			"default";

	try_buf_addf(out, "%s\t%s=%s\n", o, key_names[k], value);
}

void try_lanespolicy_show(struct try_buf *out, const struct try_lanespolicy *p,
			  const struct try_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->config_globs.nr; i++)
		show_line(out, p, TRY_LANES_KEY_CONFIG,
			  cfg->config_globs.items[i]);
	show_line(out, p, TRY_LANES_KEY_DARK_PATTERN, cfg->dark_pattern);
	show_line(out, p, TRY_LANES_KEY_STRICT_DARK,
		  cfg->strict_dark ? "true" : "false");
	show_line(out, p, TRY_LANES_KEY_ALLOW_MERGES,
		  cfg->allow_merges ? "true" : "false");
}

static int warn_of(struct try_lanespolicy *p, char **warning)
{
	struct try_buf b = TRY_BUF_INIT;

	if (p->error) {
		try_buf_addf(&b, "%s ignored: %s; the policy of git config "
			     "holds", p->source ? p->source : TRY_LANES_FILE,
			     p->error);
		*warning = try_buf_detach(&b);
	}
	try_lanespolicy_release(p);
	return 0;
}

int try_lanespolicy_load_client(struct try_config *cfg, git_repository *repo,
				char **warning)
{
	struct try_lanespolicy p = TRY_LANESPOLICY_INIT;

	*warning = NULL;
	if (try_lanespolicy_apply_client(&p, cfg, repo) < 0) {
		try_lanespolicy_release(&p);
		return -1;
	}
	return warn_of(&p, warning);
}

int try_lanespolicy_load_at(struct try_config *cfg, git_repository *repo,
			    const git_oid *at, const char *rev,
			    char **warning)
{
	struct try_lanespolicy p = TRY_LANESPOLICY_INIT;

	*warning = NULL;
	if (try_lanespolicy_apply(&p, cfg, repo, at, rev) < 0) {
		try_lanespolicy_release(&p);
		return -1;
	}
	return warn_of(&p, warning);
}
