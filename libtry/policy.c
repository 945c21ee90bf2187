#include "libtry/policy.h"
#include "libtry/buf.h"
#include "libtry/deploy.h"
#include "libtry/error.h"
#include "libtry/glob.h"
#include "libtry/hold.h"
#include "libtry/queue.h"
#include "libtry/repo.h"
#include "libtry/walk.h"

#include <stdlib.h>
#include <string.h>

int try_oid_is_zero(const git_oid *id)
{
	size_t i;

	for (i = 0; i < GIT_OID_RAWSZ; i++)
		if (id->id[i])
			return 0;
	return 1;
}

static int parse_hex_oid(git_oid *out, const char *s, size_t len)
{
	size_t i;

	if (len != GIT_OID_HEXSZ)
		return -1;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F')))
			return -1;
	}
	return git_oid_fromstrn(out, s, len);
}

static int check_ref_name(struct try_update *u, const char *ref, size_t len,
			  size_t lineno)
{
	int valid = 0;

	if (memchr(ref, '\0', len)) {
		try_error_set("malformed input line %zu: NUL byte", lineno);
		return -1;
	}
	u->ref = try_xstrndup(ref, len);
	if (git_reference_name_is_valid(&valid, u->ref) < 0 || !valid ||
	    strncmp(u->ref, "refs/", 5)) {
		try_error_set("malformed input line %zu: invalid ref name",
			      lineno);
		free(u->ref);
		u->ref = NULL;
		return -1;
	}
	return 0;
}

/* Splits `line` at single spaces into exactly `n` fields. */
static int split_fields(const char **field, size_t *flen, size_t n,
			const char *line, size_t len)
{
	const char *p = line, *end = line + len;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *sp = i + 1 < n ? memchr(p, ' ', (size_t)(end - p)) : end;
		if (!sp)
			return -1;
		field[i] = p;
		flen[i] = (size_t)(sp - p);
		p = sp + 1;
	}
	return 0;
}

/* `<old> <new> <ref>` (pre-receive) or, with `push`, `<local ref>
 * <local id> <remote ref> <remote id>` (pre-push). */
static int parse_line(struct try_update *u, const char *line, size_t len,
		      size_t lineno, int push)
{
	const char *f[4];
	size_t fl[4];
	const char *old, *new;
	size_t nf = push ? 4 : 3;

	if (split_fields(f, fl, nf, line, len) < 0) {
		try_error_set("malformed input line %zu: expected %s", lineno,
			      push ? "'<local ref> <local id> <remote ref> "
				     "<remote id>'" :
				     "'<old> <new> <ref>'");
		return -1;
	}
	old = push ? f[3] : f[0];
	new = f[1];
	if (parse_hex_oid(&u->old, old, push ? fl[3] : fl[0]) < 0 ||
	    parse_hex_oid(&u->new, new, fl[1]) < 0) {
		try_error_set("malformed input line %zu: object ids must be "
			      "%d hex digits", lineno, GIT_OID_HEXSZ);
		return -1;
	}
	return check_ref_name(u, f[2], fl[2], lineno);
}

static int parse_updates(struct try_update **out, size_t *nr,
			 const char *input, size_t len, int push)
{
	struct try_update *list = NULL;
	size_t n = 0, alloc = 0, lineno = 0;
	const char *p = input, *end = input + len;

	*out = NULL;
	*nr = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		lineno++;
		if (l && p[l - 1] == '\r')
			l--;
		if (l) {
			TRY_ARRAY_GROW(list, n + 1, alloc);
			memset(&list[n], 0, sizeof(list[n]));
			if (parse_line(&list[n], p, l, lineno, push) < 0) {
				try_updates_free(list, n);
				return -1;
			}
			n++;
		}
		p += (nl ? (size_t)(nl - p) + 1 : (size_t)(end - p));
	}
	*out = list;
	*nr = n;
	return 0;
}

int try_updates_parse(struct try_update **out, size_t *nr, const char *input,
		      size_t len)
{
	return parse_updates(out, nr, input, len, 0);
}

int try_updates_parse_push(struct try_update **out, size_t *nr,
			   const char *input, size_t len)
{
	return parse_updates(out, nr, input, len, 1);
}

void try_updates_free(struct try_update *updates, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		free(updates[i].ref);
	free(updates);
}

void try_ref_result_release(struct try_ref_result *r)
{
	size_t i;

	for (i = 0; i < r->nr; i++) {
		try_commit_lane_release(&r->commits[i]);
		free(r->subjects[i]);
	}
	free(r->commits);
	free(r->subjects);
	free(r->reason);
	free(r->hint);
	memset(r, 0, sizeof(*r));
}

