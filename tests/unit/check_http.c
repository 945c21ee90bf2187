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
#include "libtry/ci.h"
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
	/* gone with the test, also when an assertion ends it half-way */
	argv[n++] = "--die-with-parent";
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

/* Issue 14 item 10: no credential we sent comes back out of server text. */
START_TEST(test_server_text_masked)
{
	struct server s;
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	struct try_http_request req = { .method = "POST", .body = "{}",
					.body_len = 2, .what = "webhook",
					.user = "alice", .password = "s3cret-pw",
					.backoff_ms = 10 };
	char url[256];

	server_start(&s, "fake-webhook-ci.py", ci_args);
	snprintf(url, sizeof(url), "%s/try", s.url);
	req.url = url;
	/* base64("alice:s3cret-pw") */
	server_faults(&s, "POST /try 400:bad auth: Basic "
		      "YWxpY2U6czNjcmV0LXB3 for http://alice:s3cret-pw@ci/x "
		      "pw s3cret-pw");
	ck_assert_int_eq(try_http_perform(&res, &req), 0);
	ck_assert_int_eq(try_http_error_status("webhook", &res), -1);
	ck_assert_str_eq(try_error_last(), "webhook: HTTP 400: bad auth: "
			 "Basic *** for http://***@ci/x pw ***");
	try_http_response_release(&res);
	server_stop(&s);
}
END_TEST

START_TEST(test_mask_table)
{
	static const struct try_http_header hs[] = {
		{ "Authorization", "Bearer tok-12345" },
		{ "Cookie", "a=sess-777; b=other-888" },
		{ NULL, NULL },
	};
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "nothing here", "nothing here" },
		{ "Bearer tok-12345!", "***!" },
		{ "token tok-12345", "token ***" },
		{ "sess-777 other-888", "*** ***" },
		{ "see https://u:p@h/a and ftp://x@y", "see https://***@h/a "
		  "and ftp://***@y" },
		{ "http://host/a@b", "http://host/a@b" },
		{ "pw=p4ssw0rd b64=dTpwNHNzdzByZA==", "pw=*** b64=***" },
		{ "cGFzcw== is short", "cGFzcw== is short" },
	};
	struct try_http_request req = { .user = "u", .password = "p4ssw0rd",
					.headers = hs };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(*t); i++) {
		struct try_buf b = TRY_BUF_INIT;

		try_buf_adds(&b, t[i].in);
		try_http_mask(&b, &req);
		ck_assert_str_eq(b.ptr, t[i].want);
		try_buf_release(&b);
	}
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


/* --- the jenkins and webhook backends --- */

/*
 * Local helpers over struct try_ci_result, so that these tests need no more
 * of ci.c than its header.
 */
static int is_final(enum try_ci_state st)
{
	return st != TRY_CI_QUEUED && st != TRY_CI_RUNNING;
}

/* All of a result: a failed job now has a log too. */
static void result_release(struct try_ci_result *res)
{
	try_ci_result_release(res);
}

/* The worst state of the jobs: error, not applied, failed, passed. */
static enum try_ci_state result_state(const struct try_ci_result *res)
{
	static const enum try_ci_state order[] = {
		TRY_CI_QUEUED, TRY_CI_RUNNING, TRY_CI_ERROR,
		TRY_CI_NOT_APPLIED, TRY_CI_FAILED,
	};
	size_t i, k;

	for (k = 0; k < sizeof(order) / sizeof(*order); k++)
		for (i = 0; i < res->nr; i++)
			if (res->jobs[i].state == order[k])
				return order[k];
	return TRY_CI_PASSED;
}

#define TOKEN "11aaaabbbbccccddddeeeeffff00001111"
#define BASE "0123456789abcdef0123456789abcdef01234567"

static const char test_patch[] =
	"diff --git a/bin b/bin\nnew file mode 100644\nindex 0000000..e69de29\n"
	"GIT binary patch\nliteral 4\nLcmZ?d\0\xff\n";

static void try_request(struct try_ci_request *r)
{
	memset(r, 0, sizeof(*r));
	r->id = "try-1700000000-42";
	r->base = BASE;
	r->branch = "main";
	r->patch = test_patch;
	r->patch_len = sizeof(test_patch) - 1;
	r->author = "A U Thor <author@example.com>";
	r->reason = "try: fix the frobnicator";
}

