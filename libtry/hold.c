#include "libtry/hold.h"
#include "libtry/buf.h"
#include "libtry/config.h"
#include "libtry/error.h"
#include "libtry/repo.h"
#include "libtry/utf8.h"
#include "libtry/events.h"
#include "libtry/identity.h"
#include "libtry/report.h"

#include <errno.h>
#include <signal.h>
#include <jansson.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char *const scope_keys[TRY_HOLD_SCOPES] = {
	"dark", "config", "code", "all"
};

const char *try_hold_scope_key(enum try_hold_scope s)
{
	return (unsigned)s < TRY_HOLD_SCOPES ? scope_keys[s] : "?";
}

int try_hold_scope_parse(enum try_hold_scope *out, const char *s)
{
	int i;

	for (i = 0; i < TRY_HOLD_SCOPES; i++) {
		if (!strcasecmp(s, scope_keys[i])) {
			*out = (enum try_hold_scope)i;
			return 0;
		}
	}
	return -1;
}

void try_hold_release(struct try_hold *hold)
{
	free(hold->reason);
	free(hold->who);
	hold->reason = hold->who = NULL;
}

void try_holds_release(struct try_holds *holds)
{
	size_t i;

	for (i = 0; i < holds->nr; i++)
		try_hold_release(&holds->items[i]);
	free(holds->items);
	memset(holds, 0, sizeof(*holds));
}

/* The value of trailer `key` in `block` (lines "Key: value"), or NULL. */
static char *trailer(const char *block, size_t len, const char *key)
{
	size_t klen = strlen(key);
	const char *p = block, *end = block + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (l > klen && !strncasecmp(p, key, klen) && p[klen] == ':') {
			const char *v = p + klen + 1;
			while (v < p + l && *v == ' ')
				v++;
			return try_xstrndup(v, (size_t)(p + l - v));
		}
		p += l + 1;
	}
	return NULL;
}

static int is_trailer_block(const char *block, size_t len)
{
	static const char *const keys[] = { "Lanes-Hold:", "Held-By:",
					    "Held-Since:", "Claimed-By:",
					    NULL };
	const char *p = block, *end = block + len;
	int found = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p), i;
		int known = 0;

		for (i = 0; keys[i]; i++)
			if (l >= strlen(keys[i]) &&
			    !strncasecmp(p, keys[i], strlen(keys[i])))
				known = 1;
		if (l && !known)
			return 0;
		found |= known;
		p += l + 1;
	}
	return found;
}


static char *trimmed(const char *s, size_t len)
{
	while (len && (*s == '\n' || *s == ' ')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == '\n' || s[len - 1] == ' '))
		len--;
	return try_xstrndup(s, len);
}

void try_hold_parse(struct try_hold *out, const git_commit *commit)
{
	const char *msg = git_commit_message(commit);
	const git_signature *committer = git_commit_committer(commit);
	const char *subject_end, *body, *body_end, *last;
	size_t len;
	char *since;

	if (!msg)
		msg = "";
	len = strlen(msg);
	while (len && msg[len - 1] == '\n')
		len--;
	git_oid_cpy(&out->id, git_commit_id(commit));
	out->reason = out->who = NULL;

	/* the trailers: the last paragraph, when it is one */
	body_end = msg + len;
	last = NULL;
	{
		const char *p = msg;
		while ((p = memmem(p, (size_t)(msg + len - p), "\n\n", 2))) {
			last = p;
			p += 2;
		}
	}
	if (last && is_trailer_block(last + 2, (size_t)(msg + len - last - 2))) {
		body_end = last;
		out->who = trailer(last + 2, (size_t)(msg + len - last - 2),
				   "Held-By");
		since = trailer(last + 2, (size_t)(msg + len - last - 2),
				"Held-Since");
		out->since = try_report_parse_time(since);
		free(since);
	} else {
		out->since = -1;
	}
	if (!out->who || !*out->who) {
		struct try_buf b = TRY_BUF_INIT;
		free(out->who);
		try_buf_addf(&b, "%s <%s>", committer->name, committer->email);
		out->who = try_buf_detach(&b);
	}
	if (out->since < 0)
		out->since = (int64_t)committer->when.time;

	subject_end = memchr(msg, '\n', (size_t)(body_end - msg));
	if (!subject_end)
		subject_end = body_end;
	body = subject_end < body_end ? subject_end + 1 : body_end;
	out->reason = trimmed(body, (size_t)(body_end - body));
	if (!*out->reason) {
		/* no body: the subject, without "hold <scope>: " */
		const char *s = msg, *colon;
		free(out->reason);
		colon = memchr(s, ':', (size_t)(subject_end - s));
		if (!strncasecmp(s, "hold ", 5) && colon)
			s = colon + 1;
		out->reason = trimmed(s, (size_t)(subject_end - s));
	}
}