enum try_ref_kind try_policy_ref_kind(const struct try_config *cfg,
				      const char *ref)
{
	size_t i;

	if (!strcmp(ref, cfg->trunk_ref))
		return TRY_REF_TRUNK;
	if (!strncmp(ref, TRY_HOLD_REFS, strlen(TRY_HOLD_REFS)))
		return TRY_REF_HOLD;
	if (!strncmp(ref, TRY_QUEUE_REFS, strlen(TRY_QUEUE_REFS)))
		return TRY_REF_QUEUE;
	if (!strncmp(ref, TRY_LANES_REFS, strlen(TRY_LANES_REFS)))
		return TRY_REF_LANES;
	for (i = 0; i < cfg->allow.nr; i++)
		if (try_glob_match(cfg->allow.items[i], ref, 0))
			return TRY_REF_ALLOWED;
	return TRY_REF_OTHER;
}

/* `rule`: the stable id of the rule (docs/trust.md), static. */
static void reject_rule(struct try_ref_result *r, const char *rule,
			char *reason, char *hint)
{
	r->rejected = 1;
	r->reason = reason;
	r->hint = hint;
	r->rule = rule;
}

/* A rejection without a rule id: give every new rule one instead. */
static void reject(struct try_ref_result *r, char *reason, char *hint)
	__attribute__((unused));
static void reject(struct try_ref_result *r, char *reason, char *hint)
{
	reject_rule(r, NULL, reason, hint);
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	struct try_buf b = TRY_BUF_INIT;
	va_list ap;

	va_start(ap, f);
	try_buf_vaddf(&b, f, ap);
	va_end(ap);
	return try_buf_detach(&b);
}

static int oid_error(const char *what, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];
	struct try_buf b = TRY_BUF_INIT;

	git_oid_tostr(hex, sizeof(hex), id);
	try_buf_addf(&b, "%s %s", what, hex);
	try_error_from_git(b.ptr);
	try_buf_release(&b);
	return -1;
}

static int lane_is_code(const struct try_lane_tally *t)
{
	const char *reason;
	return try_lane_tally_lane(t, &reason) == TRY_LANE_CODE;
}

static int hide_tip(const char *name, const git_oid *id, void *payload)
{
	(void)name;
	return try_walk_hide(payload, id);
}

/* 1 when a listed commit has `old` as a parent: `old` is an ancestor. */
static int reaches(const struct try_walk *walk, const git_oid *old)
{
	size_t i, n = try_walk_count(walk);

	for (i = 0; i < n; i++) {
		unsigned j, np;
		const git_oid *parents = try_walk_parents(walk, i, &np);
		for (j = 0; j < np; j++)
			if (git_oid_equal(&parents[j], old))
				return 1;
	}
	return 0;
}

