#include <check.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/http.h"

/*
 * The HTTP layer against the loopback servers of tests/e2e/servers/ (run
 * from the top of the tree, or with TRY_SRC_DIR set).  Each test starts its
 * own server and stops it; the server logs every request, so a test counts
 * what reached it (retries, "never on 4xx").
 */

struct server {
	pid_t pid;
	int port;
	char dir[64];
	char url[128]; /* http://127.0.0.1:<port> */
};

static const char *src_dir(void)
{
	const char *d = getenv("TRY_SRC_DIR");
	return d && *d ? d : ".";
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/*
 * Starts tests/e2e/servers/<script> with `args` (NULL-terminated) plus
 * --port-file, --log and --state in a fresh folder; waits until it listens.
 */
static void server_start(struct server *s, const char *script,
			 const char *const *args)
{
	const char *argv[64];
	char script_path[512], port_file[128], log[128], state[128];
	size_t n = 0;
	int i;

	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/try-http-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s->dir));
	snprintf(script_path, sizeof(script_path), "%s/tests/e2e/servers/%s",
		 src_dir(), script);
	snprintf(port_file, sizeof(port_file), "%s/port", s->dir);
	snprintf(log, sizeof(log), "%s/log", s->dir);
	snprintf(state, sizeof(state), "%s/state", s->dir);
	argv[n++] = "/usr/bin/python3";
	argv[n++] = script_path;
	argv[n++] = "--port-file";
	argv[n++] = port_file;
	argv[n++] = "--log";
	argv[n++] = log;
	argv[n++] = "--state";
	argv[n++] = state;
	for (i = 0; args && args[i] && n < 62; i++)
		argv[n++] = args[i];
	argv[n] = NULL;

	s->pid = fork();
	ck_assert_int_ge(s->pid, 0);
	if (!s->pid) {
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		FILE *f = fopen(port_file, "r");
		if (f) {
			int ok = fscanf(f, "%d", &s->port) == 1;
			fclose(f);
			if (ok)
				break;
		}
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid)
			ck_abort_msg("server %s exited", script);
		usleep(10000);
	}
	ck_assert_int_gt(s->port, 0);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
}

static void server_stop(struct server *s)
{
	char cmd[128];

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
	if (s->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
		ck_assert_int_eq(system(cmd), 0);
		s->dir[0] = '\0';
	}
}

/* Requests that reached the server with `method` and a path starting with
 * `path` (logged on arrival). */
static int server_count(const struct server *s, const char *method,
			const char *path)
{
	char log[128], line[4096];
	FILE *f;
	int n = 0;

	snprintf(log, sizeof(log), "%s/log", s->dir);
	f = fopen(log, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		json_t *e = json_loads(line, 0, NULL);
		const char *m = json_string_value(json_object_get(e, "method"));
		const char *p = json_string_value(json_object_get(e, "path"));

		if (m && p && !json_object_get(e, "answer") &&
		    !strcmp(m, method) &&
		    !strncmp(p, path, strlen(path)))
			n++;
		json_decref(e);
	}
	fclose(f);
	return n;
}

/* Sets the server's fault rules while it runs (one rule a line). */
static void server_faults(const struct server *s, const char *rules)
{
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	struct try_http_request req = { 0 };
	char url[256];

	snprintf(url, sizeof(url), "%s/__faults", s->url);
	req.method = "POST";
	req.url = url;
	req.body = rules;
	req.body_len = strlen(rules);
	ck_assert_int_eq(try_http_perform(&res, &req), 0);
	ck_assert_int_eq(res.status, 200);
	try_http_response_release(&res);
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}

static int free_port(void)
{
	/* a port that was just free: bind 0 in python is overkill here */
	return 9; /* discard: nobody listens on 127.0.0.1:9 */
}

static void setup(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	try_error_clear();
}

static void teardown(void)
{
	curl_global_cleanup();
}

/* --- no network --- */

