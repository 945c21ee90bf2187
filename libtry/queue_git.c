#include "libtry/queue.h"
#include "libtry/error.h"
#include "libtry/identity.h"
#include "libtry/events.h"
#include "libtry/hold.h"
#include "libtry/repo.h"
#include "libtry/report.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * The queue through git: reading and writing queue commits, the referee
 * of pushed queue changes, the events they make, and changing a queue from
 * a clone (fetch, apply, push with a lease, retry) or in the server's bare
 * repository (compare-and-swap).
 */

/* Lost races retried before giving up: 30 people joining at once each
 * lose at most 29 times. */
#define MAX_TRIES 64
/* A queue commit's time may be this far off the server's clock. */
#define MAX_SKEW 600

static int refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int refuse(const char *fmt, ...)
{
	struct try_buf b = TRY_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	try_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	try_error_set("%s", b.ptr);
	try_buf_release(&b);
	return TRY_QUEUE_EREFUSED;
}

int try_queue_is_holder(const struct try_config *cfg, const char *user)
{
	return cfg->holders.nr && user && try_hold_may_hold(cfg, user);
}

/* The queue file of commit `c`: its blob (caller frees). */
static int queue_blob(git_blob **out, git_repository *repo,
		      const git_commit *c)
{
	git_tree *tree = NULL;
	const git_tree_entry *e;
	int ret = TRY_QUEUE_EREFUSED;

	*out = NULL;
	if (git_commit_tree(&tree, c) < 0) {
		try_error_from_git("cannot read the queue's tree");
		return -1;
	}
	e = git_tree_entry_byindex(tree, 0);
	if (git_tree_entrycount(tree) != 1 || !e ||
	    strcmp(git_tree_entry_name(e), TRY_QUEUE_FILE) ||
	    git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		try_error_set("a queue commit holds one file, '%s'",
			      TRY_QUEUE_FILE);
		goto done;
	}
	if (git_blob_lookup(out, repo, git_tree_entry_id(e)) < 0) {
		try_error_from_git("cannot read the queue");
		ret = -1;
		goto done;
	}
	ret = 0;
done:
	git_tree_free(tree);
	return ret;
}

int try_queue_read(struct try_queue *out, git_repository *repo,
		   const git_oid *id, enum try_lane lane)
{
	git_commit *c = NULL;
	git_blob *blob = NULL;
	int ret;

	try_queue_init(out, lane);
	if (!id || try_oid_is_zero(id))
		return 0;
	if (git_commit_lookup(&c, repo, id) < 0) {
		git_object *o = NULL;
		if (git_object_lookup(&o, repo, id, GIT_OBJECT_ANY) == 0) {
			git_object_free(o);
			return refuse("a queue must be a commit");
		}
		try_error_from_git("cannot read the queue commit");
		return -1;
	}
	ret = queue_blob(&blob, repo, c);
	if (ret < 0)
		goto done;
	if ((size_t)git_blob_rawsize(blob) > TRY_QUEUE_MAX_BYTES) {
		ret = refuse("a queue of %lld bytes: at most %u",
			     (long long)git_blob_rawsize(blob),
			     TRY_QUEUE_MAX_BYTES);
		goto done;
	}
	ret = try_queue_parse(out, git_blob_rawcontent(blob),
			      (size_t)git_blob_rawsize(blob));
	if (ret == 0 && out->lane != lane)
		ret = refuse("a queue of lane %s in the %s queue",
			     try_lane_key(out->lane), try_lane_key(lane));
done:
	git_blob_free(blob);
	git_commit_free(c);
	return ret;
}

