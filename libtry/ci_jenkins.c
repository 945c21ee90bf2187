/*
 * The Jenkins backend: buildWithParameters on try.job with the patch as the
 * file parameter `patch.diff` and string parameters `base` and `branch`,
 * then the queue item, then the build, then its result.  Only Jenkins'
 * documented REST API is used (docs/try.md ("`jenkins` and `webhook`: over HTTP")); a Jenkins server
 * cannot run in the test environment, so tests/e2e/servers/fake-jenkins.py
 * answers as that documentation says.
 */
#include "libtry/buf.h"
#include "libtry/ci.h"
#include "libtry/error.h"
#include "libtry/http.h"
#include "libtry/report.h"

#include <assert.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define WHAT "jenkins"
/* A line of the console log (or the build description) saying so. */
#define PATCH_FAILED_MARKER "TRY-PATCH-FAILED"
/* How much of a failed build's log is searched for the marker. */
#define LOG_SCAN_MAX (16u << 20)

struct jenkins {
	char *base;        /* try.url without the trailing slash */
	char *job;         /* try.job as configured: "team/try" */
	char *job_path;    /* "/job/team/job/try" */
	char *user, *password;
	char *crumb_field, *crumb, *cookie;
	long connect_timeout_ms, timeout_ms;
	int verbose;
	long queue_item;   /* 0: not known */
	long number;       /* build number, 0 until it started */
	char *build_url;   /* Jenkins' own URL of the build */
	int log_lines;     /* try.logLines; 0: all */
};

static void jenkins_free(void *p)
{
	struct jenkins *j = p;

	if (!j)
		return;
	free(j->base);
	free(j->job);
	free(j->job_path);
	free(j->user);
	if (j->password)
		memset(j->password, 0, strlen(j->password));
	free(j->password);
	free(j->crumb_field);
	free(j->crumb);
	free(j->cookie);
	free(j->build_url);
	free(j);
}

/* --- requests --- */

static void request_init(struct try_http_request *req, struct jenkins *j,
			 const char *method, const char *url)
{
	memset(req, 0, sizeof(*req));
	req->method = method;
	req->url = url;
	req->what = WHAT;
	req->user = j->user;
	req->password = j->password;
	req->connect_timeout_ms = j->connect_timeout_ms;
	req->timeout_ms = j->timeout_ms;
	req->verbose = j->verbose;
}

/* "/job/a/job/b" for "a/b", each name escaped. */
static char *job_path(const char *job)
{
	struct try_buf b = TRY_BUF_INIT;
	const char *p = job;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (len) {
			char *esc = curl_easy_escape(NULL, p, (int)len);
			try_buf_addf(&b, "/job/%s", esc ? esc : "");
			curl_free(esc);
		}
		p += len;
		if (*p == '/')
			p++;
	}
	return try_buf_detach(&b);
}

/*
 * Jenkins API tokens are 32 hex digits (legacy) or "11" and 32 more (since
 * 2.129).  Anything else is taken for a password, which needs a crumb.
 */
static int looks_like_api_token(const char *s)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') ||
		      (s[n] >= 'a' && s[n] <= 'f')))
			return 0;
	return n == 32 || n == 34;
}

/* Adds a hint to the message of a refused request, where one helps. */
static int refused(struct jenkins *j, const struct try_http_response *res)
{
	char *shown = try_http_url_display(j->base);

	try_http_error_status(WHAT, res);
	if (res->status == 404)
		try_error_set("%s (is try.job '%s' a job at %s?)",
			      try_error_last(), j->job, shown);
	else if ((res->status == 401 || res->status == 403) && !j->password)
		try_error_set("%s (no credentials for %s: set TRY_TOKEN or a "
			      "git credential helper)", try_error_last(),
			      shown);
	free(shown);
	return -1;
}

static json_t *parse_json(const struct try_http_response *res,
			  const char *what)
{
	json_error_t err;
	json_t *root = json_loadb(res->body.ptr, res->body.len, 0, &err);

	if (!root || !json_is_object(root)) {
		try_error_set("%s: %s is not a JSON object: %s", WHAT, what,
			      root ? "wrong type" : err.text);
		json_decref(root);
		return NULL;
	}
	return root;
}

