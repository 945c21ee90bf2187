/*
 * Past tries in <commondir>/try/: one JSON record and one patch per try.
 * The records are read back as outside input (bounded, every field
 * checked); see tryhist.h.
 */
#include "libtry/tryhist.h"
#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/fs.h"
#include "libtry/report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void try_tryhist_record_release(struct try_tryhist_record *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->base);
	free(r->branch);
	free(r->backend);
	free(r->patch_id);
	free(r->reason);
	free(r->command);
	free(r->again_of);
	try_ci_result_release(&r->res);
	memset(r, 0, sizeof(*r));
}

enum try_ci_state try_tryhist_state(const struct try_tryhist_record *r)
{
	return try_ci_result_state(&r->res);
}

void try_tryhist_list_release(struct try_tryhist_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		try_tryhist_record_release(&l->items[i]);
	free(l->items);
	try_strlist_release(&l->warnings);
	memset(l, 0, sizeof(*l));
}

int try_tryhist_dir(char **out, git_repository *repo)
{
	const char *common = git_repository_commondir(repo);
	struct try_buf b = TRY_BUF_INIT;

	*out = NULL;
	if (!common) {
		try_error_set("no git directory");
		return -1;
	}
	try_buf_adds(&b, common);
	if (b.len && b.ptr[b.len - 1] != '/')
		try_buf_addch(&b, '/');
	try_buf_adds(&b, "try");
	*out = try_buf_detach(&b);
	return 0;
}

/* A name safe as a file name: [A-Za-z0-9._-], not starting with '.'. */
static int valid_id(const char *id)
{
	const char *p;

	if (!id || !*id || *id == '.' || strlen(id) > 100)
		return 0;
	for (p = id; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') ||
		      ('0' <= *p && *p <= '9') || *p == '.' || *p == '_' ||
		      *p == '-'))
			return 0;
	return 1;
}

static int is_hex40(const char *s)
{
	size_t i;

	for (i = 0; i < GIT_OID_HEXSZ; i++)
		if (!s[i] || !strchr("0123456789abcdef", s[i]))
			return 0;
	return !s[i];
}

/* --- writing --------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
	return try_report_json_string(s);
}

void try_tryhist_format(struct try_buf *out,
			const struct try_tryhist_record *r)
{
	json_t *o = json_object(), *jobs = json_array();
	char *dump;
	size_t i;

	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "id", str_or_null(r->id));
	json_object_set_new(o, "time", json_integer(r->time));
	json_object_set_new(o, "end", json_integer(r->end));
	json_object_set_new(o, "base", str_or_null(r->base));
	json_object_set_new(o, "branch", str_or_null(r->branch));
	json_object_set_new(o, "backend", str_or_null(r->backend));
	json_object_set_new(o, "patch_id", str_or_null(r->patch_id));
	json_object_set_new(o, "patch_bytes",
			    json_integer((json_int_t)r->patch_bytes));
	json_object_set_new(o, "files", json_integer((json_int_t)r->files));
	json_object_set_new(o, "reason", str_or_null(r->reason));
	json_object_set_new(o, "command", str_or_null(r->command));
	json_object_set_new(o, "again_of", str_or_null(r->again_of));
	json_object_set_new(o, "result",
			    json_string(try_ci_state_word(
				    try_tryhist_state(r))));
	json_object_set_new(o, "url", str_or_null(r->res.url));
	for (i = 0; i < r->res.nr; i++) {
		const struct try_ci_job *j = &r->res.jobs[i];
		json_t *jo = json_object();

		json_object_set_new(jo, "name", str_or_null(j->name));
		json_object_set_new(jo, "state",
				    json_string(try_ci_state_word(j->state)));
		json_object_set_new(jo, "url", str_or_null(j->url));
		json_object_set_new(jo, "detail", str_or_null(j->detail));
		json_object_set_new(jo, "step", str_or_null(j->step));
		json_object_set_new(jo, "log", str_or_null(j->log));
		json_object_set_new(jo, "log_url", str_or_null(j->log_url));
		json_object_set_new(jo, "handle", str_or_null(j->handle));
		json_array_append_new(jobs, jo);
	}
	json_object_set_new(o, "jobs", jobs);
	dump = json_dumps(o, JSON_COMPACT);
	if (dump)
		try_buf_adds(out, dump);
	free(dump);
	json_decref(o);
}

/* `dir`/`name` whole or not at all: a temporary file renamed into place. */
static int write_file(const char *dir, const char *name, const char *data,
		      size_t len)
{
	struct try_buf path = TRY_BUF_INIT;
	int ret;

	try_buf_addf(&path, "%s/%s", dir, name);
	ret = try_fs_write_atomic(path.ptr, data, len, 0666);
	try_buf_release(&path);
	return ret;
}