static void try_settings(struct try_ci_settings *s, const char *url,
			 const char *job)
{
	memset(s, 0, sizeof(*s));
	s->url = (char *)url;
	s->job = (char *)job;
	s->poll_ms = 50;
	s->connect_timeout_ms = 2000;
	s->timeout_ms = 5000;
}

/*
 * Submits and polls until every job is final (or 15 s pass).  Returns -1
 * when submit or a poll failed (message set), else 0 with `res` filled.
 */
static int run_try(const struct try_ci_backend *b,
		   const struct try_ci_settings *s,
		   const struct try_ci_request *r, struct try_ci_result *res)
{
	void *state = NULL;
	struct timespec start;
	int ret = -1;

	clock_gettime(CLOCK_MONOTONIC, &start);
	if (b->submit(&state, s, r, res) < 0)
		return -1;
	ck_assert_ptr_nonnull(state);
	ck_assert_uint_ge(res->nr, 1);
	for (;;) {
		size_t i;
		int done = 1;

		for (i = 0; i < res->nr; i++)
			if (!is_final(res->jobs[i].state))
				done = 0;
		if (done) {
			ret = 0;
			break;
		}
		ck_assert_int_lt(elapsed_ms(&start), 15000);
		usleep(50000);
		if (b->poll(state, res) < 0)
			break;
	}
	b->free_state(state);
	return ret;
}

/* A file of the server's state folder. */
static void server_file(struct try_buf *out, const struct server *s,
			const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/state/%s", s->dir, name);
	try_buf_reset(out);
	ck_assert_int_eq(try_buf_read_file(out, path, 0), 0);
}

static void no_credentials(char *home, size_t size)
{
	fake_home(home, size, NULL);
}

START_TEST(test_jenkins_passes_with_token)
{
	static const char *const args[] = { "--user", "alice", "--token",
					    TOKEN, NULL };
	struct server srv;
	struct try_ci_settings s;
	struct try_ci_request r;
	struct try_ci_result res = { 0 };
	struct try_buf got = TRY_BUF_INIT;
	char home[64], url[256], want[256];

	no_credentials(home, sizeof(home));
	setenv("TRY_TOKEN", TOKEN, 1);
	server_start(&srv, "fake-jenkins.py", args);
	snprintf(url, sizeof(url), "http://alice@127.0.0.1:%d/", srv.port);
	try_settings(&s, url, "try");
	try_request(&r);
	ck_assert_msg(run_try(&try_ci_jenkins, &s, &r, &res) == 0, "%s",
		      try_error_last());
	ck_assert_uint_eq(res.nr, 1);
	ck_assert_str_eq(res.jobs[0].name, "try");
	ck_assert_int_eq(res.jobs[0].state, TRY_CI_PASSED);
	ck_assert_ptr_null(res.jobs[0].detail);
	snprintf(want, sizeof(want), "%s/job/try/1/console", srv.url);
	ck_assert_str_eq(res.jobs[0].url, want);
	snprintf(want, sizeof(want), "%s/job/try/1/", srv.url);
	ck_assert_str_eq(res.url, want);
	/* a token needs no crumb; the patch arrived byte for byte */
	ck_assert_int_eq(server_count(&srv, "GET", "/crumbIssuer"), 0);
	ck_assert_int_eq(server_count(&srv, "POST",
		"/job/try/buildWithParameters?delay=0sec"), 1);
	server_file(&got, &srv, "1/patch.diff");
	ck_assert_uint_eq(got.len, sizeof(test_patch) - 1);
	ck_assert(!memcmp(got.ptr, test_patch, got.len));
	server_file(&got, &srv, "1/params.json");
	ck_assert_str_eq(got.ptr, "{\"author\": \"A U Thor <author@example.com>\", "
			 "\"base\": \"" BASE "\", \"branch\": \"main\", "
			 "\"reason\": \"try: fix the frobnicator\", "
			 "\"try_id\": \"try-1700000000-42\"}");
	try_buf_release(&got);
	result_release(&res);
	server_stop(&srv);
	remove_dir(home);
}
END_TEST

