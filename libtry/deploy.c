#include "libtry/deploy.h"
#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/identity.h"
#include "libtry/events.h"
#include "libtry/hold.h"
#include "libtry/next.h"
#include "libtry/repo.h"
#include "libtry/report.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int try_deploy_env_valid(const char *env)
{
	size_t i, n = strlen(env);

	if (!n || n > TRY_DEPLOY_ENV_MAX || env[0] == '.' || strstr(env, ".."))
		return 0;
	for (i = 0; i < n; i++) {
		char c = env[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return 0;
	}
	/* git refuses ref components ending in ".lock" or "." */
	if (env[n - 1] == '.' || (n >= 5 && !strcmp(env + n - 5, ".lock")))
		return 0;
	return 1;
}

int try_deploy_lane_parse(enum try_lane *out, const char *s)
{
	if (!strcasecmp(s, "code"))
		*out = TRY_LANE_CODE;
	else if (!strcasecmp(s, "config"))
		*out = TRY_LANE_CONFIG;
	else
		return -1;
	return 0;
}

void try_deploy_release(struct try_deploy *d)
{
	free(d->env);
	free(d->who);
	free(d->note);
	memset(d, 0, sizeof(*d));
}

void try_deploy_message(struct try_buf *out, const struct try_deploy *d)
{
	char hex[GIT_OID_HEXSZ + 1];
	const char *note = d->note ? d->note : "";

	git_oid_tostr(hex, sizeof(hex), &d->commit);
	try_buf_addf(out, "%s %s to %s: %.12s\n\n",
		     d->rollback ? "rollback" : "deploy",
		     try_lane_key(d->lane), d->env, hex);
	note += strspn(note, " \n");
	if (*note) {
		size_t len = strlen(note);
		while (len && (note[len - 1] == '\n' || note[len - 1] == ' '))
			len--;
		try_buf_add(out, note, len);
		try_buf_adds(out, "\n\n");
	}
	try_buf_addf(out, "Lanes-Deploy: %s\nDeploy-Env: %s\n"
		     "Deploy-Commit: %s\nDeployed-By: %s\nDeployed-At: ",
		     try_lane_key(d->lane), d->env, hex,
		     d->who ? d->who : "unknown");
	try_report_add_time(out, d->when, 1);
	try_buf_addch(out, '\n');
	if (d->rollback)
		try_buf_adds(out, "Deploy-Rollback: yes\n");
	if (d->forced)
		try_buf_adds(out, "Deploy-Forced: yes\n");
	if (d->fix)
		try_buf_adds(out, "Deploy-Fix: yes\n");
}

static int yes(const char *v)
{
	return v && !strcasecmp(v, "yes");
}

int try_deploy_parse(struct try_deploy *out, const git_commit *commit)
{
	const char *msg = git_commit_message(commit);
	git_message_trailer_array tr = { 0 };
	const char *lane = NULL, *env = NULL, *id = NULL, *at = NULL;
	const char *body, *end;
	size_t i;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	git_oid_cpy(&out->record, git_commit_id(commit));
	if (!msg || git_message_trailers(&tr, msg) < 0) {
		git_error_clear();
		try_error_set("not a deploy record: no trailers");
		return -1;
	}
	for (i = 0; i < tr.count; i++) {
		const char *k = tr.trailers[i].key, *v = tr.trailers[i].value;
		if (!strcasecmp(k, "Lanes-Deploy"))
			lane = v;
		else if (!strcasecmp(k, "Deploy-Env"))
			env = v;
		else if (!strcasecmp(k, "Deploy-Commit"))
			id = v;
		else if (!strcasecmp(k, "Deployed-At"))
			at = v;
		else if (!strcasecmp(k, "Deployed-By") && !out->who)
			out->who = try_xstrdup(v);
		else if (!strcasecmp(k, "Deploy-Rollback"))
			out->rollback = yes(v);
		else if (!strcasecmp(k, "Deploy-Forced"))
			out->forced = yes(v);
		else if (!strcasecmp(k, "Deploy-Fix"))
			out->fix = yes(v);
	}
	if (!lane || try_deploy_lane_parse(&out->lane, lane) < 0) {
		try_error_set("not a deploy record: no Lanes-Deploy: code or "
			      "config");
		goto done;
	}
	if (!env || !try_deploy_env_valid(env)) {
		try_error_set("not a deploy record: no valid Deploy-Env");
		goto done;
	}
	if (!id || strlen(id) != GIT_OID_HEXSZ ||
	    git_oid_fromstr(&out->commit, id) < 0) {
		git_error_clear();
		try_error_set("not a deploy record: Deploy-Commit is not a "
			      "commit id");
		goto done;
	}
	out->env = try_xstrdup(env);
	out->when = try_report_parse_time(at);
	if (out->when < 0)
		out->when = (int64_t)git_commit_time(commit);
	if (!out->who)
		out->who = try_xstrdup(git_commit_committer(commit)->name);

	/* the note: between the subject and the trailers */
	body = strstr(msg, "\n\n");
	end = NULL;
	if (body) {
		const char *p = body + 2;
		for (;;) {
			const char *q = strstr(p, "\n\n");
			if (!q)
				break;
			end = q;
			p = q + 2;
		}
	}
	if (body && end && end > body + 2)
		out->note = try_xstrndup(body + 2, (size_t)(end - body - 2));
	else
		out->note = try_xstrdup("");
	ret = 0;
done:
	git_message_trailer_array_free(&tr);
	return ret;
}

int try_deploy_commit(struct try_deploy *d, git_repository *repo,
		      const git_oid *parent)
{
	struct try_buf msg = TRY_BUF_INIT, name = TRY_BUF_INIT;
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_commit *p = NULL;
	git_oid tree_id;
	const char *who = d->who ? d->who : "unknown";
	const char *lt = strchr(who, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	char *email = NULL;
	int ret = -1;

	if (lt && gt) {
		try_buf_add(&name, who, (size_t)(lt - who));
		try_buf_rtrim(&name);
		email = try_xstrndup(lt + 1, (size_t)(gt - lt - 1));
	} else {
		try_buf_adds(&name, who);
		email = try_xstrdup("unknown");
	}
	if (git_treebuilder_new(&tb, repo, NULL) < 0 ||
	    git_treebuilder_write(&tree_id, tb) < 0 ||
	    git_tree_lookup(&tree, repo, &tree_id) < 0 ||
	    git_signature_new(&sig, name.len ? name.ptr : "?",
			      *email ? email : "unknown", (git_time_t)d->when,
			      0) < 0 ||
	    (parent && git_commit_lookup(&p, repo, parent) < 0))
		goto git_fail;
	try_deploy_message(&msg, d);
	if (git_commit_create(&d->record, repo, NULL, sig, sig, NULL, msg.ptr,
			      tree, p ? 1 : 0, (const git_commit **)&p) < 0)
		goto git_fail;
	ret = 0;
	goto done;
git_fail:
	try_error_from_git("cannot write the deploy record");
done:
	free(email);
	git_commit_free(p);
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	try_buf_release(&msg);
	try_buf_release(&name);
	return ret;
}

int try_deploy_load(struct try_deploy *out, git_repository *repo,
		    const char *prefix, const char *env, enum try_lane lane)
{
	struct try_buf ref = TRY_BUF_INIT;
	git_commit *c = NULL;
	git_oid id;
	int ret;

	memset(out, 0, sizeof(*out));
	try_buf_addf(&ref, "%s%s/%s", prefix, env, try_lane_key(lane));
	ret = try_repo_ref_commit(&id, repo, ref.ptr);
	if (ret < 0)
		goto done;
	if (git_commit_lookup(&c, repo, &id) < 0) {
		try_error_from_git(ref.ptr);
		ret = -1;
		goto done;
	}
	if (try_deploy_parse(out, c) < 0) {
		try_error_set("%s: %s", ref.ptr, try_error_last());
		ret = -1;
	}
done:
	git_commit_free(c);
	try_buf_release(&ref);
	return ret;
}

int try_deploy_set(git_repository *repo, const char *remote,
		   const struct try_deploy *d, const git_oid *old)
{
	struct try_buf ref = TRY_BUF_INIT, spec = TRY_BUF_INIT,
		       lease = TRY_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1], oldhex[GIT_OID_HEXSZ + 1] = "";
	git_reference *r = NULL;
	git_oid zero;
	int ret = -1, error;

	memset(&zero, 0, sizeof(zero));
	try_buf_addf(&ref, "%s%s/%s", TRY_DEPLOY_REFS, d->env,
		     try_lane_key(d->lane));
	git_oid_tostr(hex, sizeof(hex), &d->record);
	if (old)
		git_oid_tostr(oldhex, sizeof(oldhex), old);
	if (git_repository_is_bare(repo)) {
		/* the server itself: compare-and-swap on the ref */
		if (old)
			error = git_reference_create_matching(
				&r, repo, ref.ptr, &d->record, 1, old,
				"git lanes deployed");
		else
			error = git_reference_create(&r, repo, ref.ptr,
						     &d->record, 0,
						     "git lanes deployed");
		if (error == GIT_EMODIFIED || error == GIT_EEXISTS) {
			try_error_set("another deploy of %s in %s was recorded "
				      "first; look again and retry",
				      try_lane_key(d->lane), d->env);
			ret = TRY_DEPLOY_ERACE;
			goto done;
		}
		if (error < 0)
			goto git_fail;
		ret = 0;
		goto done;
	}

	try_buf_addf(&spec, "%s:%s", hex, ref.ptr);
	try_buf_addf(&lease, "--force-with-lease=%s:%s", ref.ptr, oldhex);
	{
		const char *args[] = { "push", "--quiet", "--no-verify",
				       lease.ptr, remote, spec.ptr, NULL };
		int code = try_repo_git(repo, args, NULL);
		if (code) {
			try_error_set("cannot record the deploy of %s in %s on "
				      "'%s': git push %s",
				      try_lane_key(d->lane), d->env, remote,
				      code == 1 ? "was refused" : "failed");
			ret = code == 1 ? TRY_DEPLOY_EREJECTED : -1;
			goto done;
		}
	}
	try_buf_reset(&ref);
	try_buf_addf(&ref, "%s%s/%s/%s", TRY_DEPLOY_REMOTE_REFS, remote,
		     d->env, try_lane_key(d->lane));
	if (git_reference_create(&r, repo, ref.ptr, &d->record, 1,
				 "git lanes deployed") < 0)
		goto git_fail;
	ret = 0;
	goto done;
git_fail:
	try_error_from_git(ref.ptr);
done:
	git_reference_free(r);
	try_buf_release(&lease);
	try_buf_release(&spec);
	try_buf_release(&ref);
	return ret;
}

int try_deploys_fetch(git_repository *repo, const char *remote)
{
	struct try_buf spec = TRY_BUF_INIT;
	int ret;

	try_buf_addf(&spec, "+%s*:%s%s/*", TRY_DEPLOY_REFS,
		     TRY_DEPLOY_REMOTE_REFS, remote);
	{
		const char *args[] = { "fetch", "--quiet", "--prune",
				       "--no-tags", "--no-write-fetch-head",
				       remote, spec.ptr, NULL };
		ret = try_repo_git(repo, args, NULL) ? -1 : 0;
	}
	if (ret < 0)
		try_error_set("cannot fetch the deploy records of '%s' (git "
			      "fetch failed)", remote);
	try_buf_release(&spec);
	return ret;
}

int try_deploy_may_deploy(const struct try_config *cfg, const char *user)
{
	return try_identity_listed(&cfg->deployers, user, 1);
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

/* 1 when `a` is `b` or one of its ancestors. */
static int behind_or_at(git_repository *repo, const git_oid *a,
			const git_oid *b)
{
	return git_oid_equal(a, b) || git_graph_descendant_of(repo, b, a) == 1;
}

/* The commit the record at refs/lanes/deployed/<env>/<lane> names. */
static int recorded_commit(git_oid *out, git_repository *repo,
			   const char *env, enum try_lane lane)
{
	struct try_deploy d;
	int ret = try_deploy_load(&d, repo, TRY_DEPLOY_REFS, env, lane);

	if (ret == 0)
		git_oid_cpy(out, &d.commit);
	try_deploy_release(&d);
	return ret;
}

int try_deploy_check(char **reason, char **hint, git_repository *repo,
		     const struct try_config *cfg, struct try_classifier *c,
		     const struct try_holds *holds, const char *pusher,
		     const char *ref,
		     const git_oid *old, const git_oid *new)
{
	struct try_deploy d, prev;
	struct try_next nx;
	git_commit *rec = NULL, *oldrec = NULL;
	git_object *target = NULL;
	git_oid trunk, code;
	const char *name = ref + strlen(TRY_DEPLOY_REFS), *slash;
	char *env = NULL;
	enum try_lane lane;
	int ret = -1, has_old = old && !git_oid_is_zero(old), has_code;

	memset(&d, 0, sizeof(d));
	memset(&prev, 0, sizeof(prev));
	memset(&nx, 0, sizeof(nx));
	*reason = *hint = NULL;
	slash = strchr(name, '/');
	if (!slash || strchr(slash + 1, '/') ||
	    try_deploy_lane_parse(&lane, slash + 1) < 0 ||
	    strcmp(slash + 1, try_lane_key(lane))) {
		*reason = fmt("no deploy lane in '%s'", ref);
		*hint = fmt("deploy records are %s<env>/code or "
			    "%s<env>/config: 'git lanes deployed <lane>'",
			    TRY_DEPLOY_REFS, TRY_DEPLOY_REFS);
		ret = 0;
		goto done;
	}
	env = try_xstrndup(name, (size_t)(slash - name));
	if (!try_deploy_env_valid(env)) {
		*reason = fmt("'%s' is not a valid environment name", env);
		*hint = fmt("letters, digits, '-', '_' and '.'");
		ret = 0;
		goto done;
	}
	if (!new || git_oid_is_zero(new)) {
		*reason = fmt("deploy records are never deleted");
		*hint = fmt("record a rollback: 'git lanes deployed %s <commit> "
			    "--rollback'", try_lane_key(lane));
		ret = 0;
		goto done;
	}
	if (pusher && !try_deploy_may_deploy(cfg, pusher)) {
		*reason = fmt("%s may not record deploys (lanes.deployers)",
			      pusher);
		*hint = fmt("ask one of the lanes.deployers");
		ret = 0;
		goto done;
	}
	if (git_commit_lookup(&rec, repo, new) < 0) {
		git_error_clear();
		*reason = fmt("a deploy record must be a commit");
		*hint = fmt("use 'git lanes deployed %s'", try_lane_key(lane));
		ret = 0;
		goto done;
	}
	if (try_deploy_parse(&d, rec) < 0 || d.lane != lane ||
	    strcmp(d.env, env)) {
		*reason = fmt("%s", d.env ? "the record names another lane "
			      "or environment than its ref" : try_error_last());
		*hint = fmt("use 'git lanes deployed %s'", try_lane_key(lane));
		ret = 0;
		goto done;
	}
	if (has_old ? git_commit_parentcount(rec) != 1 ||
		      !git_oid_equal(git_commit_parent_id(rec, 0), old) :
		      git_commit_parentcount(rec) != 0) {
		*reason = fmt("the record does not replace the current one "
			      "(another deploy was recorded meanwhile?)");
		*hint = fmt("look again with 'git lanes next' and retry");
		ret = 0;
		goto done;
	}
	if (git_object_lookup(&target, repo, &d.commit, GIT_OBJECT_COMMIT) < 0) {
		git_error_clear();
		*reason = fmt("no commit %.12s here", git_oid_tostr_s(&d.commit));
		*hint = fmt("deploy a commit of %s", cfg->trunk_branch);
		ret = 0;
		goto done;
	}
	if (try_repo_ref_commit(&trunk, repo, cfg->trunk_ref) < 0 ||
	    !behind_or_at(repo, &d.commit, &trunk)) {
		*reason = fmt("%.12s is not on the trunk (%s)",
			      git_oid_tostr_s(&d.commit), cfg->trunk_branch);
		*hint = fmt("only commits of %s are deployed",
			    cfg->trunk_branch);
		ret = 0;
		goto done;
	}
	if (d.forced && !d.note[strspn(d.note, " \n")]) {
		*reason = fmt("a forced deploy needs a note saying why");
		*hint = fmt("--force -m \"<why>\"");
		ret = 0;
		goto done;
	}
	if (has_old) {
		git_commit_lookup(&oldrec, repo, old);
		if (!oldrec || try_deploy_parse(&prev, oldrec) < 0) {
			git_error_clear();
			memset(&prev, 0, sizeof(prev));
			has_old = 0; /* a broken record: judge as a first one */
		}
	}
	if (has_old && !git_oid_equal(&prev.commit, &d.commit) &&
	    behind_or_at(repo, &d.commit, &prev.commit)) {
		if (!d.rollback) {
			char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
			git_oid_tostr(a, sizeof(a), &d.commit);
			git_oid_tostr(b, sizeof(b), &prev.commit);
			*reason = fmt("%.12s is behind the deploy of %s in %s "
				      "(%.12s)", a, try_lane_key(lane), env, b);
			*hint = fmt("a rollback says so: --rollback");
		}
		ret = 0; /* a rollback: always recorded, even when held */
		goto done;
	}
	if (d.rollback) {
		*reason = fmt("not a rollback: %.12s is not behind the deploy "
			      "of %s in %s", git_oid_tostr_s(&d.commit),
			      try_lane_key(lane), env);
		*hint = fmt("record it without --rollback");
		ret = 0;
		goto done;
	}
	if (try_holds_blocking(holds, lane) && !d.fix && !d.forced) {
		*reason = fmt("lane %s is held", try_lane_key(lane));
		*hint = fmt("a held lane records rollbacks, and fixes with "
			    "--fix; 'git lanes status' shows the hold");
		ret = 0;
		goto done;
	}
	if (lane == TRY_LANE_CONFIG && !d.forced) {
		int r = recorded_commit(&code, repo, env, TRY_LANE_CODE);
		if (r < 0 && r != TRY_ENOTFOUND)
			goto done;
		has_code = r == 0;
		if (try_next_compute(&nx, repo, c, TRY_LANE_CONFIG, &d.commit,
				     has_code ? &code : NULL,
				     has_old ? &prev.commit : NULL) < 0)
			goto done;
		if (!nx.has_next || !git_oid_equal(&nx.next, &d.commit)) {
			if (nx.has_stop)
				*reason = fmt("the config lane may not pass "
					      "%.12s: %s",
					      git_oid_tostr_s(&nx.stop),
					      nx.why);
			else
				*reason = fmt("the config lane cannot ship "
					      "%.12s: %s",
					      git_oid_tostr_s(&d.commit),
					      nx.why ? nx.why : "see 'git "
					      "lanes next'");
			*hint = fmt("'git lanes next' shows what it can ship;"
				    " --force -m \"<why>\" overrides");
		}
	}
	ret = 0;
done:
	try_next_release(&nx);
	git_object_free(target);
	git_commit_free(oldrec);
	git_commit_free(rec);
	try_deploy_release(&prev);
	try_deploy_release(&d);
	free(env);
	return ret;
}

int try_deploy_event(struct try_buf *out, git_repository *repo,
		     const char *pusher, const struct try_deploy *d,
		     const git_oid *from)
{
	json_t *o = NULL;
	size_t count = 0;
	char hex[GIT_OID_HEXSZ + 1];

	if (from && !git_oid_equal(from, &d->commit)) {
		git_revwalk *w = NULL;
		git_oid id;
		const git_oid *hi = d->rollback ? from : &d->commit;
		const git_oid *lo = d->rollback ? &d->commit : from;

		if (git_revwalk_new(&w, repo) < 0 ||
		    git_revwalk_push(w, hi) < 0 || git_revwalk_hide(w, lo) < 0) {
			git_revwalk_free(w);
			try_error_from_git("cannot count the deployed commits");
			return -1;
		}
		while (git_revwalk_next(&id, w) == 0)
			count++;
		git_error_clear();
		git_revwalk_free(w);
	}
	if (try_event_object(&o, d->rollback ? "rollback" : "deploy", repo,
			     pusher) < 0)
		return -1;
	json_object_set_new(o, "env", try_report_json_string(d->env));
	json_object_set_new(o, "lane", json_string(try_lane_key(d->lane)));
	if (from) {
		git_oid_tostr(hex, sizeof(hex), from);
		json_object_set_new(o, "from", json_string(hex));
	} else {
		json_object_set_new(o, "from", json_null());
	}
	git_oid_tostr(hex, sizeof(hex), &d->commit);
	json_object_set_new(o, "to", json_string(hex));
	json_object_set_new(o, "count", json_integer((json_int_t)count));
	json_object_set_new(o, "note", try_report_json_string(d->note ?
							      d->note : ""));
	json_object_set_new(o, "forced", json_boolean(d->forced));
	json_object_set_new(o, "fix", json_boolean(d->fix));
	git_oid_tostr(hex, sizeof(hex), &d->record);
	json_object_set_new(o, "record", json_string(hex));
	return try_event_object_dump(out, o);
}

int try_deploy_announce(git_repository *repo, const struct try_config *cfg,
			const char *pusher, const struct try_deploy *d,
			const git_oid *from,
			void (*failed)(const char *msg, void *payload),
			void *payload)
{
	struct try_buf line = TRY_BUF_INIT;
	int ret;

	if (try_deploy_event(&line, repo, pusher, d, from) < 0) {
		if (failed) {
			struct try_buf msg = TRY_BUF_INIT;
			try_buf_addf(&msg, "deploy event not recorded: %s",
				     try_error_last());
			failed(msg.ptr, payload);
			try_buf_release(&msg);
		}
		try_buf_release(&line);
		return -1;
	}
	ret = try_events_record(repo, cfg, &line, 1, failed, payload);
	try_buf_release(&line);
	return ret;
}