int try_queue_commit(git_oid *out, git_repository *repo,
		     const struct try_queue *q,
		     const struct try_queue_action *a, const git_oid *parent)
{
	struct try_buf text = TRY_BUF_INIT, msg = TRY_BUF_INIT;
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_commit *pc = NULL;
	git_tree *tree = NULL;
	git_oid blob, tree_id;
	int ret = -1;

	try_queue_serialise(&text, q);
	try_queue_action_message(&msg, q->lane, a);
	if (git_blob_create_from_buffer(&blob, repo, text.ptr, text.len) < 0 ||
	    git_treebuilder_new(&tb, repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, tb, TRY_QUEUE_FILE, &blob,
				   GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(&tree_id, tb) < 0 ||
	    git_tree_lookup(&tree, repo, &tree_id) < 0 ||
	    git_signature_new(&sig, a->actor, a->actor, (git_time_t)a->when,
			      0) < 0 ||
	    (parent && git_commit_lookup(&pc, repo, parent) < 0)) {
		try_error_from_git("cannot write the queue commit");
		goto done;
	}
	if (git_commit_create(out, repo, NULL, sig, sig, NULL, msg.ptr, tree,
			      pc ? 1 : 0, (const git_commit **)&pc) < 0) {
		try_error_from_git("cannot write the queue commit");
		goto done;
	}
	ret = 0;
done:
	git_commit_free(pc);
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	try_buf_release(&msg);
	try_buf_release(&text);
	return ret;
}

void try_queue_update_release(struct try_queue_update *up)
{
	try_queue_release(&up->old);
	try_queue_release(&up->new);
	try_buf_release(&up->store);
	try_queue_result_release(&up->result);
	memset(&up->action, 0, sizeof(up->action));
}

static int lane_of_ref(enum try_lane *out, const char *ref)
{
	const char *name = ref + strlen(TRY_QUEUE_REFS);

	if (strncmp(ref, TRY_QUEUE_REFS, strlen(TRY_QUEUE_REFS)) ||
	    try_queue_lane_parse(out, name) < 0)
		return refuse("no queue '%s': the queues are %scode and "
			      "%sconfig", name, TRY_QUEUE_REFS, TRY_QUEUE_REFS);
	return 0;
}

int try_queue_check(struct try_queue_update *out, git_repository *repo,
		    const struct try_config *cfg, const struct try_update *u,
		    const char *pusher, int held)
{
	struct try_buf want = TRY_BUF_INIT;
	git_commit *c = NULL;
	git_blob *blob = NULL;
	enum try_lane lane;
	int64_t now = (int64_t)time(NULL);
	int ret;

	memset(out, 0, sizeof(*out));
	try_buf_init(&out->store);
	if ((ret = lane_of_ref(&lane, u->ref)) < 0)
		return ret;
	try_queue_init(&out->old, lane);
	try_queue_init(&out->new, lane);
	if (try_oid_is_zero(&u->new)) {
		if (pusher && !try_queue_is_holder(cfg, pusher))
			return refuse("only lanes.holders delete a queue");
		return 0;
	}
	ret = try_queue_read(&out->old, repo, &u->old, lane);
	if (ret == TRY_QUEUE_EREFUSED) {
		ret = refuse("the %s queue on the server does not parse (%s): "
			     "a holder deletes it", try_lane_key(lane),
			     try_error_last());
		goto done;
	}
	if (ret < 0)
		goto done;
	if (git_commit_lookup(&c, repo, &u->new) < 0) {
		ret = refuse("a queue must be a commit");
		goto done;
	}
	if (try_oid_is_zero(&u->old) ? git_commit_parentcount(c) != 0 :
	    git_commit_parentcount(c) != 1 ||
	    !git_oid_equal(git_commit_parent_id(c, 0), &u->old)) {
		ret = refuse("a queue change is one commit on top of the "
			     "queue it changes");
		goto done;
	}
	ret = try_queue_action_parse(&out->action, &out->store,
				     git_commit_message(c));
	if (ret < 0)
		goto done;
	if (pusher && strcmp(out->action.actor, pusher)) {
		ret = refuse("the change is made as '%s' but you push as "
			     "'%s' (set lanes.user)", out->action.actor,
			     pusher);
		goto done;
	}
	if (out->action.when > now + MAX_SKEW ||
	    out->action.when < now - MAX_SKEW) {
		ret = refuse("the change's time is more than %d s off the "
			     "server's clock", MAX_SKEW);
		goto done;
	}
	if (try_queue_is_holder(cfg, out->action.actor))
		out->action.flags |= TRY_QUEUE_HOLDER;
	if (held)
		out->action.flags |= TRY_QUEUE_HELD;
	out->action.car_size = (size_t)cfg->car_size;
	try_queue_copy(&out->new, &out->old);
	ret = try_queue_apply(&out->new, &out->action, &out->result);
	if (ret < 0)
		goto done;
	try_queue_serialise(&want, &out->new);
	ret = queue_blob(&blob, repo, c);
	if (ret < 0)
		goto done;
	if ((size_t)git_blob_rawsize(blob) != want.len ||
	    memcmp(git_blob_rawcontent(blob), want.ptr, want.len)) {
		ret = refuse("the new queue is not what '%s' gives from the "
			     "old one (lanes.carSize is %d here)",
			     try_queue_verb_key(out->action.verb),
			     cfg->car_size);
		goto done;
	}
	ret = 0;
done:
	git_blob_free(blob);
	git_commit_free(c);
	try_buf_release(&want);
	return ret;
}

static int add_event(struct try_buf **lines, size_t *n, size_t *alloc,
		     git_repository *repo, const char *pusher,
		     const char *action, const char *user, const char *lane,
		     size_t car, const char *note, const char *text)
{
	json_t *o = NULL;
	const char *nl = text ? strchr(text, '\n') : NULL;
	char *line = text ? (nl ? try_xstrndup(text, (size_t)(nl - text)) :
			     try_xstrdup(text)) : NULL;
	int ret;

	if (try_event_object(&o, "queue", repo, pusher) < 0) {
		free(line);
		return -1;
	}
	json_object_set_new(o, "action", json_string(action));
	json_object_set_new(o, "user", try_report_json_string(user));
	json_object_set_new(o, "lane", json_string(lane));
	json_object_set_new(o, "car", json_integer((json_int_t)car));
	if (note && *note)
		json_object_set_new(o, "note", try_report_json_string(note));
	if (line)
		json_object_set_new(o, "text", try_report_json_string(line));
	free(line);
	TRY_ARRAY_GROW(*lines, *n + 1, *alloc);
	try_buf_init(&(*lines)[*n]);
	ret = try_event_object_dump(&(*lines)[*n], o);
	if (ret == 0)
		(*n)++;
	return ret;
}

/* The line of `text` (try_queue_describe()) that starts with `prefix`. */
static const char *line_with(const char *text, const char *prefix)
{
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, prefix, strlen(prefix)))
			return p;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int try_queue_events(struct try_buf **lines, size_t *n, git_repository *repo,
		     const char *pusher, const struct try_queue_update *up)
{
	const struct try_queue_action *a = &up->action;
	const struct try_queue_result *r = &up->result;
	const char *lane = try_lane_key(up->new.lane);
	struct try_buf text = TRY_BUF_INIT;
	size_t alloc = *n;
	int ret = -1;

	if (!a->actor)
		return 0; /* a queue deleted by a holder */
	try_queue_describe(&text, &up->new, a, r);
	if (add_event(lines, n, &alloc, repo, pusher, try_queue_verb_key(a->verb),
		      a->user ? a->user : a->actor, lane, r->car, a->note,
		      text.ptr) < 0)
		goto done;
	if (r->done_car &&
	    add_event(lines, n, &alloc, repo, pusher, "next",
		      try_queue_driver(&up->new), lane, up->new.nr ? 1 : 0,
		      NULL, line_with(text.ptr, "car (")) < 0)
		goto done;
	if (r->deploy &&
	    add_event(lines, n, &alloc, repo, pusher, "deploy",
		      try_queue_driver(&up->new), lane, 1, NULL,
		      line_with(text.ptr, "car 1 (")) < 0)
		goto done;
	ret = 0;
done:
	try_buf_release(&text);
	return ret;
}