START_TEST(test_jenkins_results)
{
	static const struct {
		const char *result, *console, *description;
		enum try_ci_state state;
		const char *detail;
	} cases[] = {
		{ "FAILURE", NULL, NULL, TRY_CI_FAILED, NULL },
		{ "UNSTABLE", NULL, NULL, TRY_CI_FAILED, "UNSTABLE" },
		{ "ABORTED", NULL, NULL, TRY_CI_ERROR, "ABORTED" },
		{ "NOT_BUILT", NULL, NULL, TRY_CI_ERROR, "NOT_BUILT" },
		{ "FAILURE", "+ git apply --index patch.diff\\nerror: patch "
		  "failed: a.c:3\\nTRY-PATCH-FAILED: error: patch failed: a.c:3",
		  NULL, TRY_CI_NOT_APPLIED, "error: patch failed: a.c:3" },
		{ "FAILURE", "[2024-05-01T10:00:00.000Z] TRY-PATCH-FAILED",
		  NULL, TRY_CI_NOT_APPLIED, "patch did not apply" },
		{ "FAILURE", "+ echo TRY-PATCH-FAILED\\nTRY-PATCH-FAILEDX",
		  NULL, TRY_CI_FAILED, NULL },
		{ "NOT_BUILT", NULL, "TRY-PATCH-FAILED: conflict in b.c",
		  TRY_CI_NOT_APPLIED, "conflict in b.c" },
	};
	size_t i;
	char home[64];

	no_credentials(home, sizeof(home));
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *args[12] = { "--no-csrf", "--result",
					 cases[i].result, NULL };
		size_t n = 3;
		struct server srv;
		struct try_ci_settings s;
		struct try_ci_request r;
		struct try_ci_result res = { 0 };

		if (cases[i].console) {
			args[n++] = "--console";
			args[n++] = cases[i].console;
		}
		if (cases[i].description) {
			args[n++] = "--description";
			args[n++] = cases[i].description;
		}
		args[n] = NULL;
		server_start(&srv, "fake-jenkins.py", args);
		try_settings(&s, srv.url, "try");
		try_request(&r);
		ck_assert_msg(run_try(&try_ci_jenkins, &s, &r, &res) == 0,
			      "%s", try_error_last());
		ck_assert_msg(res.jobs[0].state == cases[i].state,
			      "case %zu: state %d", i, res.jobs[0].state);
		if (cases[i].detail)
			ck_assert_msg(res.jobs[0].detail &&
				      !strcmp(res.jobs[0].detail,
					      cases[i].detail),
				      "case %zu: detail '%s'", i,
				      res.jobs[0].detail);
		else
			ck_assert_ptr_null(res.jobs[0].detail);
		result_release(&res);
		server_stop(&srv);
	}
	remove_dir(home);
}
END_TEST

START_TEST(test_jenkins_password_from_helper_uses_crumb)
{
	static const char *const args[] = { "--user", "robot", "--password",
					    "p4ss", "--prefix", "/jenkins",
					    "--job", "team/try", NULL };
	struct server srv;
	struct try_ci_settings s;
	struct try_ci_request r;
	struct try_ci_result res = { 0 };
	char home[64], config[256], url[256], want[256];

	fake_home(home, sizeof(home), NULL);
	snprintf(config, sizeof(config), "%s/.gitconfig", home);
	write_file(config, "[credential]\n\thelper = \"!f() { test $1 = get "
		   "&& echo username=robot && echo password=p4ss; }; f\"\n");
	server_start(&srv, "fake-jenkins.py", args);
	snprintf(url, sizeof(url), "%s/jenkins", srv.url);
	try_settings(&s, url, "team/try");
	try_request(&r);
	ck_assert_msg(run_try(&try_ci_jenkins, &s, &r, &res) == 0, "%s",
		      try_error_last());
	ck_assert_int_eq(res.jobs[0].state, TRY_CI_PASSED);
	snprintf(want, sizeof(want), "%s/jenkins/job/team/try/1/console",
		 srv.url);
	ck_assert_str_eq(res.jobs[0].url, want);
	/* a password: the crumb first, then one POST */
	ck_assert_int_eq(server_count(&srv, "GET", "/jenkins/crumbIssuer"), 1);
	ck_assert_int_eq(server_count(&srv, "POST",
		"/jenkins/job/team/job/try/buildWithParameters"), 1);
	result_release(&res);
	server_stop(&srv);
	remove_dir(home);
}
END_TEST

