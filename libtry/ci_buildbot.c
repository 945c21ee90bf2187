/*
 * The Buildbot backend, over Buildbot's REST API (version 2): a force of the
 * try scheduler with the patch, then the build requests it made are
 * followed to their builds.  FIELD-NOTES.md has the protocol facts.
 */
#include "libtry/ci.h"
#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/http.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Buildbot's result codes. */
enum {
	BB_SUCCESS = 0,
	BB_WARNINGS = 1,
	BB_FAILURE = 2,
	BB_SKIPPED = 3,
	BB_EXCEPTION = 4,
	BB_RETRY = 5,
	BB_CANCELLED = 6,
};

struct bb_job {
	long long brid;
	long long builderid;
	long long buildid;     /* 0 until a build runs */
};

struct bb_state {
	char *base;            /* try.url, ending in '/' */
	char *web;             /* the same without credentials, for people */
	char *user, *password;
	int have_credentials;  /* asked for them already */
	int login_steps;       /* bb_login() steps tried */
	char *cookie;          /* Buildbot's session after a login */
	long connect_timeout_ms, timeout_ms;
	int verbose;
	long last_status;      /* HTTP status of the last answer */
	struct try_strlist apply_steps;
	int log_lines;         /* try.logLines; 0: all */
	struct bb_job *jobs;   /* parallel to the result's jobs */
	size_t nr, alloc;
};

static void bb_free(void *p)
{
	struct bb_state *st = p;

	if (!st)
		return;
	free(st->base);
	free(st->web);
	free(st->user);
	free(st->cookie);
	if (st->password) {
		memset(st->password, 0, strlen(st->password));
		free(st->password);
	}
	try_strlist_release(&st->apply_steps);
	free(st->jobs);
	free(st);
}

/*
 * Logs in, step `step` (1 or 2).  Buildbot's REST API does not look at
 * credentials itself: it trusts a session cookie.  Step 1 asks for the web
 * page with the credentials: behind a reverse proxy that authenticates
 * (Buildbot's RemoteUserAuth), the page's answer carries a session for the
 * user.  Step 2 is Buildbot's own login (auth/login, for UserPasswordAuth
 * and HTPasswdAuth); it answers with a redirect, and the session cookie
 * comes only if the HTTP layer keeps cookies of redirects.
 */
static int bb_login(struct bb_state *st, int step)
{
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	struct try_http_header headers[2] = { { NULL, NULL }, { NULL, NULL } };
	struct try_http_request req;
	struct try_buf url = TRY_BUF_INIT;
	char *cookie;
	int ret = -1;

	try_buf_addf(&url, "%s%s", st->base, step == 1 ? "" : "auth/login");
	if (st->cookie)
		headers[0] = (struct try_http_header){ "Cookie", st->cookie };
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url.ptr;
	req.headers = headers;
	req.user = st->user;
	req.password = st->password;
	req.connect_timeout_ms = st->connect_timeout_ms;
	req.timeout_ms = st->timeout_ms;
	req.verbose = st->verbose;
	req.what = "buildbot";
	if (try_http_perform(&res, &req) < 0)
		goto done;
	if (res.status >= 400) {
		try_http_error_status("buildbot", &res);
		try_error_set("%s (logging in as '%s' with the credentials "
			      "from 'git credential fill' or TRY_TOKEN)",
			      try_error_last(),
			      st->user ? st->user : "");
		goto done;
	}
	cookie = try_http_cookies(&res);
	if (cookie) {
		free(st->cookie);
		st->cookie = cookie;
	}
	ret = 0;
done:
	try_http_response_release(&res);
	try_buf_release(&url);
	return ret;
}

/*
 * One request to the REST API at `path` (below api/v2/); `res` gets the
 * answer when it is a 200.  A 401 or 403 makes it ask for credentials
 * (once) and send them, then log in (bb_login's steps, once each) and try
 * again.  -1 with a message otherwise.
 */