/* Changing a queue. */

static void queue_ref(struct try_buf *out, git_repository *repo,
		      const struct try_config *cfg, enum try_lane lane)
{
	if (git_repository_is_bare(repo))
		try_buf_addf(out, "%s%s", TRY_QUEUE_REFS, try_lane_key(lane));
	else
		try_buf_addf(out, "%s%s/%s", TRY_QUEUE_REMOTE_REFS, cfg->remote,
			     try_lane_key(lane));
}

/* The commit a ref points at; zero when there is no such ref. */
static int ref_id(git_oid *out, git_repository *repo, const char *ref)
{
	git_reference *r = NULL;
	int error = git_reference_lookup(&r, repo, ref);

	memset(out, 0, sizeof(*out));
	if (error == GIT_ENOTFOUND)
		return 0;
	if (error < 0 || !git_reference_target(r)) {
		git_reference_free(r);
		try_error_from_git(ref);
		return -1;
	}
	git_oid_cpy(out, git_reference_target(r));
	git_reference_free(r);
	return 0;
}

/* Fetches the queues and the holds of `remote`, one `git fetch`. */
static int fetch_lanes(git_repository *repo, const char *remote)
{
	struct try_buf q = TRY_BUF_INIT, h = TRY_BUF_INIT, err = TRY_BUF_INIT;
	const char *args[] = { "fetch", "--quiet", "--prune", "--no-tags",
			       "--no-write-fetch-head", remote, NULL, NULL,
			       NULL };
	int code;

	try_buf_addf(&q, "+%s*:%s%s/*", TRY_QUEUE_REFS, TRY_QUEUE_REMOTE_REFS,
		     remote);
	try_buf_addf(&h, "+%s*:%s%s/*", TRY_HOLD_REFS, TRY_HOLD_REMOTE_REFS,
		     remote);
	args[6] = q.ptr;
	args[7] = h.ptr;
	code = try_repo_git(repo, args, &err);
	if (code > 0) {
		try_buf_rtrim(&err);
		try_error_set("cannot fetch the queues of '%s': %s", remote,
			      err.len ? err.ptr : "git fetch failed");
	}
	try_buf_release(&q);
	try_buf_release(&h);
	try_buf_release(&err);
	return code ? -1 : 0;
}