START_TEST(test_sign)
{
	static const struct {
		const char *key, *data, *want;
	} cases[] = {
		/* RFC 4231, test case 2 */
		{ "Jefe", "what do ya want for nothing?",
		  "sha256=5bdcc146bf60754e6a042426089575c7"
		  "5a003f089d2739839dec58b964ec3843" },
		/* empty key and body */
		{ "", "",
		  "sha256=b613679a0814d9ec772f95d778c35fc5"
		  "ff1697c493715653c6c712144292c5ad" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct try_buf out = TRY_BUF_INIT;

		ck_assert_int_eq(try_http_sign(&out, cases[i].key,
					       strlen(cases[i].key),
					       cases[i].data,
					       strlen(cases[i].data)), 0);
		ck_assert_str_eq(out.ptr, cases[i].want);
		try_buf_release(&out);
	}
}
END_TEST

START_TEST(test_error_text)
{
	static const struct {
		const char *headers, *body, *want;
	} cases[] = {
		{ "HTTP/1.1 403 Forbidden\r\n",
		  "<html>\n<head>\n<title>Error 403 No valid crumb was "
		  "included in the request</title>\n</head><body><h2>HTTP "
		  "ERROR 403</h2></body></html>",
		  "No valid crumb was included in the request" },
		{ "HTTP/1.1 400 Bad Request\r\n",
		  "{\"error\": \"base is not a full commit id\"}",
		  "base is not a full commit id" },
		{ "HTTP/1.1 422 Unprocessable\r\n",
		  "{\"message\": \"Validation Failed\", \"errors\": []}",
		  "Validation Failed" },
		{ "HTTP/1.1 503 Service Unavailable\r\n",
		  "\n\nJenkins is going to shut down\nmore\n",
		  "Jenkins is going to shut down" },
		{ "HTTP/1.1 502 Bad Gateway\r\nServer: x\r\n", "",
		  "Bad Gateway" },
		{ "HTTP/1.1 403 Forbidden\r\n",
		  "<html><head><script>x()</script></head><body>\n"
		  "Authentication required\n<!--\n-->\n</body></html>",
		  "Authentication required" },
		{ "HTTP/1.1 500 Oops\r\n", "<title>a &amp; b\x1b[31m</title>",
		  "a & b?[31m" },
		{ "HTTP/2 404\r\n", "", "" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
		char *text;

		try_buf_adds(&res.headers, cases[i].headers);
		try_buf_adds(&res.body, cases[i].body);
		text = try_http_error_text(&res);
		ck_assert_msg(!strcmp(text, cases[i].want),
			      "case %zu: got '%s', want '%s'", i, text,
			      cases[i].want);
		free(text);
		try_http_response_release(&res);
	}
}
END_TEST

START_TEST(test_error_text_long)
{
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	char *text;
	int i;

	try_buf_adds(&res.headers, "HTTP/1.1 500 x\r\n");
	for (i = 0; i < 1000; i++)
		try_buf_adds(&res.body, "word ");
	text = try_http_error_text(&res);
	ck_assert_uint_le(strlen(text), 200);
	ck_assert_str_eq(text + strlen(text) - 3, "...");
	free(text);
	try_http_response_release(&res);
}
END_TEST

START_TEST(test_urls)
{
	static const struct {
		const char *url, *shown;
	} display[] = {
		{ "https://alice:s3cret@ci.example.com:8443/job/x/?token=t#f",
		  "https://ci.example.com:8443/job/x/" },
		{ "http://ci/", "http://ci/" },
		{ "not a url", "not a url" },
	};
	static const struct {
		const char *base, *ref, *want;
	} resolve[] = {
		{ "http://127.0.0.1:8080/hooks/try", "/status/1",
		  "http://127.0.0.1:8080/status/1" },
		{ "http://127.0.0.1:8080/hooks/try", "status/1",
		  "http://127.0.0.1:8080/hooks/status/1" },
		{ "http://a/x", "https://b/y", "https://b/y" },
		{ "http://a/x", "file:///etc/passwd", NULL },
		{ "http://a/x", "ftp://b/", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(display) / sizeof(*display); i++) {
		char *s = try_http_url_display(display[i].url);
		ck_assert_str_eq(s, display[i].shown);
		free(s);
	}
	for (i = 0; i < sizeof(resolve) / sizeof(*resolve); i++) {
		char *s = NULL;
		int rc = try_http_url_resolve(&s, resolve[i].base,
					      resolve[i].ref);
		if (resolve[i].want) {
			ck_assert_int_eq(rc, 0);
			ck_assert_str_eq(s, resolve[i].want);
		} else {
			ck_assert_int_eq(rc, -1);
			ck_assert_ptr_null(s);
		}
		free(s);
	}
	ck_assert(try_http_same_origin("http://a:80/x", "HTTP://A/y"));
	ck_assert(try_http_same_origin("https://u@a/x", "https://a:443/"));
	ck_assert(!try_http_same_origin("http://a/x", "https://a/x"));
	ck_assert(!try_http_same_origin("http://a:8080/", "http://a/"));
	ck_assert(!try_http_same_origin("http://a/", "http://a.evil/"));
	ck_assert(!try_http_same_origin("http://a/", "nope"));
}
END_TEST

START_TEST(test_refuses_other_schemes)
{
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	struct try_http_request req = { .url = "file:///etc/passwd",
					.what = "webhook" };

	ck_assert_int_eq(try_http_perform(&res, &req), -1);
	ck_assert_str_eq(try_error_last(),
			 "webhook: 'file:///etc/passwd' is not an http:// or "
			 "https:// URL");
	try_http_response_release(&res);
}
END_TEST

/* --- against the loopback servers --- */

static const char *const ci_args[] = { "--queue", "0", "--duration", "0",
				       NULL };

START_TEST(test_4xx_not_retried)
{
	struct server s;
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	struct try_http_request req = { .method = "POST", .body = "{}",
					.body_len = 2, .what = "webhook",
					.backoff_ms = 10 };
	char url[256];
	char *text;

	server_start(&s, "fake-webhook-ci.py", ci_args);
	snprintf(url, sizeof(url), "%s/try", s.url);
	req.url = url;
	server_faults(&s, "POST /try 403:you shall not pass");
	ck_assert_int_eq(try_http_perform(&res, &req), 0);
	ck_assert_int_eq(res.status, 403);
	ck_assert_int_eq(server_count(&s, "POST", "/try"), 1);
	text = try_http_error_text(&res);
	ck_assert_str_eq(text, "you shall not pass");
	free(text);
	ck_assert_int_eq(try_http_error_status("webhook", &res), -1);
	ck_assert_str_eq(try_error_last(),
			 "webhook: HTTP 403: you shall not pass");
	try_http_response_release(&res);

	/* 429 is a 4xx too */
	server_faults(&s, "POST /try 429:slow down");
	ck_assert_int_eq(try_http_perform(&res, &req), 0);
	ck_assert_int_eq(res.status, 429);
	ck_assert_int_eq(server_count(&s, "POST", "/try"), 2);
	try_http_response_release(&res);
	server_stop(&s);
}
END_TEST

START_TEST(test_5xx_retried_then_fails)
{
	struct server s;
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	struct try_http_request req = { .method = "GET", .what = "jenkins",
					.backoff_ms = 20 };
	char url[256];
	struct timespec start;
	long ms;

	server_start(&s, "fake-webhook-ci.py", ci_args);
	snprintf(url, sizeof(url), "%s/status/x", s.url);
	req.url = url;
	server_faults(&s, "GET /status 503:Jenkins is going to shut down");
	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert_int_eq(try_http_perform(&res, &req), -1);
	ms = elapsed_ms(&start);
	ck_assert_int_eq(res.status, 503);
	ck_assert_str_eq(try_error_last(),
			 "jenkins: HTTP 503: Jenkins is going to shut down "
			 "(4 attempts)");
	ck_assert_int_eq(server_count(&s, "GET", "/status"), 4);
	/* backoff 20 + 40 + 80 ms */
	ck_assert_int_ge(ms, 140);
	try_http_response_release(&res);

	/* retries: -1 is a single attempt */
	req.retries = -1;
	ck_assert_int_eq(try_http_perform(&res, &req), -1);
	ck_assert_int_eq(server_count(&s, "GET", "/status"), 5);
	ck_assert_str_eq(try_error_last(),
			 "jenkins: HTTP 503: Jenkins is going to shut down");
	try_http_response_release(&res);
	server_stop(&s);
}
END_TEST

START_TEST(test_5xx_then_answer)
{
	struct server s;
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	struct try_http_request req = { .method = "GET", .backoff_ms = 10 };
	char url[256];

	server_start(&s, "fake-webhook-ci.py", ci_args);
	snprintf(url, sizeof(url), "%s/status/nope", s.url);
	req.url = url;
	server_faults(&s, "GET /status 502:bad gateway x2");
	ck_assert_int_eq(try_http_perform(&res, &req), 0);
	/* the third attempt reached the CI itself: no such try */
	ck_assert_int_eq(res.status, 404);
	ck_assert_int_eq(server_count(&s, "GET", "/status"), 3);
	ck_assert_ptr_nonnull(strstr(res.body.ptr, "no try nope"));
	try_http_response_release(&res);
	server_stop(&s);
}
END_TEST

START_TEST(test_slow_answer_times_out)
{
	struct server s;
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	struct try_http_request req = { .method = "GET", .timeout_ms = 300,
					.retries = 1, .backoff_ms = 10,
					.what = "webhook" };
	char url[256], want[384];
	struct timespec start;
	long ms;

	server_start(&s, "fake-webhook-ci.py", ci_args);
	snprintf(url, sizeof(url), "%s/status/x", s.url);
	req.url = url;
	server_faults(&s, "GET /status slow:3");
	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert_int_eq(try_http_perform(&res, &req), -1);
	ms = elapsed_ms(&start);
	ck_assert_int_eq(res.status, 0);
	snprintf(want, sizeof(want),
		 "webhook: no answer from %s within 300 ms (2 attempts)", url);
	ck_assert_str_eq(try_error_last(), want);
	ck_assert_int_ge(ms, 600);
	ck_assert_int_lt(ms, 2000);
	try_http_response_release(&res);
	server_stop(&s);
}
END_TEST

START_TEST(test_slow_post_not_repeated)
{
	struct server s;
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	static const struct try_http_header json[] = {
		{ "Content-Type", "application/json" }, { NULL, NULL }
	};
	struct try_http_request req = { .method = "POST", .timeout_ms = 300,
					.backoff_ms = 10, .body = "{}",
					.body_len = 2, .headers = json };
	char url[256];

	server_start(&s, "fake-webhook-ci.py", ci_args);
	snprintf(url, sizeof(url), "%s/try", s.url);
	req.url = url;
	server_faults(&s, "POST /try slow:2\nPOST /try drop");
	/* it was sent: a second one could start a second build */
	ck_assert_int_eq(try_http_perform(&res, &req), -1);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "no answer from"));
	try_http_response_release(&res);
	/* a dropped connection after sending: not repeated either */
	server_faults(&s, "POST /try drop");
	ck_assert_int_eq(try_http_perform(&res, &req), -1);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "lost"));
	try_http_response_release(&res);
	/* the receiver dedupes: it may be repeated */
	req.idempotent = 1;
	server_faults(&s, "POST /try drop x2");
	ck_assert_int_eq(try_http_perform(&res, &req), 0);
	ck_assert_int_eq(res.status, 400); /* "{}" is not a try */
	try_http_response_release(&res);
	ck_assert_int_eq(server_count(&s, "POST", "/try"), 5);
	server_stop(&s);
}
END_TEST