/*
 * GET /crumbIssuer/api/json: the crumb and the session cookie it belongs
 * to.  A 404 means CSRF protection is off: no crumb needed.
 */
static int fetch_crumb(struct jenkins *j)
{
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	struct try_http_request req;
	struct try_buf url = TRY_BUF_INIT;
	json_t *root = NULL;
	const char *field, *crumb;
	int ret = -1;

	try_buf_addf(&url, "%s/crumbIssuer/api/json", j->base);
	request_init(&req, j, "GET", url.ptr);
	if (try_http_perform(&res, &req) < 0)
		goto done;
	if (res.status == 404) {
		ret = 0;
		goto done;
	}
	if (res.status != 200) {
		refused(j, &res);
		goto done;
	}
	root = parse_json(&res, "the crumb issuer's answer");
	if (!root)
		goto done;
	field = json_string_value(json_object_get(root, "crumbRequestField"));
	crumb = json_string_value(json_object_get(root, "crumb"));
	if (!field || !crumb || !*field || strpbrk(field, ":\r\n") ||
	    strpbrk(crumb, "\r\n")) {
		try_error_set("%s: the crumb issuer's answer has no crumb", WHAT);
		goto done;
	}
	try_ci_set(&j->crumb_field, field);
	try_ci_set(&j->crumb, crumb);
	free(j->cookie);
	j->cookie = try_http_cookies(&res);
	ret = 0;
done:
	json_decref(root);
	try_buf_release(&url);
	try_http_response_release(&res);
	return ret;
}

/* The queue item number of a Location ".../queue/item/<n>/", or 0. */
static long queue_item_of(const char *location)
{
	const char *p = location ? strstr(location, "/queue/item/") : NULL;
	char *end;
	long n;

	if (!p)
		return 0;
	n = strtol(p + strlen("/queue/item/"), &end, 10);
	return n > 0 && (*end == '/' || !*end) ? n : 0;
}

static int post_build(struct jenkins *j, const struct try_ci_request *r,
		      struct try_http_response *res, const char *url)
{
	struct try_http_part parts[6];
	struct try_http_header headers[3];
	struct try_http_request req;
	struct try_buf author = TRY_BUF_INIT, reason = TRY_BUF_INIT;
	size_t n = 0, h = 0;
	int ret;

	memset(parts, 0, sizeof(parts));
	memset(headers, 0, sizeof(headers));
	parts[n].name = "patch.diff";
	parts[n].filename = "patch.diff";
	parts[n].data = r->patch;
	parts[n].len = r->patch_len;
	parts[n++].content_type = "application/octet-stream";
	parts[n].name = "base";
	parts[n].data = r->base;
	parts[n++].len = strlen(r->base);
	parts[n].name = "branch";
	parts[n].data = r->branch;
	parts[n++].len = strlen(r->branch);
	/* for jobs that define them; Jenkins ignores the others */
	if (r->id) {
		parts[n].name = "try_id";
		parts[n].data = r->id;
		parts[n++].len = strlen(r->id);
	}
	if (r->author) {
		try_report_add_utf8(&author, r->author, strlen(r->author));
		parts[n].name = "author";
		parts[n].data = author.ptr;
		parts[n].len = author.len;
		parts[n++].content_type = "text/plain; charset=UTF-8";
	}
	if (r->reason) {
		try_report_add_utf8(&reason, r->reason, strlen(r->reason));
		parts[n].name = "reason";
		parts[n].data = reason.ptr;
		parts[n].len = reason.len;
		parts[n++].content_type = "text/plain; charset=UTF-8";
	}
	if (j->crumb) {
		headers[h].name = j->crumb_field;
		headers[h++].value = j->crumb;
	}
	if (j->cookie) {
		headers[h].name = "Cookie";
		headers[h++].value = j->cookie;
	}
	request_init(&req, j, "POST", url);
	req.parts = parts;
	req.nparts = n;
	req.headers = headers;
	ret = try_http_perform(res, &req);
	try_buf_release(&author);
	try_buf_release(&reason);
	return ret;
}