static int load_one(const char *name, void *payload)
{
	struct try_holds *holds = ((void **)payload)[0];
	git_repository *repo = ((void **)payload)[1];
	const char *prefix = ((void **)payload)[2];
	enum try_hold_scope scope;
	git_reference *ref = NULL;
	git_object *obj = NULL;
	struct try_hold *h;

	if (try_hold_scope_parse(&scope, name + strlen(prefix)) < 0 ||
	    strcmp(name + strlen(prefix), try_hold_scope_key(scope)))
		return 0;
	if (git_reference_lookup(&ref, repo, name) < 0 ||
	    git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) < 0) {
		git_error_clear();
		git_reference_free(ref);
		return 0;
	}
	TRY_ARRAY_GROW(holds->items, holds->nr + 1, holds->alloc);
	h = &holds->items[holds->nr++];
	memset(h, 0, sizeof(*h));
	h->scope = scope;
	try_hold_parse(h, (const git_commit *)obj);
	git_object_free(obj);
	git_reference_free(ref);
	return 0;
}

int try_holds_load(struct try_holds *out, git_repository *repo,
		   const char *prefix)
{
	struct try_buf name = TRY_BUF_INIT;
	void *payload[3];
	int scope;

	/*
	 * Four names to look up, in scope order: a glob over the holds
	 * folder walked every ref of the repository (2.5 ms of a hook run
	 * with 5,000 refs).
	 */
	memset(out, 0, sizeof(*out));
	payload[0] = out;
	payload[1] = repo;
	payload[2] = (void *)prefix;
	for (scope = 0; scope < TRY_HOLD_SCOPES; scope++) {
		try_buf_reset(&name);
		try_buf_addf(&name, "%s%s", prefix,
			     try_hold_scope_key((enum try_hold_scope)scope));
		load_one(name.ptr, payload);
	}
	try_buf_release(&name);
	return 0;
}

const struct try_hold *try_holds_blocking(const struct try_holds *holds,
					  enum try_lane lane)
{
	const struct try_hold *all = NULL;
	size_t i;

	for (i = 0; holds && i < holds->nr; i++) {
		if ((int)holds->items[i].scope == (int)lane)
			return &holds->items[i];
		if (holds->items[i].scope == TRY_HOLD_ALL)
			all = &holds->items[i];
	}
	return all;
}


void try_hold_describe(struct try_buf *out, const struct try_hold *hold)
{
	const char *r = hold->reason ? hold->reason : "";

	try_buf_adds(out, "held by ");
	try_utf8_add_safe(out, hold->who, strlen(hold->who), 100);
	try_buf_adds(out, " since ");
	try_report_add_time(out, hold->since, 0);
	try_buf_adds(out, ": ");
	try_utf8_add_safe(out, r, strcspn(r, "\n"), 200);
}

