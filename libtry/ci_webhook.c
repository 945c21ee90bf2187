/*
 * The webhook backend: the try as a signed JSON document POSTed to
 * try.url; the answer names a status URL, polled until the try is done.
 * The protocol is docs/try.md ("`jenkins` and `webhook`: over HTTP"), so that anyone can put a receiver
 * in front of their CI (tests/e2e/servers/fake-webhook-ci.py is one).
 */
#include "libtry/buf.h"
#include "libtry/ci.h"
#include "libtry/error.h"
#include "libtry/fs.h"
#include "libtry/http.h"
#include "libtry/report.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define WHAT "webhook"
/* The job shown when the status answer lists none. */
#define DEFAULT_JOB "ci"

struct webhook {
	char *url;          /* try.url */
	char *status_url;   /* absolute */
	char *user, *password;
	long connect_timeout_ms, timeout_ms;
	int verbose;
};

static void webhook_free(void *p)
{
	struct webhook *w = p;

	if (!w)
		return;
	free(w->url);
	free(w->status_url);
	free(w->user);
	if (w->password)
		memset(w->password, 0, strlen(w->password));
	free(w->password);
	free(w);
}

/* Text from the CI made safe for a terminal, or NULL. */
static char *safe_str(json_t *v, size_t max)
{
	struct try_buf b = TRY_BUF_INIT;

	if (!json_is_string(v) || !json_string_length(v))
		return NULL;
	try_report_add_safe(&b, json_string_value(v), json_string_length(v),
			    max);
	return try_buf_detach(&b);
}

/* Reads try.secretFile: the whole file without its final newline. */
static int read_secret(struct try_buf *out, const char *path)
{
	if (!path || !*path) {
		try_error_set("%s: try.secretFile is not set (the receiver "
			      "checks X-Try-Signature with that secret)", WHAT);
		return -1;
	}
	if (try_fs_read_secret(out, path, NULL) < 0) {
		if (strstr(try_error_last(), "is empty"))
			try_error_set("%s: try.secretFile %s", WHAT,
				      try_error_last());
		else
			try_error_set("%s: cannot read try.secretFile: %s",
				      WHAT, try_error_last());
		return -1;
	}
	return 0;
}

static void add_base64(struct try_buf *out, const char *data, size_t len)
{
	/* whole groups of 3 bytes per call, so the pieces join up */
	const size_t chunk = 3 * 16384;

	while (len) {
		size_t n = len < chunk ? len : chunk;

		try_buf_grow(out, 4 * ((n + 2) / 3) + 1);
		out->len += (size_t)EVP_EncodeBlock(
			(unsigned char *)out->ptr + out->len,
			(const unsigned char *)data, (int)n);
		out->ptr[out->len] = '\0';
		data += n;
		len -= n;
	}
}

/* The document POSTed: see docs/try.md ("`jenkins` and `webhook`: over HTTP"). */
static char *build_document(const struct try_ci_request *r, size_t *len)
{
	struct try_buf patch = TRY_BUF_INIT;
	json_t *doc = json_object();
	char *text;

	add_base64(&patch, r->patch, r->patch_len);
	json_object_set_new(doc, "version", json_integer(1));
	json_object_set_new(doc, "id", try_report_json_string(r->id));
	json_object_set_new(doc, "base", try_report_json_string(r->base));
	json_object_set_new(doc, "branch", try_report_json_string(r->branch));
	json_object_set_new(doc, "patch", json_stringn(patch.ptr, patch.len));
	json_object_set_new(doc, "patch_encoding", json_string("base64"));
	json_object_set_new(doc, "patch_level", json_integer(1));
	json_object_set_new(doc, "author", try_report_json_string(r->author));
	json_object_set_new(doc, "reason", try_report_json_string(r->reason));
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	try_buf_release(&patch);
	if (!text)
		abort(); /* only on allocation failure */
	*len = strlen(text);
	return text;
}

static void request_init(struct try_http_request *req, struct webhook *w,
			 const char *method, const char *url)
{
	memset(req, 0, sizeof(*req));
	req->method = method;
	req->url = url;
	req->what = WHAT;
	req->connect_timeout_ms = w->connect_timeout_ms;
	req->timeout_ms = w->timeout_ms;
	req->verbose = w->verbose;
	/* credentials go to try.url's host only */
	if (w->password && try_http_same_origin(url, w->url)) {
		req->user = w->user;
		req->password = w->password;
	}
}

static json_t *parse_object(const struct try_http_response *res,
			    const char *what)
{
	json_error_t err;
	json_t *root = json_loadb(res->body.ptr, res->body.len, 0, &err);

	if (!root || !json_is_object(root)) {
		try_error_set("%s: %s is not a JSON object%s%s", WHAT, what,
			      root ? "" : ": ", root ? "" : err.text);
		json_decref(root);
		return NULL;
	}
	return root;
}