START_TEST(test_jenkins_crumb_after_refusal)
{
	/* a password that looks like an API token: refused, then a crumb */
	static const char *const args[] = { "--user", "alice", "--password",
					    TOKEN, NULL };
	struct server srv;
	struct try_ci_settings s;
	struct try_ci_request r;
	struct try_ci_result res = { 0 };
	char home[64], url[256];

	no_credentials(home, sizeof(home));
	setenv("TRY_TOKEN", TOKEN, 1);
	server_start(&srv, "fake-jenkins.py", args);
	snprintf(url, sizeof(url), "http://alice@127.0.0.1:%d", srv.port);
	try_settings(&s, url, "try");
	try_request(&r);
	ck_assert_msg(run_try(&try_ci_jenkins, &s, &r, &res) == 0, "%s",
		      try_error_last());
	ck_assert_int_eq(res.jobs[0].state, TRY_CI_PASSED);
	ck_assert_int_eq(server_count(&srv, "POST", "/job/try/build"), 2);
	ck_assert_int_eq(server_count(&srv, "GET", "/crumbIssuer"), 1);
	result_release(&res);
	server_stop(&srv);
	remove_dir(home);
}
END_TEST

START_TEST(test_jenkins_refusals)
{
	static const char *const args[] = { "--user", "alice", "--token",
					    TOKEN, NULL };
	struct server srv;
	struct try_ci_settings s;
	struct try_ci_request r;
	struct try_ci_result res = { 0 };
	void *state = NULL;
	char home[64], url[256];

	no_credentials(home, sizeof(home));
	server_start(&srv, "fake-jenkins.py", args);
	try_request(&r);

	/* a wrong token: 401 with Jenkins' words, asked once */
	setenv("TRY_TOKEN", "11ffffffffffffffffffffffffffffffff", 1);
	snprintf(url, sizeof(url), "http://alice@127.0.0.1:%d", srv.port);
	try_settings(&s, url, "try");
	ck_assert_int_eq(try_ci_jenkins.submit(&state, &s, &r, &res), -1);
	ck_assert_ptr_null(state);
	ck_assert_str_eq(try_error_last(), "jenkins: HTTP 401: Invalid "
			 "password/token for user: alice");
	ck_assert_int_eq(server_count(&srv, "POST", "/job/try/"), 1);

	/* no credentials at all */
	unsetenv("TRY_TOKEN");
	ck_assert_int_eq(try_ci_jenkins.submit(&state, &s, &r, &res), -1);
	ck_assert_msg(strstr(try_error_last(), "jenkins: HTTP 403: "
			     "Authentication required (no credentials for ")
		      != NULL, "%s", try_error_last());

	/* no such job */
	setenv("TRY_TOKEN", TOKEN, 1);
	try_settings(&s, url, "nope");
	ck_assert_int_eq(try_ci_jenkins.submit(&state, &s, &r, &res), -1);
	ck_assert_msg(strstr(try_error_last(), "jenkins: HTTP 404: Not Found "
			     "(is try.job 'nope' a job at ") != NULL, "%s",
		      try_error_last());

	/* settings missing */
	try_settings(&s, url, NULL);
	ck_assert_int_eq(try_ci_jenkins.submit(&state, &s, &r, &res), -1);
	ck_assert_str_eq(try_error_last(),
			 "jenkins: try.job is not set (the job to run)");
	try_settings(&s, NULL, "try");
	ck_assert_int_eq(try_ci_jenkins.submit(&state, &s, &r, &res), -1);
	ck_assert_str_eq(try_error_last(),
			 "jenkins: try.url is not set (the Jenkins URL)");
	ck_assert_uint_eq(res.nr, 0);
	result_release(&res);
	server_stop(&srv);
	remove_dir(home);
}
END_TEST

START_TEST(test_jenkins_5xx)
{
	static const char *const args[] = {
		"--no-csrf",
		"--fault", "POST /buildWithParameters 503:Jenkins is going "
			   "to shut down",
		NULL };
	struct server srv;
	struct try_ci_settings s;
	struct try_ci_request r;
	struct try_ci_result res = { 0 };
	void *state = NULL;
	char home[64];

	no_credentials(home, sizeof(home));
	server_start(&srv, "fake-jenkins.py", args);
	try_settings(&s, srv.url, "try");
	try_request(&r);
	ck_assert_int_eq(try_ci_jenkins.submit(&state, &s, &r, &res), -1);
	ck_assert_str_eq(try_error_last(), "jenkins: HTTP 503: Jenkins is "
			 "going to shut down (4 attempts)");
	ck_assert_int_eq(server_count(&srv, "POST", "/job/try/"), 4);

	/* 5xx while polling, then fine: the try goes on */
	server_faults(&srv, "GET /queue/item 502:Bad Gateway x2\n"
		      "GET /job/try/1/api 500:oops x1");
	ck_assert_msg(run_try(&try_ci_jenkins, &s, &r, &res) == 0, "%s",
		      try_error_last());
	ck_assert_int_eq(res.jobs[0].state, TRY_CI_PASSED);
	result_release(&res);
	server_stop(&srv);
	remove_dir(home);
}
END_TEST