static void hold_message(struct try_buf *out, enum try_hold_scope scope,
			 const char *reason, const char *who,
			 const char *claimed, int64_t when)
{
	char *r = trimmed(reason, strlen(reason));

	try_buf_addf(out, "hold %s: ", try_hold_scope_key(scope));
	try_buf_add(out, r, strcspn(r, "\n"));
	try_buf_addf(out, "\n\n%s\n\nLanes-Hold: %s\nHeld-By: %s\nHeld-Since: ",
		     r, try_hold_scope_key(scope), who);
	try_report_add_time(out, when, 1);
	try_buf_addch(out, '\n');
	if (claimed)
		try_buf_addf(out, "Claimed-By: %s\n", claimed);
	free(r);
}

void try_hold_message(struct try_buf *out, enum try_hold_scope scope,
		      const char *reason, const char *who, int64_t when)
{
	hold_message(out, scope, reason, who, NULL, when);
}

/* A config string, or NULL. */
static char *config_string(git_repository *repo, const char *key)
{
	git_config *cfg = NULL;
	git_buf value = GIT_BUF_INIT;
	char *ret = NULL;

	if (repo && try_config_snapshot(&cfg, repo) == 0 &&
	    git_config_get_string_buf(&value, cfg, key) == 0 && *value.ptr)
		ret = try_xstrdup(value.ptr);
	git_error_clear();
	git_buf_dispose(&value);
	git_config_free(cfg);
	return ret;
}

void try_hold_who(char **out, git_repository *repo)
{
	struct try_buf b = TRY_BUF_INIT;
	struct passwd pw, *res = NULL;
	char buf[4096];
	char *name = NULL, *email = NULL;
	const char *v;

	/* git's order: the committer variables, then user.name/user.email */
	v = getenv("GIT_COMMITTER_NAME");
	name = v && *v ? try_xstrdup(v) : config_string(repo, "user.name");
	v = getenv("GIT_COMMITTER_EMAIL");
	email = v && *v ? try_xstrdup(v) : config_string(repo, "user.email");
	if (!email && getenv("EMAIL") && *getenv("EMAIL"))
		email = try_xstrdup(getenv("EMAIL"));
	if (!name) {
		if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 &&
		    res && res->pw_name)
			name = try_xstrdup(res->pw_name);
		else
			name = try_xstrdup(getenv("USER") ? getenv("USER") :
					   "unknown");
	}
	try_buf_adds(&b, name);
	if (email)
		try_buf_addf(&b, " <%s>", email);
	free(name);
	free(email);
	*out = try_buf_detach(&b);
}

