#include "libtry/cockpit.h"
#include "libtry/buf.h"
#include "libtry/classify.h"
#include "libtry/config.h"
#include "libtry/deploy.h"
#include "libtry/error.h"
#include "libtry/events.h"
#include "libtry/http.h"
#include "libtry/journal.h"
#include "libtry/next.h"
#include "libtry/queue.h"
#include "libtry/repo.h"
#include "libtry/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Where issue 9's deploys keep what each environment runs. */
#define DEPLOYED_REFS "refs/lanes/deployed/"
/* lane index in the journal index: dark, config, code, all; -1 none */
#define LANE_SLOTS (TRY_HOLD_SCOPES + 1)

/* One journal line, as the timeline filters need it. */
struct jentry {
	uint64_t off;
	uint32_t len;
	int16_t type;   /* index into types */
	int16_t person; /* index into people */
	int8_t lane;    /* scope, or -1 */
};

struct pending {
	git_oid id;
	enum try_lane lane;
	int64_t time;
	char *subject;
	char *author;
};

struct try_cockpit {
	char *name;
	git_repository *repo;
	struct try_config cfg;
	struct try_cockpit_auth auth;
	struct try_classifier *classifier;
	char *journal;

	/* the journal index, read on from `joff` as the journal grows */
	struct jentry *entries;
	size_t nentries, aentries;
	uint64_t joff;
	ino_t jino;
	struct try_strlist types, people;
	size_t *totals; /* [type * LANE_SLOTS + lane + 1] */
	size_t atotals;

	/* pending commits, valid while `pending_key` describes the refs */
	struct try_buf pending_key;
	struct pending *pending;
	size_t npending, apending;
	int pending_more; /* more than TRY_COCKPIT_PENDING_MAX */
};

static void pending_clear(struct try_cockpit *c)
{
	size_t i;

	for (i = 0; i < c->npending; i++) {
		free(c->pending[i].subject);
		free(c->pending[i].author);
	}
	c->npending = 0;
	c->pending_more = 0;
}

void try_cockpit_free(struct try_cockpit *c)
{
	if (!c)
		return;
	pending_clear(c);
	free(c->pending);
	try_buf_release(&c->pending_key);
	free(c->entries);
	free(c->totals);
	try_strlist_release(&c->types);
	try_strlist_release(&c->people);
	free(c->journal);
	try_classifier_free(c->classifier);
	free(c->auth.user_header);
	try_strlist_release(&c->auth.proxies);
	try_config_release(&c->cfg);
	git_repository_free(c->repo);
	free(c->name);
	free(c);
}

static char *name_of(const char *path)
{
	size_t len = strlen(path), start;

	while (len > 1 && path[len - 1] == '/')
		len--;
	start = len;
	while (start > 0 && path[start - 1] != '/')
		start--;
	if (len - start > 4 && !strncmp(path + len - 4, ".git", 4))
		len -= 4;
	if (len == start)
		return try_xstrdup("repository");
	return try_xstrndup(path + start, len - start);
}

static int load_auth(struct try_cockpit_auth *out, git_repository *repo)
{
	git_config *cfg = NULL;
	int ret = -1;

	if (try_config_snapshot(&cfg, repo) < 0)
		return -1;
	if (try_config_get_string(&out->user_header, cfg,
				  "lanes.serveUserHeader") < 0 ||
	    try_config_get_bool(&out->trust_proxy, cfg,
				"lanes.serveTrustProxy") < 0 ||
	    try_config_get_multi(&out->proxies, cfg,
				 "lanes.serveProxyFrom") < 0)
		goto done;
	if (!out->proxies.nr) {
		try_strlist_add(&out->proxies, "127.0.0.1");
		try_strlist_add(&out->proxies, "::1");
	}
	ret = 0;
done:
	git_config_free(cfg);
	return ret;
}