static int state_from(enum try_ci_state *out, const char *s)
{
	static const struct {
		const char *name;
		enum try_ci_state state;
	} states[] = {
		{ "queued", TRY_CI_QUEUED },
		{ "running", TRY_CI_RUNNING },
		{ "passed", TRY_CI_PASSED },
		{ "failed", TRY_CI_FAILED },
		{ "not_applied", TRY_CI_NOT_APPLIED },
		{ "error", TRY_CI_ERROR },
	};
	size_t i;

	for (i = 0; s && i < sizeof(states) / sizeof(*states); i++) {
		if (!strcmp(s, states[i].name)) {
			*out = states[i].state;
			return 0;
		}
	}
	return -1;
}

/* The end of a log: at most this many bytes are kept. */
#define MAX_LOG (64 * 1024)

/*
 * A job's "log" (the end of its output; the last MAX_LOG bytes are kept,
 * made terminal-safe line by line by the caller) and "log_url" (the whole
 * log, resolved like "url"), when the receiver sends them.
 */
static void fill_log(struct try_ci_job *job, json_t *o, const char *base)
{
	json_t *log = json_object_get(o, "log");
	json_t *log_url = json_object_get(o, "log_url");
	char *abs = NULL;

	if (json_is_string(log) && json_string_length(log)) {
		size_t len = json_string_length(log);
		const char *p = json_string_value(log);

		if (len > MAX_LOG) {
			p += len - MAX_LOG;
			len = MAX_LOG;
		}
		free(job->log);
		job->log = try_xstrndup(p, len);
	}
	if (json_is_string(log_url) &&
	    !try_http_url_resolve(&abs, base, json_string_value(log_url))) {
		free(job->log_url);
		job->log_url = abs;
	}
}

/*
 * One job from a status object ({"name", "state", "url", "detail"}); a
 * state we do not know is an error of that job, with the state as detail.
 */
static void fill_job(struct try_ci_job *job, json_t *o, const char *base)
{
	const char *state = json_string_value(json_object_get(o, "state"));
	json_t *url = json_object_get(o, "url");
	char *abs = NULL, *detail;

	if (state_from(&job->state, state) < 0) {
		struct try_buf d = TRY_BUF_INIT;

		job->state = TRY_CI_ERROR;
		try_buf_adds(&d, "unknown state ");
		if (state)
			try_report_add_safe(&d, state, strlen(state), 40);
		else
			try_buf_adds(&d, "(none)");
		free(job->detail);
		job->detail = try_buf_detach(&d);
	} else {
		detail = safe_str(json_object_get(o, "detail"), 160);
		free(job->detail);
		job->detail = detail;
	}
	if (json_is_string(url) &&
	    !try_http_url_resolve(&abs, base, json_string_value(url))) {
		free(job->url);
		job->url = abs;
	}
	fill_log(job, o, base);
}

static void clear_jobs(struct try_ci_result *res)
{
	size_t i;

	for (i = 0; i < res->nr; i++) {
		free(res->jobs[i].name);
		free(res->jobs[i].url);
		free(res->jobs[i].detail);
		free(res->jobs[i].step);
		free(res->jobs[i].log);
		free(res->jobs[i].log_url);
		free(res->jobs[i].handle);
	}
	res->nr = 0;
}

/*
 * Takes a status object: "jobs", when listed, are the jobs; else the
 * whole try is one job with the top-level state.
 */
static void fill_result(struct try_ci_result *res, json_t *root,
			const char *base)
{
	json_t *jobs = json_object_get(root, "jobs");
	json_t *url = json_object_get(root, "url");
	char *abs = NULL;

	if (json_is_string(url) &&
	    !try_http_url_resolve(&abs, base, json_string_value(url))) {
		free(res->url);
		res->url = abs;
	}
	if (json_is_array(jobs) && json_array_size(jobs)) {
		size_t i;
		json_t *o;

		clear_jobs(res);
		json_array_foreach(jobs, i, o) {
			struct try_ci_job *job;
			char *name;

			if (!json_is_object(o))
				continue;
			name = safe_str(json_object_get(o, "name"), 80);
			if (!name) {
				struct try_buf b = TRY_BUF_INIT;
				try_buf_addf(&b, "job %zu", i + 1);
				name = try_buf_detach(&b);
			}
			job = try_ci_result_add(res, name);
			free(name);
			fill_job(job, o, base);
		}
		if (res->nr)
			return;
	}
	if (!json_object_get(root, "state"))
		return; /* a submission answer without a state */
	clear_jobs(res);
	fill_job(try_ci_result_add(res, DEFAULT_JOB), root, base);
	if (!res->jobs[0].url && res->url)
		try_ci_set(&res->jobs[0].url, res->url);
}