static int hold_commit(git_oid *out, git_repository *repo,
		       enum try_hold_scope scope, const char *reason,
		       const char *who, const char *claimed, int64_t when)
{
	struct try_buf msg = TRY_BUF_INIT, name = TRY_BUF_INIT;
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_oid tree_id;
	const char *lt = strchr(who, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	int ret = -1;

	/* "Name <email>" when it is that, else the whole string as name */
	if (lt && gt) {
		try_buf_add(&name, who, (size_t)(lt - who));
		try_buf_rtrim(&name);
	} else {
		try_buf_adds(&name, who);
	}
	if (git_treebuilder_new(&tb, repo, NULL) < 0 ||
	    git_treebuilder_write(&tree_id, tb) < 0 ||
	    git_tree_lookup(&tree, repo, &tree_id) < 0)
		goto git_fail;
	{
		/* libgit2 wants an email; the trailer keeps `who` as given */
		char *email = lt && gt && gt > lt + 1 ?
			      try_xstrndup(lt + 1, (size_t)(gt - lt - 1)) :
			      try_xstrdup("unknown");
		int error = git_signature_new(&sig, name.len ? name.ptr : "?",
					      email, (git_time_t)when, 0);
		free(email);
		if (error < 0)
			goto git_fail;
	}
	hold_message(&msg, scope, reason, who, claimed, when);
	if (git_commit_create(out, repo, NULL, sig, sig, NULL, msg.ptr, tree,
			      0, NULL) < 0)
		goto git_fail;
	ret = 0;
	goto done;
git_fail:
	try_error_from_git("cannot write the hold commit");
done:
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	try_buf_release(&msg);
	try_buf_release(&name);
	return ret;
}

int try_hold_commit(git_oid *out, git_repository *repo,
		    enum try_hold_scope scope, const char *reason,
		    const char *who, int64_t when)
{
	return hold_commit(out, repo, scope, reason, who, NULL, when);
}

int try_hold_may_hold(const struct try_config *cfg, const char *user)
{
	return try_identity_listed(&cfg->holders, user, 1);
}

int try_hold_may_fix(const struct try_config *cfg, const char *user)
{
	if (cfg->fixers.nr)
		return try_identity_listed(&cfg->fixers, user, 0);
	return try_hold_may_hold(cfg, user);
}



int try_hold_set(git_repository *repo, const char *remote,
		 enum try_hold_scope scope, const git_oid *id, int force)
{
	struct try_buf ref = TRY_BUF_INIT, spec = TRY_BUF_INIT;
	git_reference *r = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int ret = -1;

	try_buf_addf(&ref, "%s%s", TRY_HOLD_REFS, try_hold_scope_key(scope));
	if (git_repository_is_bare(repo)) {
		/* the server itself: no hook to pass, write the ref */
		if (id) {
			if (!force && git_reference_lookup(&r, repo,
							   ref.ptr) == 0) {
				try_error_set("%s is held already; release it "
					      "first, or replace the hold "
					      "with --force",
					      try_hold_scope_key(scope));
				goto done;
			}
			git_reference_free(r);
			r = NULL;
			if (git_reference_create(&r, repo, ref.ptr, id, 1,
						 "git lanes hold") < 0)
				goto git_fail;
		} else {
			if (git_reference_lookup(&r, repo, ref.ptr) < 0) {
				try_error_set("%s is not held",
					      try_hold_scope_key(scope));
				ret = TRY_ENOTFOUND;
				goto done;
			}
			if (git_reference_delete(r) < 0)
				goto git_fail;
		}
		ret = 0;
		goto done;
	}

	if (id) {
		git_oid_tostr(hex, sizeof(hex), id);
		try_buf_addf(&spec, "%s%s:%s", force ? "+" : "", hex, ref.ptr);
	} else {
		try_buf_addf(&spec, ":%s", ref.ptr);
	}
	{
		const char *args[] = { "push", "--quiet", "--no-verify", remote,
				       spec.ptr, NULL };
		int code = try_repo_git(repo, args, NULL);
		if (code) {
			try_error_set("cannot %s %s on '%s': git push %s",
				      id ? "hold" : "release",
				      try_hold_scope_key(scope), remote,
				      code == 1 ? "was refused" : "failed");
			/* git push exits 1 when a ref is refused */
			ret = code == 1 ? TRY_HOLD_EREJECTED : -1;
			goto done;
		}
	}
	/* keep the clone's view of the remote's holds current */
	try_buf_reset(&ref);
	try_buf_addf(&ref, "%s%s/%s", TRY_HOLD_REMOTE_REFS, remote,
		     try_hold_scope_key(scope));
	if (id) {
		if (git_reference_create(&r, repo, ref.ptr, id, 1,
					 "git lanes hold") < 0)
			goto git_fail;
	} else if (git_reference_lookup(&r, repo, ref.ptr) == 0 &&
		   git_reference_delete(r) < 0) {
		goto git_fail;
	}
	git_error_clear();
	ret = 0;
	goto done;
git_fail:
	try_error_from_git(ref.ptr);
done:
	git_reference_free(r);
	try_buf_release(&spec);
	try_buf_release(&ref);
	return ret;
}

int try_holds_fetch(git_repository *repo, const char *remote)
{
	return try_holds_fetch_within(repo, remote, 0);
}

int try_holds_fetch_within(git_repository *repo, const char *remote,
			   int timeout_ms)
{
	struct try_buf spec = TRY_BUF_INIT;
	int ret;

	try_buf_addf(&spec, "+%s*:%s%s/*", TRY_HOLD_REFS, TRY_HOLD_REMOTE_REFS,
		     remote);
	{
		const char *args[] = { "fetch", "--quiet", "--prune",
				       "--no-tags", "--no-write-fetch-head",
				       remote, spec.ptr, NULL };
		ret = try_repo_git_within(repo, args, NULL, timeout_ms);
	}
	if (ret == TRY_ETIMEOUT)
		try_error_set("cannot fetch the holds of '%s' within %d ms",
			      remote, timeout_ms);
	else if (ret) {
		try_error_set("cannot fetch the holds of '%s' (git fetch "
			      "failed)", remote);
		ret = -1;
	}
	try_buf_release(&spec);
	return ret;
}

static int hold_lookup(struct try_hold *out, git_repository *repo,
		       const git_oid *id)
{
	git_commit *c = NULL;

	if (git_commit_lookup(&c, repo, id) < 0) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), id);
		try_error_from_git(hex);
		return -1;
	}
	try_hold_parse(out, c);
	git_commit_free(c);
	return 0;
}