int try_cockpit_open(struct try_cockpit **out, const char *path)
{
	struct try_cockpit *c = try_xcalloc(1, sizeof(*c));

	*out = NULL;
	c->name = name_of(path);
	try_buf_init(&c->pending_key);
	if (git_repository_open_ext(&c->repo, path,
				    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		try_error_from_git("cannot open repository");
		goto fail;
	}
	if (try_config_load(&c->cfg, c->repo) < 0 ||
	    load_auth(&c->auth, c->repo) < 0 ||
	    try_classifier_new(&c->classifier, c->repo, &c->cfg) < 0 ||
	    try_journal_path(&c->journal, c->repo, &c->cfg) < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	try_cockpit_free(c);
	return -1;
}

const char *try_cockpit_name(const struct try_cockpit *c)
{
	return c->name;
}

const struct try_cockpit_auth *try_cockpit_auth(const struct try_cockpit *c)
{
	return &c->auth;
}

/* ---- the journal index ---- */

static int16_t intern(struct try_strlist *list, const char *s)
{
	size_t i;

	for (i = 0; i < list->nr; i++)
		if (!strcmp(list->items[i], s))
			return (int16_t)i;
	if (list->nr >= INT16_MAX)
		return INT16_MAX - 1; /* shares the last slot; never fails */
	try_strlist_add(list, s);
	return (int16_t)(list->nr - 1);
}

static int lane_slot(const char *s)
{
	enum try_hold_scope scope;

	if (!s || try_hold_scope_parse(&scope, s) < 0)
		return -1;
	return (int)scope;
}

static void index_line(struct try_cockpit *c, const char *line, size_t len,
		       uint64_t off)
{
	json_t *o = json_loadb(line, len, 0, NULL);
	const char *type, *person;
	struct jentry *e;
	size_t t;

	if (!json_is_object(o)) {
		json_decref(o);
		return; /* `git lanes log` skips it too */
	}
	type = json_string_value(json_object_get(o, "type"));
	person = json_string_value(json_object_get(o, "pusher"));
	TRY_ARRAY_GROW(c->entries, c->nentries + 1, c->aentries);
	e = &c->entries[c->nentries++];
	e->off = off;
	e->len = (uint32_t)len;
	/* push events written before "type" existed are pushes */
	e->type = intern(&c->types, type ? type : "push");
	e->person = intern(&c->people, person ? person : "");
	e->lane = (int8_t)lane_slot(
		json_string_value(json_object_get(o, "lane")));
	json_decref(o);

	t = (size_t)e->type * LANE_SLOTS + (size_t)(e->lane + 1);
	if (t >= c->atotals) {
		size_t n = (c->types.nr + 8) * LANE_SLOTS;
		c->totals = try_xrealloc(c->totals, n * sizeof(*c->totals));
		memset(c->totals + c->atotals, 0,
		       (n - c->atotals) * sizeof(*c->totals));
		c->atotals = n;
	}
	c->totals[t]++;
}

static void index_reset(struct try_cockpit *c)
{
	c->nentries = 0;
	c->joff = 0;
	try_strlist_release(&c->types);
	try_strlist_release(&c->people);
	if (c->totals)
		memset(c->totals, 0, c->atotals * sizeof(*c->totals));
}

/*
 * Reads what was appended to the journal since the last call.  A journal
 * that was replaced or cut is read again from the start.
 */
static int index_update(struct try_cockpit *c)
{
	struct try_buf chunk = TRY_BUF_INIT;
	struct stat st;
	int fd, ret = -1;

	fd = open(c->journal, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			index_reset(c);
			return 0;
		}
		try_error_set("cannot open journal '%s': %s", c->journal,
			      strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		try_error_set("cannot stat journal '%s': %s", c->journal,
			      strerror(errno));
		goto done;
	}
	if (st.st_ino != c->jino || (uint64_t)st.st_size < c->joff) {
		index_reset(c);
		c->jino = st.st_ino;
	}
	while (c->joff < (uint64_t)st.st_size) {
		size_t want = (size_t)((uint64_t)st.st_size - c->joff), used;
		ssize_t got;
		char *p, *nl;

		if (want > (1 << 20))
			want = 1 << 20;
		try_buf_reset(&chunk);
		try_buf_grow(&chunk, want);
		got = pread(fd, chunk.ptr, want, (off_t)c->joff);
		if (got < 0) {
			try_error_set("cannot read journal '%s': %s",
				      c->journal, strerror(errno));
			goto done;
		}
		if (!got)
			break;
		chunk.len = (size_t)got; /* try_buf_setlen() only cuts */
		chunk.ptr[chunk.len] = '\0';
		p = chunk.ptr;
		while ((nl = memchr(p, '\n', chunk.len - (size_t)(p - chunk.ptr)))) {
			if (nl > p)
				index_line(c, p, (size_t)(nl - p),
					   c->joff + (uint64_t)(p - chunk.ptr));
			p = nl + 1;
		}
		used = (size_t)(p - chunk.ptr);
		if (!used) {
			/* a line still being written, or longer than a chunk */
			if ((size_t)got < (1 << 20))
				break;
			try_error_set("journal '%s': a line longer than 1 MiB",
				      c->journal);
			goto done;
		}
		c->joff += used;
	}
	ret = 0;
done:
	try_buf_release(&chunk);
	close(fd);
	return ret;
}

static int entry_matches(const struct try_cockpit *c, const struct jentry *e,
			 int lane, const char *type, const char *person)
{
	if (lane != -2 && e->lane != lane)
		return 0;
	if (type && strcmp(c->types.items[e->type], type))
		return 0;
	if (person && strcmp(c->people.items[e->person], person))
		return 0;
	return 1;
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

static int timeline(json_t *state, struct try_cockpit *c,
		    const struct try_cockpit_query *q)
{
	const char *type = q ? nonempty(q->type) : NULL;
	const char *person = q ? nonempty(q->person) : NULL;
	const char *lane_s = q ? nonempty(q->lane) : NULL;
	size_t page = q ? q->page : 0, skip, i;
	json_t *tl = json_object(), *events = json_array(), *f;
	struct try_buf line = TRY_BUF_INIT;
	int lane = -2, more = 0, fd = -1, ret = -1;

	json_object_set_new(state, "timeline", tl);
	json_object_set_new(tl, "events", events);
	json_object_set_new(tl, "page", json_integer((json_int_t)page));
	json_object_set_new(tl, "page_size",
			    json_integer(TRY_COCKPIT_PAGE_SIZE));
	f = json_object();
	json_object_set_new(tl, "filter", f);
	json_object_set_new(f, "lane", try_report_json_string(lane_s));
	json_object_set_new(f, "type", try_report_json_string(type));
	json_object_set_new(f, "person", try_report_json_string(person));
	if (lane_s && (lane = lane_slot(lane_s)) < 0)
		lane = -3; /* matches nothing */
	if (page > SIZE_MAX / TRY_COCKPIT_PAGE_SIZE)
		page = SIZE_MAX / TRY_COCKPIT_PAGE_SIZE;
	skip = page * TRY_COCKPIT_PAGE_SIZE;
	if (c->nentries) {
		fd = open(c->journal, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			try_error_set("cannot open journal '%s': %s",
				      c->journal, strerror(errno));
			goto done;
		}
	}
	for (i = c->nentries; i-- > 0;) {
		const struct jentry *e = &c->entries[i];
		json_t *ev;

		if (!entry_matches(c, e, lane, type, person))
			continue;
		if (skip) {
			skip--;
			continue;
		}
		if (json_array_size(events) == TRY_COCKPIT_PAGE_SIZE) {
			more = 1;
			break;
		}
		try_buf_reset(&line);
		try_buf_grow(&line, e->len);
		if (pread(fd, line.ptr, e->len, (off_t)e->off) !=
		    (ssize_t)e->len) {
			try_error_set("cannot read journal '%s'", c->journal);
			goto done;
		}
		ev = json_loadb(line.ptr, e->len, 0, NULL);
		if (json_is_object(ev)) {
			if (!json_object_get(ev, "type"))
				json_object_set_new(ev, "type",
						    json_string("push"));
			json_array_append_new(events, ev);
		} else {
			json_decref(ev);
		}
	}
	json_object_set_new(tl, "more", json_boolean(more));
	ret = 0;
done:
	if (fd >= 0)
		close(fd);
	try_buf_release(&line);
	return ret;
}

static void totals(json_t *state, const struct try_cockpit *c)
{
	json_t *arr = json_array(), *people = json_array();
	size_t t, l;

	for (t = 0; t < c->types.nr; t++) {
		for (l = 0; l < LANE_SLOTS; l++) {
			size_t n = c->totals[t * LANE_SLOTS + l];
			json_t *o;

			if (!n)
				continue;
			o = json_object();
			json_object_set_new(o, "type", try_report_json_string(
							       c->types.items[t]));
			json_object_set_new(o, "lane", json_string(
				l ? try_hold_scope_key(
					    (enum try_hold_scope)(l - 1)) :
				    "none"));
			json_object_set_new(o, "count",
					    json_integer((json_int_t)n));
			json_array_append_new(arr, o);
		}
	}
	for (t = 0; t < c->people.nr; t++)
		if (*c->people.items[t])
			json_array_append_new(people, try_report_json_string(
							      c->people.items[t]));
	json_object_set_new(state, "totals", arr);
	json_object_set_new(state, "people", people);
	json_object_set_new(state, "events", json_integer(
						      (json_int_t)c->nentries));
}

/* ---- pending commits ---- */

struct keyer {
	struct try_buf *key;
	git_revwalk *walk;
	git_repository *repo;
	int err;
};

/*
 * A deploy ref points at a record commit that names the trunk commit that
 * went live (deploy.h): that commit and its history are not pending.  The
 * config lane never passes a CODE commit, so what lies behind either
 * lane's deployed commit is live.
 */
static int add_deployed(const char *name, const git_oid *id, void *payload)
{
	struct keyer *k = payload;
	struct try_deploy d;
	git_commit *record = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	const git_oid *live = id;

	git_oid_tostr(hex, sizeof(hex), id);
	try_buf_addf(k->key, "%s %s\n", name, hex);
	if (!k->walk)
		return 0;
	memset(&d, 0, sizeof(d));
	if (git_commit_lookup(&record, k->repo, id) == 0 &&
	    try_deploy_parse(&d, record) == 0)
		live = &d.commit;
	git_error_clear();
	try_error_clear();
	if (git_revwalk_hide(k->walk, live) < 0)
		k->err = 1;
	git_commit_free(record);
	try_deploy_release(&d);
	return 0;
}

/* What pending commits are computed from: the trunk and the deploys. */
static int pending_key(struct try_buf *out, git_oid *trunk, int *has_trunk,
		       struct try_cockpit *c, git_revwalk *walk)
{
	struct keyer k = { out, walk, c->repo, 0 };
	char hex[GIT_OID_HEXSZ + 1];
	int r;

	r = try_repo_ref_commit(trunk, c->repo, c->cfg.trunk_ref);
	if (r < 0 && r != TRY_ENOTFOUND)
		return -1;
	*has_trunk = r == 0;
	try_buf_addf(out, "%s\n", *has_trunk ?
		     git_oid_tostr(hex, sizeof(hex), trunk) : "none");
	if (try_repo_foreach_ref_commit(c->repo, DEPLOYED_REFS, add_deployed,
					&k) < 0)
		return -1;
	if (k.err) {
		try_error_from_git("cannot walk the trunk");
		return -1;
	}
	return 0;
}

static int pending_update(struct try_cockpit *c)
{
	struct try_buf key = TRY_BUF_INIT;
	git_revwalk *walk = NULL;
	git_commit *commit = NULL;
	git_oid trunk, id;
	int has_trunk, ret = -1, r;

	if (pending_key(&key, &trunk, &has_trunk, c, NULL) < 0)
		goto done;
	if (c->pending_key.len && key.len == c->pending_key.len &&
	    !memcmp(key.ptr, c->pending_key.ptr, key.len)) {
		ret = 0;
		goto done;
	}
	pending_clear(c);
	try_buf_reset(&c->pending_key);
	if (!has_trunk)
		goto keep;
	try_buf_reset(&key);
	if (git_revwalk_new(&walk, c->repo) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_NONE) < 0 ||
	    git_revwalk_push(walk, &trunk) < 0) {
		try_error_from_git("cannot walk the trunk");
		goto done;
	}
	if (pending_key(&key, &trunk, &has_trunk, c, walk) < 0)
		goto done;
	while ((r = git_revwalk_next(&id, walk)) == 0) {
		struct try_commit_lane cl = TRY_COMMIT_LANE_INIT;
		const git_signature *a;
		struct try_buf b = TRY_BUF_INIT;
		struct pending *p;
		const char *s;

		if (c->npending == TRY_COCKPIT_PENDING_MAX) {
			c->pending_more = 1;
			break;
		}
		if (git_commit_lookup(&commit, c->repo, &id) < 0) {
			try_error_from_git("cannot read a trunk commit");
			goto done;
		}
		if (try_classify_commit(&cl, c->classifier, commit) < 0)
			goto done;
		TRY_ARRAY_GROW(c->pending, c->npending + 1, c->apending);
		p = &c->pending[c->npending++];
		p->id = id;
		p->lane = cl.lane;
		p->time = (int64_t)git_commit_time(commit);
		s = git_commit_summary(commit);
		p->subject = try_xstrdup(s ? s : "");
		a = git_commit_author(commit);
		try_buf_addf(&b, "%s <%s>", a->name, a->email);
		p->author = try_buf_detach(&b);
		try_commit_lane_release(&cl);
		git_commit_free(commit);
		commit = NULL;
	}
	if (r < 0 && r != GIT_ITEROVER) {
		try_error_from_git("cannot walk the trunk");
		goto done;
	}
keep:
	try_buf_add(&c->pending_key, key.ptr, key.len);
	ret = 0;
done:
	if (ret < 0)
		pending_clear(c);
	git_commit_free(commit);
	git_revwalk_free(walk);
	try_buf_release(&key);
	return ret;
}

static void iso_time(char *out, size_t n, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *hold_json(const struct try_hold *h)
{
	json_t *o = json_object();
	char when[32];

	iso_time(when, sizeof(when), h->since);
	json_object_set_new(o, "lane", json_string(try_hold_scope_key(h->scope)));
	json_object_set_new(o, "who", try_report_json_string(h->who));
	json_object_set_new(o, "reason", try_report_json_string(h->reason));
	json_object_set_new(o, "since", json_string(when));
	json_object_set_new(o, "since_epoch", json_integer(h->since));
	return o;
}

static int lanes_json(json_t *state, struct try_cockpit *c,
		      const struct try_holds *holds, int summary)
{
	json_t *lanes = json_array();
	char hex[GIT_OID_HEXSZ + 1], when[32];
	int l;
	size_t i;

	json_object_set_new(state, "lanes", lanes);
	for (l = 0; l < TRY_LANE_COUNT; l++) {
		json_t *o = json_object(), *commits = json_array();
		const struct try_hold *h =
			try_holds_blocking(holds, (enum try_lane)l);
		size_t n = 0;

		json_object_set_new(o, "lane",
				    json_string(try_lane_key((enum try_lane)l)));
		json_object_set_new(o, "held", json_boolean(h != NULL));
		json_object_set_new(o, "hold", h ? hold_json(h) : json_null());
		for (i = 0; i < c->npending; i++) {
			const struct pending *p = &c->pending[i];
			json_t *pc;

			if ((int)p->lane != l)
				continue;
			n++;
			if (summary)
				continue;
			pc = json_object();
			git_oid_tostr(hex, sizeof(hex), &p->id);
			iso_time(when, sizeof(when), p->time);
			json_object_set_new(pc, "id", json_string(hex));
			json_object_set_new(pc, "lane", json_string(
				try_lane_key(p->lane)));
			json_object_set_new(pc, "subject",
					    try_report_json_string(p->subject));
			json_object_set_new(pc, "author",
					    try_report_json_string(p->author));
			json_object_set_new(pc, "time", json_string(when));
			json_array_append_new(commits, pc);
		}
		json_object_set_new(o, "pending", json_integer((json_int_t)n));
		json_object_set_new(o, "commits", commits);
		json_array_append_new(lanes, o);
	}
	json_object_set_new(state, "pending_more",
			    json_boolean(c->pending_more));
	return 0;
}

static int webhooks_json(json_t *state, struct try_cockpit *c)
{
	struct try_spool_info *spools = NULL;
	size_t n = 0, i;
	json_t *arr = json_array();

	json_object_set_new(state, "webhooks", arr);
	if (!git_repository_is_bare(c->repo))
		return 0; /* a clone has no spool */
	if (try_spool_list(&spools, &n, c->repo, &c->cfg) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		json_t *o = json_object();
		char *shown = try_http_url_display(spools[i].url);

		json_object_set_new(o, "url", try_report_json_string(shown));
		json_object_set_new(o, "waiting",
				    json_integer((json_int_t)spools[i].waiting));
		json_object_set_new(o, "configured",
				    json_boolean(spools[i].configured));
		json_array_append_new(arr, o);
		free(shown);
	}
	try_spool_info_free(spools, n);
	return 0;
}

/* ---- deploys and the push train ---- */

static int add_env(const char *name, const git_oid *id, void *payload)
{
	struct try_strlist *envs = payload;
	const char *e = name + strlen(TRY_DEPLOY_REFS), *slash;
	char *env;
	size_t i;

	(void)id;
	if (strncmp(name, TRY_DEPLOY_REFS, strlen(TRY_DEPLOY_REFS)) ||
	    !(slash = strchr(e, '/')))
		return 0;
	env = try_xstrndup(e, (size_t)(slash - e));
	for (i = 0; i < envs->nr; i++)
		if (!strcmp(envs->items[i], env))
			break;
	if (i == envs->nr && try_deploy_env_valid(env))
		try_strlist_add(envs, env);
	free(env);
	return 0;
}

static json_t *oid_json(const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), id);
	return json_string(hex);
}

/* One lane of an environment: `rec`/`has` are [code, config]. */
static json_t *deploy_lane_json(struct try_cockpit *c, enum try_lane lane,
				const struct try_deploy *rec, const int *has,
				const git_oid *tip)
{
	struct try_buf t = TRY_BUF_INIT;
	struct try_next nx;
	json_t *o = json_object(), *d = json_null();
	int k = lane == TRY_LANE_CODE ? 0 : 1;

	json_object_set_new(o, "lane", json_string(try_lane_key(lane)));
	if (has[k]) {
		d = json_object();
		json_object_set_new(d, "commit", oid_json(&rec[k].commit));
		json_object_set_new(d, "by",
				    try_report_json_string(rec[k].who));
		try_report_add_time(&t, rec[k].when, 1);
		json_object_set_new(d, "at", json_string(t.ptr));
		json_object_set_new(d, "at_epoch",
				    json_integer((json_int_t)rec[k].when));
		json_object_set_new(d, "note",
				    try_report_json_string(rec[k].note));
		json_object_set_new(d, "rollback",
				    json_boolean(rec[k].rollback));
	}
	json_object_set_new(o, "deployed", d);
	try_buf_release(&t);
	if (!tip)
		return o;
	if (try_next_compute(&nx, c->repo, c->classifier, lane, tip,
			     has[0] ? &rec[0].commit : NULL,
			     has[1] ? &rec[1].commit : NULL) < 0) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "next", nx.has_next ? oid_json(&nx.next) :
			    json_null());
	json_object_set_new(o, "waiting", json_integer((json_int_t)nx.waiting));
	json_object_set_new(o, "shippable",
			    json_integer((json_int_t)nx.shippable));
	json_object_set_new(o, "stopped", json_boolean(nx.stopped));
	json_object_set_new(o, "why", nx.why ? json_string(nx.why) :
			    json_null());
	json_object_set_new(o, "stop_subject", nx.stop_subject ?
			    try_report_json_string(nx.stop_subject) :
			    json_null());
	try_next_release(&nx);
	return o;
}