static int bb_request(struct try_http_response *res, struct bb_state *st,
		      const char *method, const char *path, const char *body,
		      size_t body_len)
{
	struct try_http_header headers[4];
	struct try_http_request req;
	struct try_buf url = TRY_BUF_INIT;
	json_error_t jerr;
	size_t nh;
	int ret = -1;

	try_buf_addf(&url, "%sapi/v2/%s", st->base, path);
	for (;;) {
		nh = 0;
		headers[nh++] = (struct try_http_header){ "Accept",
							  "application/json" };
		if (body)
			headers[nh++] = (struct try_http_header){
				"Content-Type", "application/json" };
		if (st->cookie)
			headers[nh++] = (struct try_http_header){
				"Cookie", st->cookie };
		headers[nh] = (struct try_http_header){ NULL, NULL };
		memset(&req, 0, sizeof(req));
		req.method = method;
		req.url = url.ptr;
		req.headers = headers;
		req.body = body;
		req.body_len = body_len;
		req.user = st->user;
		req.password = st->password;
		req.connect_timeout_ms = st->connect_timeout_ms;
		req.timeout_ms = st->timeout_ms;
		req.verbose = st->verbose;
		req.what = "buildbot";
		st->last_status = 0;
		if (try_http_perform(res, &req) < 0)
			goto done;
		st->last_status = res->status;
		if (res->status != 401 && res->status != 403)
			break;
		if (!st->have_credentials) {
			st->have_credentials = 1;
			if (try_http_credentials(&st->user, &st->password,
						 st->base) < 0)
				goto done;
			if (st->user || st->password)
				continue;
			break;
		}
		if (!st->user && !st->password)
			break;
		if (st->login_steps < 2) {
			if (bb_login(st, ++st->login_steps) < 0)
				goto done;
			continue;
		}
		break;
	}
	if (res->status == 401 || res->status == 403) {
		try_http_error_status("buildbot", res);
		if (!st->user && !st->password)
			try_error_set("%s (no credentials: 'git credential "
				      "fill' knows none for %s, and TRY_TOKEN "
				      "is not set)", try_error_last(), st->web);
		else
			try_error_set("%s (as '%s'; Buildbot's REST API needs "
				      "a reverse proxy that authenticates, see "
				      "contrib/buildbot/master.cfg)",
				      try_error_last(),
				      st->user ? st->user : "");
		goto done;
	}
	if (res->status != 200) {
		/* a JSON-RPC error object says more than the status */
		json_t *j = json_loadb(res->body.ptr, res->body.len, 0, &jerr);
		json_t *e = json_object_get(json_object_get(j, "error"),
					    "message");
		if (json_is_string(e))
			try_error_set("buildbot: HTTP %ld: %s", res->status,
				      json_string_value(e));
		else
			try_http_error_status("buildbot", res);
		json_decref(j);
		goto done;
	}
	ret = 0;
done:
	try_buf_release(&url);
	return ret;
}

/* bb_request() with the answer parsed as JSON into `*out`. */
static int bb_call(json_t **out, struct bb_state *st, const char *method,
		   const char *path, const char *body, size_t body_len)
{
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	json_error_t jerr;
	int ret = -1;

	*out = NULL;
	if (bb_request(&res, st, method, path, body, body_len) < 0)
		goto done;
	*out = json_loadb(res.body.ptr, res.body.len, 0, &jerr);
	if (!*out) {
		try_error_set("buildbot: %s: answer is not JSON: %s", path,
			      jerr.text);
		goto done;
	}
	ret = 0;
done:
	try_http_response_release(&res);
	return ret;
}

static long long jint(const json_t *obj, const char *key, long long dflt)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