static int is_crumb_refusal(const struct try_http_response *res)
{
	char *text;
	int crumb;

	if (res->status != 403)
		return 0;
	text = try_http_error_text(res);
	crumb = strstr(text, "crumb") != NULL;
	free(text);
	return crumb;
}

static int jenkins_submit(void **state, const struct try_ci_settings *s,
			  const struct try_ci_request *r,
			  struct try_ci_result *res)
{
	struct jenkins *j = try_xcalloc(1, sizeof(*j));
	struct try_http_response answer = TRY_HTTP_RESPONSE_INIT;
	struct try_buf url = TRY_BUF_INIT, page = TRY_BUF_INIT;
	struct try_ci_job *job;
	int ret = -1;
	size_t len;

	*state = NULL;
	if (!s->url || !*s->url) {
		try_error_set("%s: try.url is not set (the Jenkins URL)", WHAT);
		goto done;
	}
	if (!s->job || !*s->job) {
		try_error_set("%s: try.job is not set (the job to run)", WHAT);
		goto done;
	}
	/* the user name in try.url is for the credentials only */
	j->base = try_http_url_display(s->url);
	len = strlen(j->base);
	while (len && j->base[len - 1] == '/')
		j->base[--len] = '\0';
	j->job = try_xstrdup(s->job);
	j->job_path = job_path(s->job);
	j->connect_timeout_ms = s->connect_timeout_ms;
	j->timeout_ms = s->timeout_ms;
	j->verbose = s->verbose;
	j->log_lines = s->log_lines;
	if (try_http_credentials(&j->user, &j->password, s->url) < 0) {
		try_error_set("%s: %s", WHAT, try_error_last());
		goto done;
	}

	/*
	 * An API token is exempt from CSRF crumbs; a password or anonymous
	 * access needs one, and asking first spares sending the patch twice.
	 */
	if ((!j->password || !looks_like_api_token(j->password)) &&
	    fetch_crumb(j) < 0)
		goto done;
	try_buf_addf(&url, "%s%s/buildWithParameters?delay=0sec", j->base,
		     j->job_path);
	if (post_build(j, r, &answer, url.ptr) < 0)
		goto done;
	if (is_crumb_refusal(&answer) && !j->crumb) {
		/* a token taken for a password, or the other way round */
		if (fetch_crumb(j) < 0)
			goto done;
		if (j->crumb) {
			try_http_response_release(&answer);
			if (post_build(j, r, &answer, url.ptr) < 0)
				goto done;
		}
	}
	if (answer.status < 200 || answer.status >= 300) {
		refused(j, &answer);
		goto done;
	}
	j->queue_item = queue_item_of(answer.location);
	if (!j->queue_item) {
		try_error_set("%s: HTTP %ld without a queue item (Location: %s)",
			      WHAT, answer.status,
			      answer.location ? answer.location : "none");
		goto done;
	}

	try_buf_addf(&page, "%s%s/", j->base, j->job_path);
	job = try_ci_result_add(res, j->job);
	job->state = TRY_CI_QUEUED;
	try_ci_set(&job->url, page.ptr);
	try_ci_set(&job->detail, "queued");
	try_ci_set(&res->url, page.ptr);
	*state = j;
	j = NULL;
	ret = 0;
done:
	jenkins_free(j);
	try_buf_release(&url);
	try_buf_release(&page);
	try_http_response_release(&answer);
	return ret;
}

/* GETs `url` and parses the JSON object answered into `*out`. */
static int get_json(json_t **out, struct jenkins *j, const char *url,
		    const char *what)
{
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	struct try_http_request req;
	int ret = -1;

	*out = NULL;
	request_init(&req, j, "GET", url);
	if (try_http_perform(&res, &req) < 0)
		goto done;
	if (res.status != 200) {
		refused(j, &res);
		goto done;
	}
	*out = parse_json(&res, what);
	ret = *out ? 0 : -1;
done:
	try_http_response_release(&res);
	return ret;
}