static int webhook_submit(void **state, const struct try_ci_settings *s,
			  const struct try_ci_request *r,
			  struct try_ci_result *res)
{
	struct webhook *w = try_xcalloc(1, sizeof(*w));
	struct try_http_response answer = TRY_HTTP_RESPONSE_INIT;
	struct try_http_request req;
	struct try_buf secret = TRY_BUF_INIT, sig = TRY_BUF_INIT;
	struct try_http_header headers[5];
	json_t *root = NULL;
	const char *status_url;
	char *body = NULL;
	size_t body_len = 0;
	int ret = -1;

	*state = NULL;
	if (!s->url || !*s->url) {
		try_error_set("%s: try.url is not set (where to POST the try)",
			      WHAT);
		goto done;
	}
	if (!r->id || !*r->id || strpbrk(r->id, "\r\n")) {
		try_error_set("%s: the try has no usable id", WHAT);
		goto done;
	}
	w->url = try_xstrdup(s->url);
	w->connect_timeout_ms = s->connect_timeout_ms;
	w->timeout_ms = s->timeout_ms;
	w->verbose = s->verbose;
	if (read_secret(&secret, s->secret_file) < 0)
		goto done;
	if (try_http_credentials(&w->user, &w->password, s->url) < 0) {
		try_error_set("%s: %s", WHAT, try_error_last());
		goto done;
	}
	body = build_document(r, &body_len);
	if (try_http_sign(&sig, secret.ptr, secret.len, body, body_len) < 0)
		goto done;

	memset(headers, 0, sizeof(headers));
	headers[0].name = "Content-Type";
	headers[0].value = "application/json";
	headers[1].name = "Accept";
	headers[1].value = "application/json";
	headers[2].name = "X-Try-Signature";
	headers[2].value = sig.ptr;
	headers[3].name = "X-Try-Id";
	headers[3].value = r->id;
	request_init(&req, w, "POST", w->url);
	req.headers = headers;
	req.body = body;
	req.body_len = body_len;
	/* the receiver dedupes by id: a repeat starts nothing new */
	req.idempotent = 1;
	if (try_http_perform(&answer, &req) < 0)
		goto done;
	if (answer.status < 200 || answer.status >= 300) {
		try_http_error_status(WHAT, &answer);
		goto done;
	}
	root = parse_object(&answer, "the answer to the try");
	if (!root)
		goto done;
	status_url = json_string_value(json_object_get(root, "status_url"));
	if (!status_url || !*status_url) {
		try_error_set("%s: the answer names no status_url", WHAT);
		goto done;
	}
	if (try_http_url_resolve(&w->status_url, w->url, status_url) < 0) {
		try_error_set("%s: status_url: %s", WHAT, try_error_last());
		goto done;
	}
	fill_result(res, root, w->url);
	if (!res->nr) {
		struct try_ci_job *job = try_ci_result_add(res, DEFAULT_JOB);

		try_ci_set(&job->detail, "submitted");
		try_ci_set(&job->url, res->url);
	}
	*state = w;
	w = NULL;
	ret = 0;
done:
	json_decref(root);
	free(body);
	if (secret.alloc)
		memset(secret.ptr, 0, secret.alloc);
	try_buf_release(&secret);
	try_buf_release(&sig);
	try_http_response_release(&answer);
	webhook_free(w);
	return ret;
}

static int webhook_poll(void *state, struct try_ci_result *res)
{
	struct webhook *w = state;
	struct try_http_response answer = TRY_HTTP_RESPONSE_INIT;
	struct try_http_request req;
	static const struct try_http_header headers[] = {
		{ "Accept", "application/json" }, { NULL, NULL }
	};
	json_t *root = NULL;
	int ret = -1;

	request_init(&req, w, "GET", w->status_url);
	req.headers = headers;
	if (try_http_perform(&answer, &req) < 0)
		goto done;
	if (answer.status != 200) {
		try_http_error_status(WHAT, &answer);
		goto done;
	}
	root = parse_object(&answer, "the status answer");
	if (!root)
		goto done;
	if (!json_is_string(json_object_get(root, "state"))) {
		try_error_set("%s: the status answer has no state", WHAT);
		goto done;
	}
	/* relative URLs in a status answer are relative to the status URL */
	fill_result(res, root, w->status_url);
	ret = 0;
done:
	json_decref(root);
	try_http_response_release(&answer);
	return ret;
}

const struct try_ci_backend try_ci_webhook = {
	.name = "webhook",
	.submit = webhook_submit,
	.poll = webhook_poll,
	.free_state = webhook_free,
	.own_command = 1,
};