/*
 * "deploys": per environment (lanes.defaultEnv and every environment with
 * a record), the record of each lane and what it can ship now (next.c).
 */
static int deploys_json(json_t *state, struct try_cockpit *c)
{
	static const enum try_lane lanes[2] = { TRY_LANE_CODE,
						TRY_LANE_CONFIG };
	struct try_strlist envs = TRY_STRLIST_INIT;
	json_t *arr = json_array();
	git_oid tip;
	size_t i;
	int k, r, has_tip, ret = -1;

	r = try_repo_ref_commit(&tip, c->repo, c->cfg.trunk_ref);
	if (r < 0 && r != TRY_ENOTFOUND)
		goto done;
	has_tip = r == 0;
	if (c->cfg.default_env)
		try_strlist_add(&envs, c->cfg.default_env);
	if (try_repo_foreach_ref_commit(c->repo, TRY_DEPLOY_REFS, add_env,
					&envs) < 0)
		goto done;
	for (i = 0; i < envs.nr; i++) {
		struct try_deploy rec[2];
		int has[2];
		json_t *e = json_object(), *jl = json_array(), *o;

		memset(rec, 0, sizeof(rec));
		json_object_set_new(e, "env",
				    try_report_json_string(envs.items[i]));
		json_object_set_new(e, "lanes", jl);
		json_array_append_new(arr, e);
		for (k = 0; k < 2; k++) {
			r = try_deploy_load(&rec[k], c->repo, TRY_DEPLOY_REFS,
					    envs.items[i], lanes[k]);
			has[k] = r == 0;
			if (r < 0 && r != TRY_ENOTFOUND)
				goto fail_env;
		}
		for (k = 0; k < 2; k++) {
			o = deploy_lane_json(c, lanes[k], rec,
					     has, has_tip ? &tip : NULL);
			if (!o)
				goto fail_env;
			json_array_append_new(jl, o);
		}
		try_deploy_release(&rec[0]);
		try_deploy_release(&rec[1]);
		continue;
fail_env:
		try_deploy_release(&rec[0]);
		try_deploy_release(&rec[1]);
		goto done;
	}
	ret = 0;
done:
	if (!ret)
		json_object_set_new(state, "deploys", arr);
	else
		json_decref(arr);
	try_strlist_release(&envs);
	return ret;
}