/*
 * The queue item: still waiting (`why`), cancelled, or left the queue for
 * a build (`executable.number`, `executable.url`).
 */
static int poll_queue(struct jenkins *j, struct try_ci_job *job,
		      struct try_ci_result *res)
{
	struct try_buf url = TRY_BUF_INIT;
	json_t *root = NULL, *exe;
	int ret = -1;

	try_buf_addf(&url, "%s/queue/item/%ld/api/json", j->base,
		     j->queue_item);
	if (get_json(&root, j, url.ptr, "the queue item") < 0)
		goto done;
	exe = json_object_get(root, "executable");
	if (json_is_true(json_object_get(root, "cancelled"))) {
		job->state = TRY_CI_ERROR;
		try_ci_set(&job->detail, "cancelled in the queue");
	} else if (json_is_object(exe) &&
		   json_integer_value(json_object_get(exe, "number")) > 0) {
		const char *u = json_string_value(json_object_get(exe, "url"));
		struct try_buf b = TRY_BUF_INIT;

		j->number = (long)json_integer_value(json_object_get(exe,
								     "number"));
		if (u && *u)
			try_buf_adds(&b, u);
		else
			try_buf_addf(&b, "%s%s/%ld/", j->base, j->job_path,
				     j->number);
		if (b.ptr[b.len - 1] != '/')
			try_buf_addch(&b, '/');
		free(j->build_url);
		j->build_url = try_buf_detach(&b);
		job->state = TRY_CI_RUNNING;
		try_ci_set(&job->detail, NULL);
		try_buf_addf(&b, "%sconsole", j->build_url);
		try_ci_set(&job->url, b.ptr);
		try_ci_set(&res->url, j->build_url);
		try_buf_release(&b);
	} else {
		const char *why = json_string_value(json_object_get(root,
								    "why"));
		struct try_buf d = TRY_BUF_INIT;

		job->state = TRY_CI_QUEUED;
		if (why)
			try_report_add_safe(&d, why, strlen(why), 100);
		try_ci_set(&job->detail, d.len ? d.ptr : "queued");
		try_buf_release(&d);
	}
	ret = 0;
done:
	json_decref(root);
	try_buf_release(&url);
	return ret;
}

/*
 * Whether `text` has a line saying the patch did not apply: it starts with
 * the marker (after a "[timestamp] " that the Timestamper plugin may add),
 * followed by the end of the line, a space or a colon.  What follows is
 * the reason, into `detail`.
 */
static int find_marker(struct try_buf *detail, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	size_t mlen = strlen(PATCH_FAILED_MARKER);

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *e = eol ? eol : end, *q = p;

		if (q < e && *q == '[') {
			const char *rb = memchr(q, ']', (size_t)(e - q));
			if (rb && rb + 1 < e && rb[1] == ' ')
				q = rb + 2;
		}
		if ((size_t)(e - q) >= mlen &&
		    !memcmp(q, PATCH_FAILED_MARKER, mlen) &&
		    (q + mlen == e || q[mlen] == ' ' || q[mlen] == ':' ||
		     q[mlen] == '\r')) {
			q += mlen;
			while (q < e && (*q == ':' || *q == ' '))
				q++;
			while (e > q && (e[-1] == '\r' || e[-1] == ' '))
				e--;
			try_report_add_safe(detail, q, (size_t)(e - q), 160);
			return 1;
		}
		p = eol ? eol + 1 : end;
	}
	return 0;
}

/*
 * The console log of a finished build that did not succeed, from
 * <build>/consoleText: searched for the marker unless `detail` is NULL
 * (then `*found` is left alone; else it says, the reason into `detail`),
 * and its last j->log_lines lines (all with 0) go into the job,
 * with the log's URL.  A log longer than LOG_SCAN_MAX is only searched in
 * its first part and gives no tail (its URL still shows it).  A log we may
 * not read is no reason to lose the result: only a request that got no
 * answer is an error.
 */