static int cmp_name_desc(const void *a, const void *b)
{
	return -strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ids of the records in `dir` (file names "<id>.json"), newest first. */
static int list_ids(struct try_strlist *out, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		if (errno == ENOENT)
			return 0;
		try_error_set("cannot read '%s': %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char *id;

		if (n <= 5 || strcmp(e->d_name + n - 5, ".json"))
			continue;
		id = try_xstrndup(e->d_name, n - 5);
		if (valid_id(id))
			try_strlist_add(out, id);
		free(id);
	}
	closedir(d);
	if (out->nr)
		qsort(out->items, out->nr, sizeof(*out->items),
		      cmp_name_desc);
	return 0;
}

static void remove_record(const char *dir, const char *id)
{
	struct try_buf p = TRY_BUF_INIT;

	try_buf_addf(&p, "%s/%s.patch", dir, id);
	unlink(p.ptr);
	try_buf_reset(&p);
	try_buf_addf(&p, "%s/%s.json", dir, id);
	unlink(p.ptr);
	try_buf_release(&p);
}

int try_tryhist_save(const char *dir, const struct try_tryhist_record *r,
		     const char *patch, size_t len, size_t keep)
{
	struct try_buf text = TRY_BUF_INIT, name = TRY_BUF_INIT;
	struct try_strlist ids = { NULL, 0, 0 };
	size_t i;
	int ret = -1;

	if (!valid_id(r->id)) {
		try_error_set("bad try id '%s'", r->id ? r->id : "");
		goto done;
	}
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		try_error_set("cannot create '%s': %s", dir, strerror(errno));
		goto done;
	}
	if (patch) {
		try_buf_addf(&name, "%s.patch", r->id);
		if (write_file(dir, name.ptr, patch, len) < 0)
			goto done;
	}
	try_tryhist_format(&text, r);
	try_buf_addch(&text, '\n');
	try_buf_reset(&name);
	try_buf_addf(&name, "%s.json", r->id);
	if (write_file(dir, name.ptr, text.ptr, text.len) < 0)
		goto done;
	if (keep && list_ids(&ids, dir) == 0)
		for (i = keep; i < ids.nr; i++)
			remove_record(dir, ids.items[i]);
	try_error_clear();
	ret = 0;
done:
	try_strlist_release(&ids);
	try_buf_release(&text);
	try_buf_release(&name);
	return ret;
}

/* --- reading --------------------------------------------------------- */

/* A string field, or NULL: -1 when it is there but not a string. */
static int get_str(char **out, const json_t *o, const char *key, int required)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (!required)
			return 0;
		try_error_set("'%s' is missing", key);
		return -1;
	}
	if (!json_is_string(v)) {
		try_error_set("'%s' is not a string", key);
		return -1;
	}
	*out = try_xstrndup(json_string_value(v), json_string_length(v));
	return 0;
}

static int get_int(long long *out, const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		try_error_set("'%s' is not a count", key);
		return -1;
	}
	*out = (long long)json_integer_value(v);
	return 0;
}

static int parse_job(struct try_ci_result *res, const json_t *jo)
{
	struct try_ci_job *j;
	char *name = NULL, *state = NULL;
	int ret = -1;

	if (!json_is_object(jo)) {
		try_error_set("a job is not an object");
		return -1;
	}
	if (get_str(&name, jo, "name", 1) < 0 ||
	    get_str(&state, jo, "state", 1) < 0)
		goto done;
	j = try_ci_result_add(res, name);
	if (try_ci_state_from_word(&j->state, state) < 0) {
		try_error_set("job '%s': unknown state '%s'", name, state);
		goto done;
	}
	if (get_str(&j->url, jo, "url", 0) < 0 ||
	    get_str(&j->detail, jo, "detail", 0) < 0 ||
	    get_str(&j->step, jo, "step", 0) < 0 ||
	    get_str(&j->log, jo, "log", 0) < 0 ||
	    get_str(&j->log_url, jo, "log_url", 0) < 0 ||
	    get_str(&j->handle, jo, "handle", 0) < 0)
		goto done;
	ret = 0;
done:
	free(name);
	free(state);
	return ret;
}

int try_tryhist_parse(struct try_tryhist_record *out, const char *id,
		      const char *text, size_t len)
{
	json_error_t jerr;
	json_t *o, *jobs, *jo;
	long long n;
	size_t i;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o) {
		try_error_set("not JSON: %s (line %d)", jerr.text, jerr.line);
		return -1;
	}
	if (!json_is_object(o)) {
		try_error_set("not a JSON object");
		goto done;
	}
	if (get_int(&n, o, "version") < 0)
		goto done;
	if (n != 1) {
		try_error_set("unknown version %lld", n);
		goto done;
	}
	if (get_str(&out->id, o, "id", 1) < 0)
		goto done;
	if (strcmp(out->id, id)) {
		try_error_set("its id is not its file name");
		goto done;
	}
	if (get_int(&out->time, o, "time") < 0 ||
	    get_int(&out->end, o, "end") < 0 ||
	    get_str(&out->base, o, "base", 1) < 0 ||
	    get_str(&out->branch, o, "branch", 0) < 0 ||
	    get_str(&out->backend, o, "backend", 1) < 0 ||
	    get_str(&out->patch_id, o, "patch_id", 1) < 0 ||
	    get_str(&out->reason, o, "reason", 0) < 0 ||
	    get_str(&out->command, o, "command", 0) < 0 ||
	    get_str(&out->again_of, o, "again_of", 0) < 0 ||
	    get_str(&out->res.url, o, "url", 0) < 0)
		goto done;
	if (!is_hex40(out->base) || !is_hex40(out->patch_id)) {
		try_error_set("'base' or 'patch_id' is not a 40-hex id");
		goto done;
	}
	if (get_int(&n, o, "patch_bytes") < 0)
		goto done;
	out->patch_bytes = (size_t)n;
	if (get_int(&n, o, "files") < 0)
		goto done;
	out->files = (size_t)n;
	jobs = json_object_get(o, "jobs");
	if (!json_is_array(jobs) ||
	    json_array_size(jobs) > TRY_TRYHIST_MAX_JOBS) {
		try_error_set("'jobs' is not a list of at most %d",
			      TRY_TRYHIST_MAX_JOBS);
		goto done;
	}
	json_array_foreach(jobs, i, jo) {
		if (parse_job(&out->res, jo) < 0)
			goto done;
	}
	ret = 0;