START_TEST(test_jenkins_lost)
{
	static const char *const args[] = { "--no-csrf", "--cancel", NULL };
	struct server srv;
	struct try_ci_settings s;
	struct try_ci_request r;
	struct try_ci_result res = { 0 };
	void *state = NULL;
	char home[64], url[64];

	no_credentials(home, sizeof(home));
	server_start(&srv, "fake-jenkins.py", args);
	try_settings(&s, srv.url, "try");
	try_request(&r);

	/* cancelled in the queue */
	ck_assert_msg(run_try(&try_ci_jenkins, &s, &r, &res) == 0, "%s",
		      try_error_last());
	ck_assert_int_eq(res.jobs[0].state, TRY_CI_ERROR);
	ck_assert_str_eq(res.jobs[0].detail, "cancelled in the queue");
	result_release(&res);

	/* a slow answer to the POST: not repeated (no second build) */
	s.timeout_ms = 300;
	server_faults(&srv, "POST /buildWithParameters slow:3");
	ck_assert_int_eq(try_ci_jenkins.submit(&state, &s, &r, &res), -1);
	ck_assert_msg(strstr(try_error_last(), "jenkins: no answer from ") &&
		      strstr(try_error_last(), "within 300 ms"), "%s",
		      try_error_last());
	ck_assert_int_eq(server_count(&srv, "POST", "/job/try/"), 2);
	server_stop(&srv);

	/* nobody there */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", free_port());
	try_settings(&s, url, "try");
	ck_assert_int_eq(try_ci_jenkins.submit(&state, &s, &r, &res), -1);
	ck_assert_msg(strstr(try_error_last(), "jenkins: cannot connect to "
			     "http://127.0.0.1:9/") != NULL, "%s",
		      try_error_last());
	result_release(&res);
	remove_dir(home);
}
END_TEST

static void secret_file(char *path, size_t size, const char *home,
			const char *secret)
{
	snprintf(path, size, "%s/try.secret", home);
	write_file(path, secret);
}

START_TEST(test_webhook_passes)
{
	struct server srv;
	struct try_ci_settings s;
	struct try_ci_request r;
	struct try_ci_result res = { 0 };
	struct try_buf got = TRY_BUF_INIT;
	char home[64], secret[128], url[256], want[256];
	const char *args[] = { "--secret-file", secret, NULL };
	json_t *doc;

	no_credentials(home, sizeof(home));
	secret_file(secret, sizeof(secret), home, "s3cret\n");
	server_start(&srv, "fake-webhook-ci.py", args);
	snprintf(url, sizeof(url), "%s/try", srv.url);
	try_settings(&s, url, NULL);
	s.secret_file = secret;
	try_request(&r);
	r.author = "J\xf6rg <j@example.com>"; /* Latin-1: not UTF-8 */
	ck_assert_msg(run_try(&try_ci_webhook, &s, &r, &res) == 0, "%s",
		      try_error_last());
	ck_assert_uint_eq(res.nr, 1);
	ck_assert_str_eq(res.jobs[0].name, "build");
	ck_assert_int_eq(res.jobs[0].state, TRY_CI_PASSED);
	snprintf(want, sizeof(want), "%s/builds/%s/build", srv.url, r.id);
	ck_assert_str_eq(res.jobs[0].url, want);
	snprintf(want, sizeof(want), "%s/builds/%s", srv.url, r.id);
	ck_assert_str_eq(res.url, want);
	/* the receiver checked the signature and kept what came */
	server_file(&got, &srv, "try-1700000000-42.patch");
	ck_assert_uint_eq(got.len, sizeof(test_patch) - 1);
	ck_assert(!memcmp(got.ptr, test_patch, got.len));
	server_file(&got, &srv, "try-1700000000-42.json");
	doc = json_loads(got.ptr, 0, NULL);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "base")), BASE);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "branch")),
			 "main");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "author")),
			 "J\xef\xbf\xbdrg <j@example.com>");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "reason")),
			 r.reason);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "version")),
			 1);
	json_decref(doc);
	try_buf_release(&got);
	result_release(&res);
	server_stop(&srv);
	remove_dir(home);
}
END_TEST