static int lane_held(int *out, git_repository *repo,
		     const struct try_config *cfg, enum try_lane lane)
{
	struct try_holds holds = TRY_HOLDS_INIT;
	struct try_buf prefix = TRY_BUF_INIT;
	int ret;

	if (git_repository_is_bare(repo))
		try_buf_adds(&prefix, TRY_HOLD_REFS);
	else
		try_buf_addf(&prefix, "%s%s/", TRY_HOLD_REMOTE_REFS,
			     cfg->remote);
	ret = try_holds_load(&holds, repo, prefix.ptr);
	*out = ret == 0 && try_holds_blocking(&holds, lane) != NULL;
	try_holds_release(&holds);
	try_buf_release(&prefix);
	return ret;
}

int try_queue_load(struct try_queue *out, git_repository *repo,
		   const struct try_config *cfg, enum try_lane lane,
		   int fetch)
{
	struct try_buf ref = TRY_BUF_INIT;
	git_oid id;
	int ret = -1;

	try_queue_init(out, lane);
	if (fetch && !git_repository_is_bare(repo) &&
	    fetch_lanes(repo, cfg->remote) < 0)
		goto done;
	queue_ref(&ref, repo, cfg, lane);
	if (ref_id(&id, repo, ref.ptr) < 0)
		goto done;
	ret = try_queue_read(out, repo, &id, lane);
done:
	try_buf_release(&ref);
	return ret;
}