int try_hold_vouch(git_oid *out, git_repository *repo,
		   enum try_hold_scope scope, const git_oid *id,
		   const char *pusher)
{
	struct try_hold h;
	struct try_buf name = TRY_BUF_INIT;
	git_reference *ref = NULL;
	git_oid nid;
	int ret = -1, error;

	memset(&h, 0, sizeof(h));
	git_oid_cpy(out, id);
	if (hold_lookup(&h, repo, id) < 0)
		goto done;
	if (!strcmp(h.who, pusher)) {
		ret = 0;
		goto done;
	}
	if (hold_commit(&nid, repo, scope, h.reason, pusher, h.who,
			h.since) < 0)
		goto done;
	try_buf_addf(&name, "%s%s", TRY_HOLD_REFS, try_hold_scope_key(scope));
	error = git_reference_create_matching(&ref, repo, name.ptr, &nid, 1,
					      id, "lanes: held by the pusher");
	if (error == GIT_EMODIFIED || error == GIT_ENOTFOUND) {
		/* changed again since: that change is vouched for itself */
		git_error_clear();
		ret = 0;
		goto done;
	}
	if (error < 0) {
		try_error_from_git(name.ptr);
		goto done;
	}
	git_oid_cpy(out, &nid);
	ret = 0;
done:
	git_reference_free(ref);
	try_buf_release(&name);
	try_hold_release(&h);
	return ret;
}

int try_hold_event(struct try_buf *out, git_repository *repo,
		   enum try_hold_scope scope, const git_oid *old,
		   const git_oid *new, const char *pusher)
{
	int release = git_oid_is_zero(new);
	const git_oid *id = release ? old : new;
	struct try_hold h;
	struct try_buf since = TRY_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	json_t *o = NULL;
	int ret = -1;

	memset(&h, 0, sizeof(h));
	if (try_event_object(&o, release ? "release" : "hold", repo,
			     pusher) < 0)
		goto done;
	json_object_set_new(o, "lane", json_string(try_hold_scope_key(scope)));
	if (git_oid_is_zero(id)) {
		json_object_set_new(o, "hold", json_null());
	} else {
		git_oid_tostr(hex, sizeof(hex), id);
		json_object_set_new(o, "hold", json_string(hex));
		/* a released hold whose commit is gone still is an event */
		if (hold_lookup(&h, repo, id) < 0 && !release)
			goto done;
		git_error_clear();
	}
	json_object_set_new(o, "reason", try_report_json_string(h.reason));
	json_object_set_new(o, "held_by", try_report_json_string(h.who));
	if (h.who) {
		try_report_add_time(&since, h.since, 1);
		json_object_set_new(o, "since", json_string(since.ptr));
	} else {
		json_object_set_new(o, "since", json_null());
	}
	if (!release && !git_oid_is_zero(old)) {
		git_oid_tostr(hex, sizeof(hex), old);
		json_object_set_new(o, "replaces", json_string(hex));
	}
	ret = try_event_object_dump(out, o);
	o = NULL;
done:
	json_decref(o);
	try_buf_release(&since);
	try_hold_release(&h);
	return ret;
}