/*
 * "train": the push train of each lane that has one (queue.c's loaded
 * state, as try_queue_status_json() gives it) and its number of riders.
 */
static int train_json(json_t *state, struct try_cockpit *c,
		      const struct try_holds *holds)
{
	static const enum try_lane lanes[2] = { TRY_LANE_CODE,
						TRY_LANE_CONFIG };
	json_t *arr = json_array(), *o;
	size_t i, riders;
	int k;

	for (k = 0; k < 2; k++) {
		struct try_queue q;

		if (try_queue_load(&q, c->repo, &c->cfg, lanes[k], 0) < 0) {
			json_decref(arr);
			return -1;
		}
		o = try_queue_status_json(&q,
					  try_holds_blocking(holds, lanes[k]));
		for (i = riders = 0; i < q.nr; i++)
			riders += q.cars[i].nr;
		json_object_set_new(o, "riders", json_integer(
					    (json_int_t)riders));
		json_array_append_new(arr, o);
		try_queue_release(&q);
	}
	json_object_set_new(state, "train", arr);
	return 0;
}

int try_cockpit_state(json_t **out, struct try_cockpit *c,
		      const struct try_cockpit_query *q)
{
	struct try_holds holds = TRY_HOLDS_INIT;
	json_t *state = json_object(), *ha;
	char stamp[17];
	size_t i;

	*out = NULL;
	if (try_cockpit_stamp(stamp, c) < 0 ||
	    try_holds_load(&holds, c->repo, TRY_HOLD_REFS) < 0 ||
	    index_update(c) < 0 || pending_update(c) < 0)
		goto fail;
	json_object_set_new(state, "name", try_report_json_string(c->name));
	json_object_set_new(state, "trunk",
			    try_report_json_string(c->cfg.trunk_branch));
	json_object_set_new(state, "stamp", json_string(stamp));
	ha = json_array();
	for (i = 0; i < holds.nr; i++)
		json_array_append_new(ha, hold_json(&holds.items[i]));
	json_object_set_new(state, "holds", ha);
	if (lanes_json(state, c, &holds, q && q->summary) < 0 ||
	    (!(q && q->summary) && timeline(state, c, q) < 0) ||
	    webhooks_json(state, c) < 0 || deploys_json(state, c) < 0 ||
	    train_json(state, c, &holds) < 0)
		goto fail;
	totals(state, c);
	try_holds_release(&holds);
	*out = state;
	return 0;
fail:
	try_holds_release(&holds);
	json_decref(state);
	return -1;
}