START_TEST(test_webhook_results)
{
	static const struct {
		const char *const args[8];
		enum try_ci_state state;
		size_t jobs;
	} cases[] = {
		{ { "--result", "failed", NULL }, TRY_CI_FAILED, 1 },
		{ { "--result", "not_applied", NULL }, TRY_CI_NOT_APPLIED, 1 },
		{ { "--result", "error", NULL }, TRY_CI_ERROR, 1 },
		{ { "--jobs", "lint,test", "--job-result", "test=failed",
		    NULL }, TRY_CI_FAILED, 2 },
		{ { "--jobs", "lint,test", NULL }, TRY_CI_PASSED, 2 },
		{ { "--no-jobs", "--absolute-status", NULL }, TRY_CI_PASSED,
		  1 },
	};
	size_t i;
	char home[64], secret[128];

	no_credentials(home, sizeof(home));
	secret_file(secret, sizeof(secret), home, "k");
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *args[12] = { "--secret-file", secret };
		size_t n = 2, k;
		struct server srv;
		struct try_ci_settings s;
		struct try_ci_request r;
		struct try_ci_result res = { 0 };
		char url[256];

		for (k = 0; cases[i].args[k]; k++)
			args[n++] = cases[i].args[k];
		args[n] = NULL;
		server_start(&srv, "fake-webhook-ci.py", args);
		snprintf(url, sizeof(url), "%s/try", srv.url);
		try_settings(&s, url, NULL);
		s.secret_file = secret;
		try_request(&r);
		ck_assert_msg(run_try(&try_ci_webhook, &s, &r, &res) == 0,
			      "%s", try_error_last());
		ck_assert_uint_eq(res.nr, cases[i].jobs);
		ck_assert_msg(result_state(&res) == cases[i].state,
			      "case %zu: state %d", i,
			      result_state(&res));
		if (cases[i].jobs == 1 && !strcmp(cases[i].args[0], "--no-jobs"))
			ck_assert_str_eq(res.jobs[0].name, "ci");
		result_release(&res);
		server_stop(&srv);
	}
	remove_dir(home);
}
END_TEST

START_TEST(test_webhook_refusals)
{
	struct server srv;
	struct try_ci_settings s;
	struct try_ci_request r;
	struct try_ci_result res = { 0 };
	void *state = NULL;
	char home[64], secret[128], wrong[128], url[256], want[512];
	const char *args[] = { "--secret-file", secret, NULL };

	no_credentials(home, sizeof(home));
	secret_file(secret, sizeof(secret), home, "right");
	snprintf(wrong, sizeof(wrong), "%s/wrong.secret", home);
	write_file(wrong, "wrong\n");
	server_start(&srv, "fake-webhook-ci.py", args);
	snprintf(url, sizeof(url), "%s/try", srv.url);
	try_settings(&s, url, NULL);
	try_request(&r);

	/* the receiver checks the signature: 401, asked once */
	s.secret_file = wrong;
	ck_assert_int_eq(try_ci_webhook.submit(&state, &s, &r, &res), -1);
	ck_assert_str_eq(try_error_last(), "webhook: HTTP 401: signature "
			 "mismatch: X-Try-Signature does not match the shared "
			 "secret");
	ck_assert_int_eq(server_count(&srv, "POST", "/try"), 1);

	/* no secret, no request */
	s.secret_file = NULL;
	ck_assert_int_eq(try_ci_webhook.submit(&state, &s, &r, &res), -1);
	ck_assert_str_eq(try_error_last(), "webhook: try.secretFile is not set "
			 "(the receiver checks X-Try-Signature with that "
			 "secret)");
	s.secret_file = (char *)"/nonexistent/try.secret";
	ck_assert_int_eq(try_ci_webhook.submit(&state, &s, &r, &res), -1);
	ck_assert_str_eq(try_error_last(), "webhook: cannot read "
			 "try.secretFile: cannot open '/nonexistent/try.secret'"
			 ": No such file or directory");
	snprintf(want, sizeof(want), "%s/empty.secret", home);
	write_file(want, "\n");
	s.secret_file = want;
	ck_assert_int_eq(try_ci_webhook.submit(&state, &s, &r, &res), -1);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "is empty"));
	ck_assert_int_eq(server_count(&srv, "POST", "/try"), 1);

	/* a bad document: the receiver's words */
	s.secret_file = secret;
	r.base = "main";
	ck_assert_int_eq(try_ci_webhook.submit(&state, &s, &r, &res), -1);
	ck_assert_str_eq(try_error_last(),
			 "webhook: HTTP 400: base is not a full commit id");
	ck_assert_int_eq(server_count(&srv, "POST", "/try"), 2);
	ck_assert_uint_eq(res.nr, 0);
	server_stop(&srv);
	remove_dir(home);
}
END_TEST