/* The lines of git's stderr that carry the server's reasons. */
static void server_reasons(struct try_buf *out, const char *err)
{
	const char *p = err;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len > 13 && !strncmp(p, "remote: try: ", 13) &&
		    memmem(p, len, "rejected", 8)) {
			const char *r = memmem(p, len, "rejected: ", 10);
			if (out->len)
				try_buf_adds(out, "; ");
			if (r)
				try_buf_add(out, r + 10,
					    len - (size_t)(r + 10 - p));
			else
				try_buf_add(out, p + 13, len - 13);
		}
		p += len + (nl ? 1 : 0);
	}
	try_buf_rtrim(out);
}

static int push_queue(git_repository *repo, const struct try_config *cfg,
		      enum try_lane lane, const git_oid *old,
		      const git_oid *new)
{
	struct try_buf lease = TRY_BUF_INIT, spec = TRY_BUF_INIT,
		       err = TRY_BUF_INIT, why = TRY_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	const char *args[] = { "push", "--quiet", "--no-verify", cfg->remote,
			       NULL, NULL, NULL };
	int code, ret = -1;

	git_oid_tostr(hex, sizeof(hex), old);
	try_buf_addf(&lease, "--force-with-lease=%s%s:%s", TRY_QUEUE_REFS,
		     try_lane_key(lane), try_oid_is_zero(old) ? "" : hex);
	git_oid_tostr(hex, sizeof(hex), new);
	try_buf_addf(&spec, "%s:%s%s", hex, TRY_QUEUE_REFS, try_lane_key(lane));
	args[4] = lease.ptr;
	args[5] = spec.ptr;
	code = try_repo_git(repo, args, &err);
	if (code == 0) {
		ret = 0;
	} else if (code > 0) {
		server_reasons(&why, err.ptr);
		if (why.len) {
			try_error_set("the server refused: %s", why.ptr);
			ret = TRY_QUEUE_EREFUSED;
		} else if (strstr(err.ptr, "stale info") ||
			   strstr(err.ptr, "fetch first") ||
			   strstr(err.ptr, "failed to update ref") ||
			   strstr(err.ptr, "cannot lock ref") ||
			   strstr(err.ptr, "failed to lock") ||
			   strstr(err.ptr, "incorrect old value")) {
			ret = TRY_QUEUE_ERACE;
		} else {
			try_buf_rtrim(&err);
			try_error_set("cannot push the %s queue to '%s': %s",
				      try_lane_key(lane), cfg->remote,
				      err.len ? err.ptr : "git push failed");
		}
	}
	try_buf_release(&why);
	try_buf_release(&err);
	try_buf_release(&spec);
	try_buf_release(&lease);
	return ret;
}

static int record_events(git_repository *repo, const struct try_config *cfg,
			 const struct try_queue *old,
			 const struct try_queue *new,
			 const struct try_queue_action *a,
			 const struct try_queue_result *r)
{
	struct try_queue_update up;
	struct try_buf *lines = NULL;
	size_t n = 0, i;
	int ret;

	memset(&up, 0, sizeof(up));
	up.old = *old;
	up.new = *new;
	up.action = *a;
	up.result = *r;
	ret = try_queue_events(&lines, &n, repo, a->actor, &up);
	if (ret == 0 && n)
		ret = try_events_record(repo, cfg, lines, n, NULL, NULL);
	for (i = 0; i < n; i++)
		try_buf_release(&lines[i]);
	free(lines);
	return ret;
}