static const char *jstr(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The first element of the collection `name` of an answer, or NULL. */
static json_t *first(json_t *answer, const char *name)
{
	return json_array_get(json_object_get(answer, name), 0);
}

static void build_url(struct try_ci_job *job, const struct bb_state *st,
		      const json_t *build)
{
	struct try_buf url = TRY_BUF_INIT;

	try_buf_addf(&url, "%s#/builders/%lld/builds/%lld", st->web,
		     jint(build, "builderid", 0), jint(build, "number", 0));
	try_ci_set(&job->url, url.ptr);
	try_buf_release(&url);
}

static int is_apply_step(const struct bb_state *st, const char *name)
{
	size_t i;

	for (i = 0; name && i < st->apply_steps.nr; i++)
		if (!strcmp(st->apply_steps.items[i], name))
			return 1;
	return 0;
}

/* The line at `p` (up to its newline), trimmed, into `out`. */
static void add_line(struct try_buf *out, const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t len = (size_t)((nl ? nl : end) - p);

	while (len && (p[len - 1] == '\r' || p[len - 1] == ' '))
		len--;
	try_buf_add(out, p, len > 200 ? 200 : len);
}

/*
 * Why the checkout step failed, from its log: the Git step logs each git
 * command it runs as " argv: [b'git', b'apply', ...]" followed by the
 * command's output.  The last command is the one that failed.
 */
static void explain_apply_step(struct try_buf *detail, struct bb_state *st,
			       long long stepid)
{
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	struct try_buf path = TRY_BUF_INIT;
	const char *log, *end, *argv = NULL, *p, *err = NULL;

	try_buf_addf(&path, "steps/%lld/logs/stdio/raw", stepid);
	if (bb_request(&res, st, "GET", path.ptr, NULL, 0) < 0) {
		/* the verdict stands without the explanation */
		try_error_clear();
		goto done;
	}
	log = res.body.ptr;
	end = log + res.body.len;
	for (p = log; (p = memmem(p, (size_t)(end - p), "\n argv: [", 9));
	     p++)
		argv = p + 1;
	if (!argv)
		goto done;
	for (p = argv; p < end; p++) {
		if ((p == argv || p[-1] == '\n') &&
		    (size_t)(end - p) > 7 &&
		    (!memcmp(p, "error: ", 7) || !memcmp(p, "fatal: ", 7))) {
			err = p;
			break;
		}
	}
	{
		const char *nl = memchr(argv, '\n', (size_t)(end - argv));
		int apply = memmem(argv, (size_t)((nl ? nl : end) - argv),
				   "'apply'", 7) != NULL;

		try_buf_adds(detail, apply ? ": git apply failed"
				   : ": the checkout failed (is the base "
				     "pushed?)");
	}
	if (err) {
		try_buf_adds(detail, ": ");
		add_line(detail, err, end);
	}
done:
	try_http_response_release(&res);
	try_buf_release(&path);
}

/*
 * The end of step `stepid`'s log (its "stdio", else its first): the last
 * st->log_lines lines without Buildbot's own header lines, or all of it,
 * into the job, with the raw log's URL.  Without it the verdict stands:
 * errors are forgotten.
 */
static void fetch_log(struct try_ci_job *job, struct bb_state *st,
		      long long stepid)
{
	struct try_http_response raw = TRY_HTTP_RESPONSE_INIT;
	struct try_buf path = TRY_BUF_INIT, out = TRY_BUF_INIT;
	json_t *logs = NULL, *log = NULL, *chunks = NULL, *l;
	const char *content, *p, *type;
	long long logid, lines, first_line, want;
	size_t i;

	try_buf_addf(&path, "steps/%lld/logs", stepid);
	if (bb_call(&logs, st, "GET", path.ptr, NULL, 0) < 0)
		goto done;
	json_array_foreach(json_object_get(logs, "logs"), i, l) {
		if (!log || (jstr(l, "slug") && !strcmp(jstr(l, "slug"),
							 "stdio")))
			log = l;
	}
	if (!log)
		goto done;
	logid = jint(log, "logid", 0);
	lines = jint(log, "num_lines", 0);
	type = jstr(log, "type");
	try_buf_reset(&path);
	try_buf_addf(&path, "%sapi/v2/logs/%lld/raw", st->web, logid);
	try_ci_set(&job->log_url, path.ptr);
	try_buf_reset(&path);
	if (!st->log_lines) {
		try_buf_addf(&path, "logs/%lld/raw", logid);
		if (bb_request(&raw, st, "GET", path.ptr, NULL, 0) < 0)
			goto done;
		try_buf_add(&out, raw.body.ptr, raw.body.len);
		if (out.len && out.ptr[out.len - 1] != '\n')
			try_buf_addch(&out, '\n');
		try_ci_set(&job->log, out.ptr);
		goto done;
	}
	/* a few more than asked: Buildbot's header lines are left out */
	want = st->log_lines + 20;
	first_line = lines > want ? lines - want : 0;
	try_buf_addf(&path, "logs/%lld/contents?offset=%lld&limit=%lld",
		     logid, first_line, want);
	if (bb_call(&chunks, st, "GET", path.ptr, NULL, 0) < 0)
		goto done;
	content = jstr(first(chunks, "logchunks"), "content");
	for (p = content; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		int stdio = type && !strcmp(type, "s");

		/* stdio lines start with o (out), e (err) or h (header) */
		if (!stdio || (len && *p != 'h')) {
			try_buf_add(&out, p + (stdio ? 1 : 0),
				    len - (stdio ? 1 : 0));
			try_buf_addch(&out, '\n');
		}
		p = end ? end + 1 : p + len;
	}
	try_ci_set_log_tail(&job->log, out.ptr, out.len, st->log_lines);
done:
	try_error_clear();
	json_decref(logs);
	json_decref(chunks);
	try_http_response_release(&raw);
	try_buf_release(&path);
	try_buf_release(&out);
}

/*
 * A failed build: which step failed decides between "the patch did not
 * apply" (the checkout step) and "the tests failed".
 */
static int judge_failure(struct try_ci_job *job, struct bb_state *st,
			 long long buildid, long long results)
{
	struct try_buf path = TRY_BUF_INIT, detail = TRY_BUF_INIT;
	json_t *steps = NULL, *step, *bad = NULL;
	const char *name;
	size_t i;
	int ret = -1;

	try_buf_addf(&path, "builds/%lld/steps", buildid);
	if (bb_call(&steps, st, "GET", path.ptr, NULL, 0) < 0)
		goto done;
	json_array_foreach(json_object_get(steps, "steps"), i, step) {
		long long r = jint(step, "results", -1);
		if (r == BB_FAILURE || r == BB_EXCEPTION ||
		    r == BB_CANCELLED) {
			bad = step;
			break;
		}
	}
	name = bad && jstr(bad, "name") ? jstr(bad, "name") : "?";
	try_ci_set(&job->step, bad ? name : NULL);
	if (bad)
		fetch_log(job, st, jint(bad, "stepid", 0));
	if (bad && is_apply_step(st, jstr(bad, "name")) &&
	    results == BB_FAILURE) {
		job->state = TRY_CI_NOT_APPLIED;
		try_buf_addf(&detail, "step '%s' failed", jstr(bad, "name"));
		explain_apply_step(&detail, st, jint(bad, "stepid", 0));
		try_ci_set(&job->detail, detail.ptr);
		ret = 0;
		goto done;
	} else if (results == BB_FAILURE) {
		job->state = TRY_CI_FAILED;
		if (bad)
			try_buf_addf(&detail, "step '%s' failed", name);
	} else {
		job->state = TRY_CI_ERROR;
		try_buf_adds(&detail, results == BB_EXCEPTION ?
			     "exception" : "cancelled");
		if (bad)
			try_buf_addf(&detail, " in step '%s'", name);
	}
	if (bad && jstr(bad, "state_string"))
		try_buf_addf(&detail, ": %s", jstr(bad, "state_string"));
	try_ci_set(&job->detail, detail.len ? detail.ptr : NULL);
	ret = 0;
done:
	json_decref(steps);
	try_buf_release(&path);
	try_buf_release(&detail);
	return ret;
}

/* Refreshes one job from its build request and builds. */
static int refresh(struct try_ci_job *job, struct bb_job *bj,
		   struct bb_state *st)
{
	struct try_buf path = TRY_BUF_INIT;
	json_t *builds = NULL, *br = NULL, *b, *last = NULL;
	long long results;
	size_t i;
	int ret = -1;

	try_buf_addf(&path, "builds?buildrequestid=%lld", bj->brid);
	if (bb_call(&builds, st, "GET", path.ptr, NULL, 0) < 0)
		goto done;
	/* a retried build leaves the old one behind: follow the newest */
	json_array_foreach(json_object_get(builds, "builds"), i, b) {
		if (!last || jint(b, "buildid", 0) > jint(last, "buildid", 0))
			last = b;
	}
	if (!last) {
		/* not started: still queued, or cancelled before it ran */
		try_buf_reset(&path);
		try_buf_addf(&path, "buildrequests/%lld", bj->brid);
		if (bb_call(&br, st, "GET", path.ptr, NULL, 0) < 0)
			goto done;
		b = first(br, "buildrequests");
		if (json_is_true(json_object_get(b, "complete"))) {
			job->state = TRY_CI_ERROR;
			try_ci_set(&job->detail, jint(b, "results", -1) ==
				   BB_CANCELLED ? "cancelled before it started"
				   : "ended without a build");
		} else {
			job->state = TRY_CI_QUEUED;
		}
		ret = 0;
		goto done;
	}
	bj->buildid = jint(last, "buildid", 0);
	build_url(job, st, last);
	results = jint(last, "results", -1);
	if (!json_is_true(json_object_get(last, "complete")) ||
	    results == BB_RETRY) {
		/* a retry: Buildbot queues a new build for the request */
		job->state = results == BB_RETRY ? TRY_CI_QUEUED
						 : TRY_CI_RUNNING;
		try_ci_set(&job->detail, jstr(last, "state_string"));
		ret = 0;
		goto done;
	}
	switch (results) {
	case BB_SUCCESS:
	case BB_WARNINGS:
		job->state = TRY_CI_PASSED;
		try_ci_set(&job->detail, results == BB_WARNINGS ? "warnings"
								: NULL);
		ret = 0;
		break;
	case BB_SKIPPED:
		job->state = TRY_CI_ERROR;
		try_ci_set(&job->detail, "skipped");
		ret = 0;
		break;
	default:
		ret = judge_failure(job, st, bj->buildid, results);
		break;
	}
done:
	json_decref(builds);
	json_decref(br);
	try_buf_release(&path);
	return ret;
}

static int bb_poll(void *state, struct try_ci_result *res)
{
	struct bb_state *st = state;
	size_t i;

	for (i = 0; i < st->nr && i < res->nr; i++) {
		if (try_ci_state_final(res->jobs[i].state))
			continue;
		if (refresh(&res->jobs[i], &st->jobs[i], st) < 0)
			return -1;
	}
	if (res->nr == 1)
		try_ci_set(&res->url, res->jobs[0].url);
	return 0;
}

/* 1 when a field named `full_name` is in the spec `fields`, recursively. */
static int has_field(const json_t *fields, const char *full_name)
{
	const json_t *f;
	size_t i;

	json_array_foreach(fields, i, f) {
		const char *n = jstr(f, "fullName");
		if ((n && !strcmp(n, full_name)) ||
		    has_field(json_object_get(f, "fields"), full_name))
			return 1;
	}
	return 0;
}

/*
 * Before sending anything: the scheduler exists, is enabled, takes a
 * patch (else Buildbot would build the base without it and call that
 * green), and has the builders asked for.
 */
static int check_scheduler(struct bb_state *st,
			   const struct try_ci_settings *s, const char *name)
{
	struct try_buf path = TRY_BUF_INIT, known = TRY_BUF_INIT;
	json_t *answer = NULL, *sched, *names, *n;
	size_t i, j;
	int ret = -1;

	try_buf_addf(&path, "forceschedulers/%s", name);
	if (bb_call(&answer, st, "GET", path.ptr, NULL, 0) < 0) {
		if (st->last_status == 404)
			try_error_set("buildbot: no force scheduler '%s' at %s "
				      "(try.scheduler)", name, st->web);
		goto done;
	}
	sched = first(answer, "forceschedulers");
	if (!sched) {
		try_error_set("buildbot: no force scheduler '%s' at %s "
			      "(try.scheduler)", name, st->web);
		goto done;
	}
	if (json_is_false(json_object_get(sched, "enabled"))) {
		try_error_set("buildbot: the scheduler '%s' is disabled", name);
		goto done;
	}
	if (!has_field(json_object_get(sched, "all_fields"), "patch_body")) {
		try_error_set("buildbot: the scheduler '%s' takes no patch: "
			      "its codebase needs patch=util.PatchParameter() "
			      "(contrib/buildbot/master.cfg)", name);
		goto done;
	}
	names = json_object_get(sched, "builder_names");
	for (i = 0; i < s->builders.nr; i++) {
		int found = 0;
		json_array_foreach(names, j, n) {
			if (json_is_string(n) &&
			    !strcmp(json_string_value(n), s->builders.items[i]))
				found = 1;
		}
		if (!found) {
			json_array_foreach(names, j, n) {
				try_buf_addf(&known, "%s%s", j ? ", " : "",
					     json_is_string(n) ?
					     json_string_value(n) : "?");
			}
			try_error_set("buildbot: builder '%s' (-b or "
				      "try.builders) "
				      "is not one of scheduler '%s': %s",
				      s->builders.items[i], name, known.ptr);
			goto done;
		}
	}
	ret = 0;
done:
	json_decref(answer);
	try_buf_release(&path);
	try_buf_release(&known);
	return ret;
}

static int cmp_job(const void *a, const void *b)
{
	const struct bb_job *x = a, *y = b;

	return x->builderid < y->builderid ? -1 : x->builderid > y->builderid;
}

static json_t *text(const char *s, size_t len)
{
	return json_stringn(s ? s : "", s ? len : 0);
}

/* A new state for talking to the master of `s`, into `*out`. */
static int bb_state_new(struct bb_state **out,
			const struct try_ci_settings *s)
{
	struct bb_state *st;
	struct try_buf url = TRY_BUF_INIT;
	size_t i;

	*out = NULL;
	if (!s->url || !*s->url) {
		try_error_set("try.url is not set: the Buildbot master's URL, "
			      "e.g. http://buildbot.example.com:8010/");
		return -1;
	}
	st = try_xcalloc(1, sizeof(*st));
	try_buf_adds(&url, s->url);
	if (url.ptr[url.len - 1] != '/')
		try_buf_addch(&url, '/');
	st->base = try_buf_detach(&url);
	{
		/* never a password in a URL we print */
		char *shown = try_http_url_display(st->base);
		try_buf_adds(&url, shown);
		free(shown);
		if (!url.len || url.ptr[url.len - 1] != '/')
			try_buf_addch(&url, '/');
		st->web = try_buf_detach(&url);
	}
	st->connect_timeout_ms = s->connect_timeout_ms;
	st->timeout_ms = s->timeout_ms;
	st->verbose = s->verbose;
	st->log_lines = s->log_lines;
	for (i = 0; i < s->apply_steps.nr; i++)
		try_strlist_add(&st->apply_steps, s->apply_steps.items[i]);
	if (!st->apply_steps.nr)
		try_strlist_add(&st->apply_steps, "git");
	*out = st;
	return 0;
}

static int bb_submit(void **state, const struct try_ci_settings *s,
		     const struct try_ci_request *req,
		     struct try_ci_result *res)
{
	struct bb_state *st = NULL;
	struct try_buf path = TRY_BUF_INIT, url = TRY_BUF_INIT;
	json_t *body = NULL, *params, *names, *answer = NULL, *map, *v;
	const char *key;
	char *dump = NULL;
	size_t i;
	int ret = -1;

	*state = NULL;
	if (bb_state_new(&st, s) < 0)
		goto done;
	params = json_object();
	body = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1,
			 "method", "force", "params", params);
	if (!body) {
		json_decref(params);
		try_error_set("buildbot: cannot build the request");
		goto done;
	}
	if (s->builders.nr) {
		names = json_array();
		for (i = 0; i < s->builders.nr; i++) {
			const char *b = s->builders.items[i];
			json_array_append_new(names, json_string(b));
		}
		json_object_set_new(params, "builderNames", names);
	}
	/* json_stringn refuses what is not UTF-8: the patch is made UTF-8 */
	v = text(req->patch, req->patch_len);
	if (!v) {
		try_error_set("buildbot: the patch is not UTF-8 text");
		goto done;
	}
	json_object_set_new(params, "patch_body", v);
	json_object_set_new(params, "patch_level", json_integer(1));
	json_object_set_new(params, "revision", json_string(req->base));
	json_object_set_new(params, "branch", json_string(req->branch));
	if (req->reason) {
		json_object_set_new(params, "reason",
				    text(req->reason, strlen(req->reason)));
		json_object_set_new(params, "patch_comment",
				    text(req->reason, strlen(req->reason)));
	}
	if (req->author) {
		json_object_set_new(params, "owner",
				    text(req->author, strlen(req->author)));
		json_object_set_new(params, "patch_author",
				    text(req->author, strlen(req->author)));
	}
	dump = json_dumps(body, JSON_COMPACT);
	if (!dump) {
		try_error_set("buildbot: cannot build the request");
		goto done;
	}

	if (check_scheduler(st, s, s->scheduler ? s->scheduler : "try") < 0)
		goto done;
	try_buf_addf(&path, "forceschedulers/%s", s->scheduler ? s->scheduler
								: "try");
	if (bb_call(&answer, st, "POST", path.ptr, dump, strlen(dump)) < 0)
		goto done;
	if (json_object_get(answer, "error")) {
		const char *m = jstr(json_object_get(answer, "error"),
				     "message");
		try_error_set("buildbot: force refused: %s", m ? m : "?");
		goto done;
	}
	map = json_array_get(json_object_get(answer, "result"), 1);
	if (!json_is_object(map) || !json_object_size(map)) {
		try_error_set("buildbot: the force started no build (do the "
			      "builders in try.builders exist?)");
		goto done;
	}
	json_object_foreach(map, key, v) {
		struct bb_job *bj;

		TRY_ARRAY_GROW(st->jobs, st->nr + 1, st->alloc);
		bj = &st->jobs[st->nr++];
		bj->builderid = strtoll(key, NULL, 10);
		bj->brid = json_integer_value(v);
		bj->buildid = 0;
	}
	qsort(st->jobs, st->nr, sizeof(*st->jobs), cmp_job);

	for (i = 0; i < st->nr; i++) {
		struct try_ci_job *job;
		json_t *builder = NULL;
		const char *name;

		try_buf_reset(&path);
		try_buf_addf(&path, "builders/%lld", st->jobs[i].builderid);
		if (bb_call(&builder, st, "GET", path.ptr, NULL, 0) < 0)
			goto done;
		name = jstr(first(builder, "builders"), "name");
		try_buf_reset(&path);
		if (!name) {
			try_buf_addf(&path, "builder %lld",
				     st->jobs[i].builderid);
			name = path.ptr;
		}
		job = try_ci_result_add(res, name);
		json_decref(builder);
		try_buf_reset(&path);
		try_buf_addf(&path, "%s#/buildrequests/%lld", st->web,
			     st->jobs[i].brid);
		try_ci_set(&job->url, path.ptr);
		try_buf_reset(&path);
		try_buf_addf(&path, "%lld:%lld", st->jobs[i].builderid,
			     st->jobs[i].brid);
		try_ci_set(&job->handle, path.ptr);
	}
	if (res->nr == 1)
		try_ci_set(&res->url, res->jobs[0].url);
	*state = st;
	st = NULL;
	ret = 0;
done:
	free(dump);
	json_decref(body);
	json_decref(answer);
	try_buf_release(&path);
	try_buf_release(&url);
	bb_free(st);
	return ret;
}