/* ---- change detection ---- */

static void fnv(uint64_t *h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		*h ^= p[i];
		*h *= 0x100000001b3ULL;
	}
}

static int hash_ref(const char *name, const git_oid *id, void *payload)
{
	fnv(payload, name, strlen(name));
	fnv(payload, id->id, GIT_OID_RAWSZ);
	return 0;
}

int try_cockpit_stamp(char out[17], struct try_cockpit *c)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	struct try_spool_info *spools = NULL;
	struct stat st;
	git_oid trunk;
	size_t n = 0, i;

	if (try_repo_foreach_ref_commit(c->repo, TRY_LANES_REFS, hash_ref,
					&h) < 0)
		return -1;
	if (try_repo_ref_commit(&trunk, c->repo, c->cfg.trunk_ref) == 0)
		fnv(&h, trunk.id, GIT_OID_RAWSZ);
	if (stat(c->journal, &st) == 0) {
		fnv(&h, &st.st_size, sizeof(st.st_size));
		fnv(&h, &st.st_ino, sizeof(st.st_ino));
	}
	if (git_repository_is_bare(c->repo) &&
	    try_spool_list(&spools, &n, c->repo, &c->cfg) == 0) {
		for (i = 0; i < n; i++)
			fnv(&h, &spools[i].waiting, sizeof(spools[i].waiting));
		try_spool_info_free(spools, n);
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
	return 0;
}