START_TEST(test_connection_refused)
{
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	struct try_http_request req = { .method = "POST", .what = "jenkins",
					.backoff_ms = 10 };
	char url[256];
	struct timespec start;

	snprintf(url, sizeof(url), "http://alice:pw@127.0.0.1:%d/x?token=y",
		 free_port());
	req.url = url;
	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert_int_eq(try_http_perform(&res, &req), -1);
	ck_assert_int_lt(elapsed_ms(&start), 1000);
	ck_assert_int_eq(res.status, 0);
	ck_assert_ptr_nonnull(strstr(try_error_last(),
		"jenkins: cannot connect to http://127.0.0.1:9/x: "));
	ck_assert_ptr_nonnull(strstr(try_error_last(), "(4 attempts)"));
	ck_assert_ptr_null(strstr(try_error_last(), "pw"));
	ck_assert_ptr_null(strstr(try_error_last(), "token"));
	try_http_response_release(&res);
}
END_TEST

START_TEST(test_body_cap)
{
	struct server s;
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	struct try_http_request req = { .method = "GET", .max_body = 10,
					.what = "webhook" };
	char url[256];

	server_start(&s, "fake-webhook-ci.py", ci_args);
	snprintf(url, sizeof(url), "%s/status/unknown-try-with-a-long-id",
		 s.url);
	req.url = url;
	ck_assert_int_eq(try_http_perform(&res, &req), -1);
	ck_assert_ptr_nonnull(strstr(try_error_last(),
				     "larger than 10 bytes"));
	/* not retried: the answer would be as big again */
	ck_assert_int_eq(server_count(&s, "GET", "/status"), 1);
	try_http_response_release(&res);
	req.truncate = 1;
	ck_assert_int_eq(try_http_perform(&res, &req), 0);
	ck_assert_int_eq(res.status, 404);
	ck_assert_uint_eq(res.body.len, 10);
	ck_assert_str_eq(res.body.ptr, "{\"error\": ");
	try_http_response_release(&res);
	server_stop(&s);
}
END_TEST