START_TEST(test_webhook_retries_and_dedupe)
{
	struct server srv;
	struct try_ci_settings s;
	struct try_ci_request r;
	struct try_ci_result res = { 0 };
	void *state = NULL;
	char home[64], secret[128], url[256];
	const char *args[] = { "--secret-file", secret, "--fault",
			       "POST /try drop x1", "--fault",
			       "POST /try 502:proxy says no x1", NULL };

	no_credentials(home, sizeof(home));
	secret_file(secret, sizeof(secret), home, "k");
	server_start(&srv, "fake-webhook-ci.py", args);
	snprintf(url, sizeof(url), "%s/try", srv.url);
	try_settings(&s, url, NULL);
	s.secret_file = secret;
	try_request(&r);
	ck_assert_msg(run_try(&try_ci_webhook, &s, &r, &res) == 0, "%s",
		      try_error_last());
	ck_assert_int_eq(res.jobs[0].state, TRY_CI_PASSED);
	ck_assert_int_eq(server_count(&srv, "POST", "/try"), 3);
	result_release(&res);

	/* the same id again: the receiver answers with the same try */
	ck_assert_int_eq(try_ci_webhook.submit(&state, &s, &r, &res), 0);
	ck_assert_int_eq(try_ci_webhook.poll(state, &res), 0);
	ck_assert_int_eq(res.jobs[0].state, TRY_CI_PASSED);
	try_ci_webhook.free_state(state);
	result_release(&res);

	/* the status URL fails for good: lost, with the server's words */
	server_faults(&srv, "GET /status 500:database is down");
	ck_assert_int_eq(try_ci_webhook.submit(&state, &s, &r, &res), 0);
	ck_assert_int_eq(try_ci_webhook.poll(state, &res), -1);
	ck_assert_str_eq(try_error_last(), "webhook: HTTP 500: database is "
			 "down (4 attempts)");
	try_ci_webhook.free_state(state);
	result_release(&res);

	/* ... or answers slowly */
	s.timeout_ms = 200;
	server_faults(&srv, "GET /status slow:2");
	ck_assert_int_eq(try_ci_webhook.submit(&state, &s, &r, &res), 0);
	ck_assert_int_eq(try_ci_webhook.poll(state, &res), -1);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "within 200 ms"));
	try_ci_webhook.free_state(state);
	result_release(&res);
	server_stop(&srv);
	remove_dir(home);
}
END_TEST

Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *t = tcase_create("offline");
	TCase *net = tcase_create("loopback");
	TCase *cred = tcase_create("credentials");
	TCase *ci = tcase_create("backends");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_sign);
	tcase_add_test(t, test_error_text);
	tcase_add_test(t, test_error_text_long);
	tcase_add_test(t, test_urls);
	tcase_add_test(t, test_mask_table);
	tcase_add_test(t, test_refuses_other_schemes);
	suite_add_tcase(s, t);

	tcase_add_checked_fixture(net, setup, teardown);
	tcase_set_timeout(net, 30);
	tcase_add_test(net, test_4xx_not_retried);
	tcase_add_test(net, test_server_text_masked);
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

	tcase_add_checked_fixture(ci, setup, teardown);
	tcase_set_timeout(ci, 60);
	tcase_add_test(ci, test_jenkins_passes_with_token);
	tcase_add_test(ci, test_jenkins_results);
	tcase_add_test(ci, test_jenkins_password_from_helper_uses_crumb);
	tcase_add_test(ci, test_jenkins_crumb_after_refusal);
	tcase_add_test(ci, test_jenkins_refusals);
	tcase_add_test(ci, test_jenkins_5xx);
	tcase_add_test(ci, test_jenkins_lost);
	tcase_add_test(ci, test_webhook_passes);
	tcase_add_test(ci, test_webhook_results);
	tcase_add_test(ci, test_webhook_refusals);
	tcase_add_test(ci, test_webhook_retries_and_dedupe);
	suite_add_tcase(s, ci);
	return s;
}