/* uh-oh stops the train: a hold on the lane, unless it is held already. */
static int uhoh_hold(git_repository *repo, const struct try_config *cfg,
		     enum try_lane lane, const struct try_queue_action *a,
		     int held)
{
	char *who = NULL;
	git_oid id;
	int ret;

	if (held)
		return 0;
	try_hold_who(&who, repo);
	ret = try_hold_commit(&id, repo, (enum try_hold_scope)lane, a->note,
			      who, a->when);
	free(who);
	if (ret < 0)
		return ret;
	ret = try_hold_set(repo, cfg->remote, (enum try_hold_scope)lane, &id,
			   0);
	if (ret == TRY_HOLD_EREJECTED)
		return refuse("uh-oh: cannot hold the %s lane: %s",
			      try_lane_key(lane), try_error_last());
	return ret;
}

/*
 * After a lost race: a random pause that doubles with every try up to 2 s,
 * so that many people joining at once spread out instead of all fetching
 * and pushing again together.
 */
static void backoff(unsigned attempt)
{
	unsigned cap = 50u << (attempt < 6 ? attempt : 6);
	unsigned ms = (unsigned)rand() % (cap < 2000 ? cap : 2000) + 10;
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

int try_queue_change(struct try_queue *out, struct try_queue_result *res,
		     git_repository *repo, const struct try_config *cfg,
		     enum try_lane lane, struct try_queue_action *a)
{
	struct try_queue old, new;
	struct try_queue_result r = TRY_QUEUE_RESULT_INIT;
	struct try_buf ref = TRY_BUF_INIT, remote_ref = TRY_BUF_INIT;
	int bare = git_repository_is_bare(repo), held = 0, hold_done = 0;
	int stamp, fetched;
	git_oid old_id, new_id;
	unsigned attempt;
	int ret = -1;

	try_queue_init(&old, lane);
	try_queue_init(&new, lane);
	if ((ret = try_queue_action_check(a)) < 0)
		return ret;
	stamp = !a->when;
	a->car_size = (size_t)cfg->car_size;
	if (try_queue_is_holder(cfg, a->actor))
		a->flags |= TRY_QUEUE_HOLDER;
	srand((unsigned)getpid() ^ (unsigned)time(NULL));
	try_buf_addf(&ref, "%s%s", TRY_QUEUE_REFS, try_lane_key(lane));
	queue_ref(&remote_ref, repo, cfg, lane);

	for (attempt = 0; attempt < MAX_TRIES; attempt++) {
		try_queue_release(&old);
		try_queue_release(&new);
		try_queue_result_release(&r);
		if (stamp) /* each try is a new change, made now */
			a->when = (int64_t)time(NULL);
		/*
		 * The first try trusts the queue as last fetched: the lease
		 * makes a stale one fail the push, and then we fetch.  So a
		 * change costs one push when nobody else moved the queue.
		 * uh-oh fetches first: it must see the holds as they are.
		 */
		fetched = !bare && (attempt > 0 || a->verb == TRY_QUEUE_UHOH);
		if (fetched && fetch_lanes(repo, cfg->remote) < 0)
			goto done;
		if (ref_id(&old_id, repo, remote_ref.ptr) < 0 ||
		    lane_held(&held, repo, cfg, lane) < 0)
			goto done;
		ret = try_queue_read(&old, repo, &old_id, lane);
		if (ret < 0)
			goto done;
		a->flags &= ~(unsigned)TRY_QUEUE_HELD;
		if (held)
			a->flags |= TRY_QUEUE_HELD;
		try_queue_copy(&new, &old);
		ret = try_queue_apply(&new, a, &r);
		if (ret == TRY_QUEUE_EREFUSED && !bare && !fetched)
			continue; /* perhaps only our copy says no */
		if (a->verb == TRY_QUEUE_UHOH && !hold_done) {
			/* the hold first: stopping the train matters most */
			int hret = uhoh_hold(repo, cfg, lane, a, held);
			if (hret < 0) {
				ret = hret;
				goto done;
			}
			hold_done = 1;
		}
		if (ret < 0)
			goto done;
		ret = -1;
		if (try_queue_commit(&new_id, repo, &new, a,
				     try_oid_is_zero(&old_id) ? NULL :
				     &old_id) < 0)
			goto done;
		if (bare) {
			git_reference *gr = NULL;
			int error = git_reference_create_matching(
				&gr, repo, ref.ptr, &new_id,
				!try_oid_is_zero(&old_id),
				try_oid_is_zero(&old_id) ? NULL : &old_id,
				"git lanes queue");
			git_reference_free(gr);
			if (error == GIT_EMODIFIED || error == GIT_EEXISTS ||
			    error == GIT_ELOCKED) {
				git_error_clear();
				backoff(attempt);
				continue;
			}
			if (error < 0) {
				try_error_from_git(ref.ptr);
				goto done;
			}
			if (record_events(repo, cfg, &old, &new, a, &r) < 0)
				goto done;
		} else {
			git_reference *gr = NULL;

			ret = push_queue(repo, cfg, lane, &old_id, &new_id);
			if (ret == TRY_QUEUE_ERACE) {
				backoff(attempt);
				continue;
			}
			if (ret < 0)
				goto done;
			ret = -1;
			/* keep the clone's copy current */
			if (git_reference_create(&gr, repo, remote_ref.ptr,
						 &new_id, 1,
						 "git lanes queue") < 0) {
				try_error_from_git(remote_ref.ptr);
				goto done;
			}
			git_reference_free(gr);
		}
		ret = 0;
		break;
	}
	if (attempt == MAX_TRIES) {
		try_error_set("the %s queue kept moving: gave up after %d "
			      "tries", try_lane_key(lane), MAX_TRIES);
		ret = -1;
	}
done:
	if (ret == 0 && out) {
		*out = new;
		try_queue_init(&new, lane);
	}
	if (ret == 0 && res) {
		*res = r;
		memset(&r, 0, sizeof(r));
	}
	try_queue_result_release(&r);
	try_queue_release(&old);
	try_queue_release(&new);
	try_buf_release(&ref);
	try_buf_release(&remote_ref);
	return ret;
}

int try_queue_deployed(git_repository *repo, const struct try_config *cfg,
		       enum try_lane lane, const char *user)
{
	struct try_queue_action a;

	memset(&a, 0, sizeof(a));
	a.verb = TRY_QUEUE_DEPLOYED;
	a.actor = user;
	return try_queue_change(NULL, NULL, repo, cfg, lane, &a);
}

void try_queue_whoami(char **out, git_repository *repo,
		      const struct try_config *cfg)
{
	git_config *config = NULL;
	struct try_buf key = TRY_BUF_INIT;
	char *url = NULL;
	const char *p, *at, *colon;

	*out = NULL;
	if (cfg->user && *cfg->user) {
		*out = try_xstrdup(cfg->user);
		return;
	}
	/*
	 * The remote's URL from config, not git_remote_lookup(): libgit2 1.5
	 * leaks a regex match per config entry in that lookup.
	 */
	if (!git_repository_is_bare(repo) &&
	    git_repository_config_snapshot(&config, repo) == 0) {
		try_buf_addf(&key, "remote.%s.pushurl", cfg->remote);
		if (try_config_get_string(&url, config, key.ptr) < 0 || !url) {
			try_buf_reset(&key);
			try_buf_addf(&key, "remote.%s.url", cfg->remote);
			free(url);
			url = NULL;
			if (try_config_get_string(&url, config, key.ptr) < 0) {
				free(url);
				url = NULL;
			}
		}
	}
	if (url && (p = strstr(url, "://")) != NULL) {
		p += 3;
		at = strchr(p, '@');
		if (at && at < p + strcspn(p, "/")) {
			colon = memchr(p, ':', (size_t)(at - p));
			*out = try_xstrndup(p, colon ? (size_t)(colon - p) :
						       (size_t)(at - p));
		}
	}
	free(url);
	try_buf_release(&key);
	git_config_free(config);
	git_error_clear();
	try_error_clear();
	if (!*out)
		try_identity_pusher(out, cfg);
}