static int check_trunk(struct try_ref_result *r, struct try_policy *p,
		       const struct try_update *u)
{
	struct try_walk *walk = NULL;
	git_object *obj = NULL;
	size_t i, n;
	char hex[8];
	int ret = -1;

	if (try_oid_is_zero(&u->new)) {
		reject_rule(r, "trunk-delete", fmt("deleting the trunk is not allowed"), NULL);
		return 0;
	}
	if (git_object_lookup(&obj, p->repo, &u->new, GIT_OBJECT_ANY) < 0)
		return oid_error("missing object", &u->new);
	if (git_object_type(obj) != GIT_OBJECT_COMMIT) {
		reject_rule(r, "trunk-not-commit", fmt("the trunk must point at a commit, not a %s",
			      git_object_type2string(git_object_type(obj))),
		       NULL);
		git_object_free(obj);
		return 0;
	}
	git_object_free(obj);

	/*
	 * The new commits: `new ^old`, or for a new trunk `new` minus what
	 * the known refs reach.  One read per commit, and unlike libgit2's
	 * revwalk no commit-graph to load for a three-commit push.
	 */
	if (try_walk_new(&walk, p->repo, 0) < 0 ||
	    try_walk_push(walk, &u->new) < 0)
		goto done;
	if (try_oid_is_zero(&u->old)) {
		if (try_repo_foreach_ref_commit(p->repo, p->known_prefix,
						hide_tip, walk) < 0)
			goto done;
	} else if (try_walk_hide(walk, &u->old) < 0) {
		goto done;
	}
	if (try_walk_run(walk) < 0)
		goto done;
	n = try_walk_count(walk);

	/* git runs pre-receive before its own fast-forward check */
	if (!try_oid_is_zero(&u->old) && !git_oid_equal(&u->old, &u->new) &&
	    !reaches(walk, &u->old)) {
		reject_rule(r, "non-fast-forward", fmt("non-fast-forward: the trunk only moves forward"),
		       fmt("fetch, rebase your commits onto %s, and push again",
			   p->cfg->trunk_branch));
		ret = 0;
		goto done;
	}

	r->total = n;
	for (i = 0; i < n; i++) {
		const struct try_walk_commit *wc = try_walk_get(walk, i);
		struct try_commit_lane cl = TRY_COMMIT_LANE_INIT;
		int show = r->nr < p->show;
		int dark = 0;

		if (p->deadline_ms && try_now_ms() > p->deadline_ms) {
			try_error_set("deadline of %d s passed (trunk.timeout)",
				      p->cfg->timeout);
			ret = TRY_ETIMEOUT;
			goto done;
		}
		git_oid_tostr(hex, sizeof(hex), &wc->id);
		if (wc->nparents > 1 && !p->cfg->allow_merges) {
			reject_rule(r, "merge", fmt("merge commit %s: the trunk takes a "
				      "straight line (trunk.allowMerges is "
				      "false)", hex),
			       fmt("rebase onto %s instead of merging",
				   p->cfg->trunk_branch));
			ret = 0;
			goto done;
		}
		if (!show && lane_is_code(&r->tally)) {
			/* the lane is CODE already: only a dark commit can
			 * still break a rule */
			if (try_classifier_is_dark(&dark, p->classifier,
						   wc->subject,
						   strlen(wc->subject)) < 0)
				goto done;
			if (!dark)
				continue;
		}
		if (try_walk_classify(&cl, walk, p->classifier, i) < 0)
			goto done;
		try_lane_tally_add(&r->tally, &cl);
		if (cl.flags & TRY_COMMIT_DARK_CONFIG) {
			reject_rule(r, "dark-touches-config", fmt("commit %s is marked dark but changes "
				      "config path '%s'", hex, cl.path),
			       fmt("a flag flip must travel in its own commit;"
				   " split it out of the dark commit"));
			try_commit_lane_release(&cl);
			ret = 0;
			goto done;
		}
		if (show) {
			TRY_ARRAY_GROW(r->commits, r->nr + 1, r->alloc);
			r->subjects = try_xrealloc(r->subjects,
						   r->alloc * sizeof(char *));
			r->commits[r->nr] = cl;
			r->subjects[r->nr] = try_xstrdup(wc->subject);
			r->nr++;
		} else {
			try_commit_lane_release(&cl);
		}
	}
	r->lane = try_lane_tally_lane(&r->tally, &r->lane_reason);
	ret = 0;
done:
	try_walk_free(walk);
	return ret;
}

/* A trunk update of a held lane waits, unless it is a fix. */
static void check_holds(struct try_ref_result *r, struct try_policy *p)
{
	struct try_buf b = TRY_BUF_INIT;
	const struct try_hold *h;

	if (r->rejected || !p->holds || r->lane == TRY_LANE_NONE)
		return;
	h = try_holds_blocking(p->holds, r->lane);
	if (!h)
		return;
	r->hold = h;
	if (p->fix && p->pusher && !try_hold_may_fix(p->cfg, p->pusher)) {
		reject_rule(r, "fix-not-allowed",
			    fmt("%s may not pass a hold with lanes.fix "
				"(lanes.fixers)", p->pusher),
			    fmt("ask one of the lanes.fixers to push the fix"));
		return;
	}
	if (p->fix) {
		r->fix_passed = 1;
		return;
	}
	if (h->scope == TRY_HOLD_ALL)
		try_buf_adds(&b, "all lanes are ");
	else
		try_buf_addf(&b, "lane %s is ", try_lane_name(r->lane));
	try_hold_describe(&b, h);
	reject_rule(r, "held", try_buf_detach(&b),
	       fmt("a fix passes with 'git push -o lanes.fix'; the hold ends "
		   "with 'git lanes release %s'", try_hold_scope_key(h->scope)));
}