done:
	json_decref(o);
	return ret;
}

int try_tryhist_load(struct try_tryhist_list *out, const char *dir,
		     size_t max)
{
	struct try_strlist ids = { NULL, 0, 0 };
	struct try_buf path = TRY_BUF_INIT, text = TRY_BUF_INIT;
	size_t i;

	if (list_ids(&ids, dir) < 0)
		return -1;
	for (i = 0; i < ids.nr && (!max || out->nr < max); i++) {
		struct try_tryhist_record r;
		struct try_buf w = TRY_BUF_INIT;

		memset(&r, 0, sizeof(r));
		try_buf_reset(&path);
		try_buf_reset(&text);
		try_buf_addf(&path, "%s/%s.json", dir, ids.items[i]);
		if (try_buf_read_file(&text, path.ptr,
				      TRY_TRYHIST_MAX_RECORD) < 0 ||
		    try_tryhist_parse(&r, ids.items[i], text.ptr,
				      text.len) < 0) {
			if (text.len >= TRY_TRYHIST_MAX_RECORD)
				try_error_set("larger than %u bytes",
					      TRY_TRYHIST_MAX_RECORD);
			try_buf_addf(&w, "skipped the record '%s': ",
				     path.ptr);
			try_report_add_safe(&w, try_error_last(),
					    strlen(try_error_last()), 200);
			try_strlist_add(&out->warnings, w.ptr);
			try_buf_release(&w);
			try_tryhist_record_release(&r);
			continue;
		}
		TRY_ARRAY_GROW(out->items, out->nr + 1, out->alloc);
		out->items[out->nr++] = r;
	}
	try_error_clear();
	try_strlist_release(&ids);
	try_buf_release(&path);
	try_buf_release(&text);
	return 0;
}

int try_tryhist_find(size_t *out, const struct try_tryhist_list *l,
		     const char *sel)
{
	size_t i, found = 0, n = 0;
	char *end;
	unsigned long k;

	if (!l->nr) {
		try_error_set("no tries recorded yet");
		return -1;
	}
	if (!sel || !*sel)
		sel = "1";
	k = strtoul(sel, &end, 10);
	if (*sel != '-' && *sel != '+' && end != sel && !*end) {
		if (k < 1 || k > l->nr) {
			try_error_set("no try %s: %zu recorded (1 is the "
				      "newest)", sel, l->nr);
			return -1;
		}
		*out = k - 1;
		return 0;
	}
	for (i = 0; i < l->nr; i++) {
		if (!strncmp(l->items[i].id, sel, strlen(sel))) {
			found = i;
			n++;
		}
	}
	if (n == 1) {
		*out = found;
		return 0;
	}
	try_error_set(n ? "'%s' names more than one try" :
		      "no try '%s' recorded", sel);
	return -1;
}

int try_tryhist_patch_id(char out[GIT_OID_HEXSZ + 1], const char *patch,
			 size_t len)
{
	git_oid oid;

	if (git_odb_hash(&oid, patch, len, GIT_OBJECT_BLOB) < 0) {
		try_error_from_git("cannot hash the patch");
		return -1;
	}
	git_oid_tostr(out, GIT_OID_HEXSZ + 1, &oid);
	return 0;
}

int try_tryhist_read_patch(struct try_buf *out, const char *dir,
			   const struct try_tryhist_record *r)
{
	struct try_buf path = TRY_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	int ret = -1;

	if (!valid_id(r->id)) {
		try_error_set("bad try id");
		return -1;
	}
	try_buf_addf(&path, "%s/%s.patch", dir, r->id);
	if (access(path.ptr, F_OK) < 0 && !r->patch_bytes) {
		ret = 0; /* an empty try keeps no patch file */
		goto done;
	}
	if (try_buf_read_file(out, path.ptr, 0) < 0)
		goto done;
	if (try_tryhist_patch_id(hex, out->ptr, out->len) < 0)
		goto done;
	if (strcmp(hex, r->patch_id)) {
		try_error_set("the patch of %s has changed since it was sent "
			      "('%s')", r->id, path.ptr);
		goto done;
	}
	ret = 0;
done:
	try_buf_release(&path);
	return ret;
}