START_TEST(test_multipart_and_cookies)
{
	static const char patch[] = "diff --git a/b b/b\nGIT binary patch\n\0\xff";
	static const char *const args[] = { "--user", "alice", "--password",
					    "pw", "--quiet", "0", NULL };
	struct server s;
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	struct try_http_part parts[] = {
		{ .name = "patch.diff", .filename = "patch.diff",
		  .data = patch, .len = sizeof(patch) - 1 },
		{ .name = "base", .data = "0123", .len = 4 },
		{ .name = "branch", .data = "main", .len = 4 },
	};
	struct try_http_header headers[3] = { { NULL, NULL } };
	struct try_http_request req = { .user = "alice", .password = "pw",
					.what = "jenkins" };
	struct try_buf got = TRY_BUF_INIT;
	char url[256], path[160], crumb_hdr[128];
	char *cookie;
	json_t *j;

	server_start(&s, "fake-jenkins.py", args);

	/* without a crumb, a password is refused */
	snprintf(url, sizeof(url), "%s/job/try/buildWithParameters", s.url);
	req.method = "POST";
	req.url = url;
	req.parts = parts;
	req.nparts = 3;
	ck_assert_int_eq(try_http_perform(&res, &req), 0);
	ck_assert_int_eq(res.status, 403);
	try_http_error_status("jenkins", &res);
	ck_assert_str_eq(try_error_last(), "jenkins: HTTP 403: No valid crumb "
			 "was included in the request");
	try_http_response_release(&res);

	snprintf(url, sizeof(url), "%s/crumbIssuer/api/json", s.url);
	req.method = "GET";
	ck_assert_int_eq(try_http_perform(&res, &req), 0);
	ck_assert_int_eq(res.status, 200);
	cookie = try_http_cookies(&res);
	ck_assert_ptr_nonnull(cookie);
	ck_assert_str_eq(strchr(cookie, '.') ? "ok" : cookie, "ok");
	ck_assert_ptr_null(strchr(cookie, ';'));
	j = json_loadb(res.body.ptr, res.body.len, 0, NULL);
	snprintf(crumb_hdr, sizeof(crumb_hdr), "%s",
		 json_string_value(json_object_get(j, "crumb")));
	headers[0].name = json_string_value(json_object_get(j,
						"crumbRequestField"));
	headers[0].value = crumb_hdr;
	headers[1].name = "Cookie";
	headers[1].value = cookie;
	try_http_response_release(&res);

	snprintf(url, sizeof(url), "%s/job/try/buildWithParameters"
		 "?delay=0sec", s.url);
	req.method = "POST";
	req.headers = headers;
	ck_assert_int_eq(try_http_perform(&res, &req), 0);
	ck_assert_int_eq(res.status, 201);
	ck_assert_ptr_nonnull(res.location);
	ck_assert_ptr_nonnull(strstr(res.location, "/queue/item/1/"));
	try_http_response_release(&res);
	json_decref(j);
	free(cookie);

	/* the build starts when its queue item is looked at */
	snprintf(url, sizeof(url), "%s/queue/item/1/api/json", s.url);
	req.method = "GET";
	req.headers = NULL;
	ck_assert_int_eq(try_http_perform(&res, &req), 0);
	ck_assert_int_eq(res.status, 200);
	try_http_response_release(&res);
	snprintf(path, sizeof(path), "%s/state/1/patch.diff", s.dir);
	ck_assert_int_eq(try_buf_read_file(&got, path, 0), 0);
	ck_assert_uint_eq(got.len, sizeof(patch) - 1);
	ck_assert(!memcmp(got.ptr, patch, got.len));
	try_buf_reset(&got);
	snprintf(path, sizeof(path), "%s/state/1/params.json", s.dir);
	ck_assert_int_eq(try_buf_read_file(&got, path, 0), 0);
	ck_assert_str_eq(got.ptr, "{\"base\": \"0123\", \"branch\": \"main\"}");
	try_buf_release(&got);
	server_stop(&s);
}
END_TEST