static int read_console(struct jenkins *j, struct try_ci_job *job,
			struct try_buf *detail, int *found)
{
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	struct try_http_request req;
	struct try_buf url = TRY_BUF_INIT;
	int ret = -1;

	try_buf_addf(&url, "%s%s/%ld/consoleText", j->base, j->job_path,
		     j->number);
	request_init(&req, j, "GET", url.ptr);
	req.max_body = LOG_SCAN_MAX;
	req.truncate = 1;
	if (try_http_perform(&res, &req) < 0)
		goto done;
	ret = 0;
	if (res.status != 200)
		goto done;
	if (detail)
		*found = find_marker(detail, res.body.ptr, res.body.len);
	try_buf_reset(&url);
	try_buf_addf(&url, "%sconsoleText", j->build_url);
	try_ci_set(&job->log_url, url.ptr);
	if (res.body.len < LOG_SCAN_MAX)
		try_ci_set_log_tail(&job->log, res.body.ptr, res.body.len,
				    j->log_lines);
done:
	try_buf_release(&url);
	try_http_response_release(&res);
	return ret;
}

static int poll_build(struct jenkins *j, struct try_ci_job *job,
		      struct try_ci_result *res)
{
	struct try_buf url = TRY_BUF_INIT, detail = TRY_BUF_INIT;
	json_t *root = NULL;
	const char *result, *desc;
	int ret = -1, marked = 0;

	try_buf_addf(&url, "%s%s/%ld/api/json?tree=building,result,url,"
		     "description", j->base, j->job_path, j->number);
	if (get_json(&root, j, url.ptr, "the build") < 0)
		goto done;
	try_buf_reset(&url);
	try_buf_addf(&url, "%sconsole", j->build_url);
	try_ci_set(&job->url, url.ptr);
	try_ci_set(&res->url, j->build_url);
	result = json_string_value(json_object_get(root, "result"));
	if (!result) {
		job->state = TRY_CI_RUNNING;
		try_ci_set(&job->detail, NULL);
		ret = 0;
		goto done;
	}
	desc = json_string_value(json_object_get(root, "description"));
	if (desc)
		marked = find_marker(&detail, desc, strlen(desc));
	if (strcmp(result, "SUCCESS") &&
	    read_console(j, job, marked ? NULL : &detail, &marked) < 0)
		goto done;
	if (marked) {
		job->state = TRY_CI_NOT_APPLIED;
		try_ci_set(&job->detail, detail.len ? detail.ptr
				      : "patch did not apply");
	} else {
		struct try_buf d = TRY_BUF_INIT;

		if (!strcmp(result, "SUCCESS"))
			job->state = TRY_CI_PASSED;
		else if (!strcmp(result, "UNSTABLE") ||
			 !strcmp(result, "FAILURE"))
			job->state = TRY_CI_FAILED;
		else /* ABORTED, NOT_BUILT, or one we do not know */
			job->state = TRY_CI_ERROR;
		/* Jenkins' word where ours does not say it all */
		if (strcmp(result, "SUCCESS") && strcmp(result, "FAILURE"))
			try_report_add_safe(&d, result, strlen(result), 40);
		try_ci_set(&job->detail, d.len ? d.ptr : NULL);
		try_buf_release(&d);
	}
	ret = 0;
done:
	json_decref(root);
	try_buf_release(&url);
	try_buf_release(&detail);
	return ret;
}

static int jenkins_poll(void *state, struct try_ci_result *res)
{
	struct jenkins *j = state;
	struct try_ci_job *job;

	assert(res->nr == 1);
	job = &res->jobs[0];
	if (try_ci_state_final(job->state))
		return 0;
	if (!j->number) {
		if (poll_queue(j, job, res) < 0)
			return -1;
		if (!j->number)
			return 0;
	}
	return poll_build(j, job, res);
}

const struct try_ci_backend try_ci_jenkins = {
	.name = "jenkins",
	.submit = jenkins_submit,
	.poll = jenkins_poll,
	.free_state = jenkins_free,
	.own_command = 1,
};