static int bb_resume(void **state, const struct try_ci_settings *s,
		     struct try_ci_result *res)
{
	struct bb_state *st = NULL;
	size_t i;

	*state = NULL;
	if (bb_state_new(&st, s) < 0)
		return -1;
	for (i = 0; i < res->nr; i++) {
		const char *h = res->jobs[i].handle;
		struct bb_job *bj;
		char *end;

		TRY_ARRAY_GROW(st->jobs, st->nr + 1, st->alloc);
		bj = &st->jobs[st->nr++];
		memset(bj, 0, sizeof(*bj));
		if (h) {
			bj->builderid = strtoll(h, &end, 10);
			if (*end == ':')
				bj->brid = strtoll(end + 1, &end, 10);
		}
		if (!h || *end || bj->builderid <= 0 || bj->brid <= 0) {
			try_error_set("buildbot: job '%s' has no build request "
				      "recorded", res->jobs[i].name);
			bb_free(st);
			return -1;
		}
	}
	*state = st;
	return 0;
}

static int bb_list_builders(struct try_strlist *out,
			    const struct try_ci_settings *s)
{
	struct bb_state *st = NULL;
	struct try_buf path = TRY_BUF_INIT;
	json_t *answer = NULL, *n;
	size_t i;
	int ret = -1;

	if (bb_state_new(&st, s) < 0)
		return -1;
	try_buf_addf(&path, "forceschedulers/%s", s->scheduler ? s->scheduler
								: "try");
	if (bb_call(&answer, st, "GET", path.ptr, NULL, 0) < 0) {
		if (st->last_status == 404)
			try_error_set("buildbot: no force scheduler '%s' at %s "
				      "(try.scheduler)", s->scheduler, st->web);
		goto done;
	}
	json_array_foreach(json_object_get(first(answer, "forceschedulers"),
					   "builder_names"), i, n) {
		if (json_is_string(n))
			try_strlist_add(out, json_string_value(n));
	}
	ret = 0;
done:
	json_decref(answer);
	try_buf_release(&path);
	bb_free(st);
	return ret;
}

const struct try_ci_backend try_ci_buildbot = {
	.name = "buildbot",
	.submit = bb_submit,
	.poll = bb_poll,
	.free_state = bb_free,
	.resume = bb_resume,
	.list_builders = bb_list_builders,
	.own_command = 1,
};