START_TEST(test_verbose_masks_secrets)
{
	static const char *const args[] = { "--user", "alice", "--token",
					    "11deadbeefdeadbeef", NULL };
	struct server s;
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	struct try_http_request req = { .method = "GET", .user = "alice",
					.password = "11deadbeefdeadbeef",
					.verbose = 1 };
	struct try_buf err = TRY_BUF_INIT;
	char url[256], path[160];
	int fd, saved;

	server_start(&s, "fake-jenkins.py", args);
	snprintf(url, sizeof(url), "%s/crumbIssuer/api/json", s.url);
	req.url = url;
	snprintf(path, sizeof(path), "%s/stderr", s.dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	ck_assert_int_eq(try_http_perform(&res, &req), 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ck_assert_int_eq(res.status, 200);
	ck_assert_int_eq(try_buf_read_file(&err, path, 0), 0);
	ck_assert_msg(strstr(err.ptr, "> Authorization: Basic ***\n") != NULL,
		      "%s", err.ptr);
	ck_assert_msg(strstr(err.ptr, "< Set-Cookie: ***\n") != NULL, "%s",
		      err.ptr);
	ck_assert_ptr_null(strstr(err.ptr, "deadbeef"));
	/* base64 of "alice:11deadbeefdeadbeef" */
	ck_assert_ptr_null(strstr(err.ptr, "YWxpY2U6MTFkZWFkYmVlZmRlYWRiZWVm"));
	ck_assert_ptr_null(strstr(err.ptr, "JSESSIONID"));
	try_buf_release(&err);
	try_http_response_release(&res);
	server_stop(&s);
}
END_TEST

/* --- credentials --- */

/* A HOME with a .gitconfig of `config` (NULL: none), for git credential. */
static void fake_home(char *dir, size_t size, const char *config)
{
	char path[256];

	snprintf(dir, size, "/tmp/try-http-home.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("HOME", dir, 1);
	setenv("XDG_CONFIG_HOME", dir, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	unsetenv("GIT_CONFIG_GLOBAL");
	unsetenv("TRY_TOKEN");
	if (config) {
		snprintf(path, sizeof(path), "%s/.gitconfig", dir);
		write_file(path, config);
	}
}

static void remove_dir(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_credentials_token)
{
	char home[64], *user = NULL, *pass = NULL;

	fake_home(home, sizeof(home), NULL);
	setenv("TRY_TOKEN", "tok-123", 1);
	ck_assert_int_eq(try_http_credentials(&user, &pass,
					      "https://ci.example.com/"), 0);
	ck_assert_str_eq(user, "token");
	ck_assert_str_eq(pass, "tok-123");
	free(user);
	free(pass);
	ck_assert_int_eq(try_http_credentials(&user, &pass,
				"https://alice@ci.example.com/jenkins/"), 0);
	ck_assert_str_eq(user, "alice");
	ck_assert_str_eq(pass, "tok-123");
	free(user);
	free(pass);
	unsetenv("TRY_TOKEN");
	remove_dir(home);
}
END_TEST

START_TEST(test_credentials_none)
{
	char home[64], *user = NULL, *pass = NULL;
	struct timespec start;

	/* no helper at all: git would prompt, but must not */
	fake_home(home, sizeof(home), NULL);
	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert_int_eq(try_http_credentials(&user, &pass,
					      "https://ci.example.com/x"), 0);
	ck_assert_ptr_null(user);
	ck_assert_ptr_null(pass);
	ck_assert_int_lt(elapsed_ms(&start), 3000);
	ck_assert_int_eq(try_http_credentials(&user, &pass, "::"), -1);
	remove_dir(home);
}
END_TEST

START_TEST(test_credentials_helper)
{
	char home[64], config[512], helper[128], input[128];
	char *user = NULL, *pass = NULL;
	struct try_buf got = TRY_BUF_INIT;

	fake_home(home, sizeof(home), NULL);
	snprintf(helper, sizeof(helper), "%s/helper.sh", home);
	snprintf(input, sizeof(input), "%s/helper.in", home);
	snprintf(config, sizeof(config),
		 "#!/bin/sh\n"
		 "test \"$1\" = get || exit 0\n"
		 "cat >'%s'\n"
		 "echo username=robot\n"
		 "echo password=p4ss\n", input);
	write_file(helper, config);
	ck_assert_int_eq(chmod(helper, 0755), 0);
	snprintf(config, sizeof(config),
		 "[credential]\n\thelper = %s\n\tuseHttpPath = true\n", helper);
	snprintf(input, sizeof(input), "%s/.gitconfig", home);
	write_file(input, config);
	snprintf(input, sizeof(input), "%s/helper.in", home);

	ck_assert_int_eq(try_http_credentials(&user, &pass,
			"http://127.0.0.1:8080/jenkins/?token=x"), 0);
	ck_assert_str_eq(user, "robot");
	ck_assert_str_eq(pass, "p4ss");
	ck_assert_int_eq(try_buf_read_file(&got, input, 0), 0);
	ck_assert_str_eq(got.ptr, "protocol=http\nhost=127.0.0.1:8080\n"
			 "path=jenkins/\n");
	free(user);
	free(pass);
	try_buf_release(&got);
	remove_dir(home);
}
END_TEST

START_TEST(test_credentials_helper_knows_nothing)
{
	char home[64], config[256];
	char *user = NULL, *pass = NULL;

	/* the helper answers nothing: git falls back to a prompt, which
	 * is off */
	fake_home(home, sizeof(home), NULL);
	snprintf(config, sizeof(config), "%s/.gitconfig", home);
	write_file(config, "[credential]\n\thelper = \"!f() { :; }; f\"\n");
	setenv("GIT_ASKPASS", "/bin/echo", 1);
	setenv("SSH_ASKPASS", "/bin/echo", 1);
	ck_assert_int_eq(try_http_credentials(&user, &pass,
					      "https://ci.example.com/"), 0);
	ck_assert_ptr_null(user);
	ck_assert_ptr_null(pass);
	unsetenv("GIT_ASKPASS");
	unsetenv("SSH_ASKPASS");
	remove_dir(home);
}
END_TEST

Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *t = tcase_create("offline");
	TCase *net = tcase_create("loopback");
	TCase *cred = tcase_create("credentials");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_sign);
	tcase_add_test(t, test_error_text);
	tcase_add_test(t, test_error_text_long);
	tcase_add_test(t, test_urls);
	tcase_add_test(t, test_refuses_other_schemes);
	suite_add_tcase(s, t);

	tcase_add_checked_fixture(net, setup, teardown);
	tcase_set_timeout(net, 30);
	tcase_add_test(net, test_4xx_not_retried);
	tcase_add_test(net, test_5xx_retried_then_fails);
	tcase_add_test(net, test_5xx_then_answer);
	tcase_add_test(net, test_slow_answer_times_out);
	tcase_add_test(net, test_slow_post_not_repeated);
	tcase_add_test(net, test_connection_refused);
	tcase_add_test(net, test_body_cap);
	tcase_add_test(net, test_multipart_and_cookies);
	tcase_add_test(net, test_verbose_masks_secrets);
	suite_add_tcase(s, net);

	tcase_add_checked_fixture(cred, setup, teardown);
	tcase_set_timeout(cred, 30);
	tcase_add_test(cred, test_credentials_token);
	tcase_add_test(cred, test_credentials_none);
	tcase_add_test(cred, test_credentials_helper);
	tcase_add_test(cred, test_credentials_helper_knows_nothing);
	suite_add_tcase(s, cred);
	return s;
}