/* refs/lanes/holds/<lane>: set or released by lanes.holders. */
static int check_hold_ref(struct try_ref_result *r, struct try_policy *p,
			  const struct try_update *u)
{
	const char *name = u->ref + strlen(TRY_HOLD_REFS);
	enum try_hold_scope scope;
	git_object *obj = NULL;

	if (try_hold_scope_parse(&scope, name) < 0 ||
	    strcmp(name, try_hold_scope_key(scope))) {
		reject_rule(r, "hold-no-lane", fmt("no lane '%s' to hold", name),
		       fmt("hold code, config, dark or all: "
			   "'git lanes hold <lane> -m <reason>'"));
		return 0;
	}
	if (p->pusher && !try_hold_may_hold(p->cfg, p->pusher)) {
		reject_rule(r, "not-a-holder", fmt("%s may not hold or release lanes "
			      "(lanes.holders)", p->pusher),
		       fmt("ask one of the lanes.holders"));
		return 0;
	}
	/* accepted: reported like any other ref that is not the trunk */
	if (try_oid_is_zero(&u->new)) {
		r->kind = TRY_REF_ALLOWED;
		r->note = "hold released";
		return 0;
	}
	if (git_object_lookup(&obj, p->repo, &u->new, GIT_OBJECT_ANY) < 0)
		return oid_error("missing object", &u->new);
	if (git_object_type(obj) != GIT_OBJECT_COMMIT)
		reject_rule(r, "hold-not-commit", fmt("a hold must be a commit, not a %s",
			      git_object_type2string(git_object_type(obj))),
		       fmt("use 'git lanes hold %s -m <reason>'", name));
	else {
		r->kind = TRY_REF_ALLOWED;
		r->note = "hold set";
	}
	git_object_free(obj);
	return 0;
}

/* refs/lanes/queue/<lane>: one allowed transition (queue.h). */
static int check_queue_ref(struct try_ref_result *r, struct try_policy *p,
			   const struct try_update *u)
{
	struct try_queue_update up;
	enum try_lane lane = TRY_LANE_CODE;
	int held, ret;

	if (try_queue_lane_parse(&lane, u->ref + strlen(TRY_QUEUE_REFS)) < 0)
		lane = TRY_LANE_CODE;
	held = p->holds && try_holds_blocking(p->holds, lane) != NULL;
	ret = try_queue_check(&up, p->repo, p->cfg, u, p->pusher, held);
	if (ret == TRY_QUEUE_EREFUSED) {
		reject(r, fmt("%s", try_error_last()),
		       fmt("change the queue with 'git lanes queue'"));
		ret = 0;
	} else if (ret == 0) {
		r->kind = TRY_REF_ALLOWED;
		r->note = "queue changed";
	}
	try_queue_update_release(&up);
	return ret;
}

/* refs/lanes/deployed/<env>/<lane>: the rules live in deploy.c. */
static int check_deploy_ref(struct try_ref_result *r, struct try_policy *p,
			    const struct try_update *u)
{
	char *reason = NULL, *hint = NULL;

	if (try_deploy_check(&reason, &hint, p->repo, p->cfg, p->classifier,
			     p->holds, p->pusher, u->ref, &u->old,
			     &u->new) < 0)
		return -1;
	if (reason) {
		reject(r, reason, hint);
		return 0;
	}
	r->kind = TRY_REF_ALLOWED;
	r->note = "deploy recorded";
	return 0;
}

int try_policy_check(struct try_ref_result *out, struct try_policy *p,
		     const struct try_update *u)
{
	int ret;

	memset(out, 0, sizeof(*out));
	out->kind = try_policy_ref_kind(p->cfg, u->ref);
	out->lane_reason = "";
	switch (out->kind) {
	case TRY_REF_TRUNK:
		ret = check_trunk(out, p, u);
		if (ret == 0)
			check_holds(out, p);
		return ret;
	case TRY_REF_ALLOWED:
		out->note = "trunk.allow";
		return 0;
	case TRY_REF_HOLD:
		return check_hold_ref(out, p, u);
	case TRY_REF_QUEUE:
		return check_queue_ref(out, p, u);
	case TRY_REF_LANES:
		if (!strncmp(u->ref, TRY_DEPLOY_REFS, strlen(TRY_DEPLOY_REFS)))
			return check_deploy_ref(out, p, u);
		reject_rule(out, "lanes-reserved", fmt("%s is reserved for holds", TRY_LANES_REFS),
		       fmt("holds are %s<lane>: 'git lanes hold <lane> -m "
			   "<reason>'", TRY_HOLD_REFS));
		return 0;
	case TRY_REF_OTHER:
		break;
	}
	if (p->platform_internal && !strncmp(u->ref, "refs/pull/", 10)) {
		out->kind = TRY_REF_ALLOWED;
		out->note = "the platform's own pull request ref";
		return 0;
	}
	/* removing an old branch only brings the server closer to one trunk */
	if (try_oid_is_zero(&u->new) && !strncmp(u->ref, "refs/heads/", 11)) {
		out->kind = TRY_REF_ALLOWED;
		out->note = "deleting a branch other than the trunk";
		return 0;
	}
	reject_rule(out, "trunk-only", fmt("trunk-only: only %s takes pushes here",
			p->cfg->trunk_ref),
	       fmt("land unfinished work on %s behind a flag, in a commit "
		   "whose subject is marked DARK (lanes.darkPattern)",
		   p->cfg->trunk_branch));
	return 0;
}