/* ---- actions ---- */

int try_cockpit_hold(struct try_cockpit *c, const char *user,
		     enum try_hold_scope scope, const char *reason, int force)
{
	struct try_holds holds = TRY_HOLDS_INIT;
	struct try_buf b = TRY_BUF_INIT;
	git_oid id;
	size_t i;
	int ret = -1;

	if (!try_hold_may_hold(&c->cfg, user)) {
		try_error_set("'%s' may not hold lanes (lanes.holders)", user);
		return TRY_COCKPIT_EDENIED;
	}
	if (!reason || !reason[strspn(reason, " \t\r\n")]) {
		try_error_set("a hold needs a reason");
		return 1;
	}
	if (try_holds_load(&holds, c->repo, TRY_HOLD_REFS) < 0)
		goto done;
	for (i = 0; i < holds.nr && !force; i++) {
		if (holds.items[i].scope != scope)
			continue;
		try_buf_addf(&b, "%s is held already: ",
			     try_hold_scope_key(scope));
		try_hold_describe(&b, &holds.items[i]);
		try_error_set("%s", b.ptr);
		ret = 1;
		goto done;
	}
	if (try_hold_commit(&id, c->repo, scope, reason, user,
			    (int64_t)time(NULL)) < 0)
		goto done;
	ret = try_hold_set(c->repo, c->cfg.remote, scope, &id, force);
	if (ret == TRY_HOLD_EREJECTED)
		ret = 1;
done:
	try_buf_release(&b);
	try_holds_release(&holds);
	return ret;
}

int try_cockpit_release(struct try_cockpit *c, const char *user,
			enum try_hold_scope scope)
{
	int r;

	if (!try_hold_may_hold(&c->cfg, user)) {
		try_error_set("'%s' may not release lanes (lanes.holders)",
			      user);
		return TRY_COCKPIT_EDENIED;
	}
	r = try_hold_set(c->repo, c->cfg.remote, scope, NULL, 0);
	if (r == TRY_ENOTFOUND || r == TRY_HOLD_EREJECTED)
		return 1;
	return r;
}
