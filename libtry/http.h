#ifndef TRY_HTTP_H
#define TRY_HTTP_H

#include <stddef.h>

#include "libtry/buf.h"

/*
 * HTTP for CI backends and webhooks, over libcurl: connect and read
 * timeouts, retries with backoff on connection errors and 5xx (never on
 * 4xx), TLS verification always on, the server's own error text in the
 * message, bodies capped in size.  Credentials are never printed; verbose
 * output masks them.
 *
 * Only http:// and https:// URLs are accepted, also when following a
 * redirect (GET only; credentials are never sent to another host on a
 * redirect).  User name and password written into a URL are never sent
 * from there: pass them as `user` and `password` (try_http_credentials()
 * finds them).  The caller calls curl_global_init() once in main().
 */

struct try_http_header {
	const char *name;
	const char *value;
};

struct try_http_request {
	const char *method;        /* "GET", "POST" */
	const char *url;
	const struct try_http_header *headers; /* NULL-name terminated, or NULL */
	const char *body;          /* NULL: no body */
	size_t body_len;
	const char *user;          /* basic auth user, or NULL */
	const char *password;      /* basic auth password or token, or NULL */
	/* multipart/form-data: when set, body is ignored */
	const struct try_http_part *parts;
	size_t nparts;
	long connect_timeout_ms;   /* 0: 5000 */
	long timeout_ms;           /* whole request; 0: 30000 */
	int retries;               /* extra attempts on connect errors/5xx; -1: none, 0: default 3 */
	int verbose;               /* print the exchange on stderr, secrets masked;
				    * also when GIT_CURL_VERBOSE=1, as in git */

	/* Extensions (zero means the default; designated initialisers). */

	/* Names the service in messages: "jenkins: HTTP 403: ...". */
	const char *what;
	/*
	 * A request other than GET/HEAD is retried after a transport error
	 * only when nothing of it was sent (so a build is never started
	 * twice).  Set this when the receiver dedupes (the webhook's id): a
	 * POST is then retried like a GET, also after a timeout or a dropped
	 * connection.
	 */
	int idempotent;
	/* Body cap in bytes; 0: TRY_HTTP_MAX_BODY. */
	size_t max_body;
	/* Keep the first max_body bytes and stop reading, without error. */
	int truncate;
	/* First retry delay in ms, doubled for each further one; 0: 500. */
	long backoff_ms;
};

#define TRY_HTTP_MAX_BODY (16u << 20)

struct try_http_part {
	const char *name;          /* form field name */
	const char *filename;      /* non-NULL: a file part with this file name */
	const char *data;
	size_t len;
	const char *content_type;  /* NULL: text/plain or application/octet-stream */
};

struct try_http_response {
	long status;               /* HTTP status, 0 when no answer */
	struct try_buf body;       /* capped at 16 MiB */
	char *location;            /* Location header, or NULL */
	struct try_buf headers;    /* raw response headers of the last answer */
};
#define TRY_HTTP_RESPONSE_INIT { 0, TRY_BUF_INIT, NULL, TRY_BUF_INIT }

void try_http_response_release(struct try_http_response *res);

/*
 * Performs the request.  Returns 0 when an HTTP answer arrived (any status;
 * the caller judges 4xx), -1 with a message when none did after the retries
 * (connection refused, timeout, TLS failure) or when the answer was a 5xx
 * after the retries (the message then carries the server's error text, and
 * `out` still holds that last answer).  `out` is reset before each attempt
 * and must be released in every case.
 *
 * Messages start with `req->what` and never hold credentials or a URL's
 * query: "jenkins: HTTP 503: Jenkins is going to shut down (4 attempts)",
 * "webhook: cannot connect to http://127.0.0.1:9/: Connection refused".
 */
int try_http_perform(struct try_http_response *out,
		     const struct try_http_request *req);

/* Value of response header `name` (case-insensitive), or NULL; caller frees. */
char *try_http_header(const struct try_http_response *res, const char *name);

/*
 * The "name=value" pairs of every Set-Cookie header of the answer, joined
 * by "; " for a Cookie request header (a session for the next request), or
 * NULL when there are none.  Caller frees.
 */
char *try_http_cookies(const struct try_http_response *res);

/*
 * The server's own words for an error answer, made safe for a terminal and
 * at most 200 bytes: the "message" or "error" of a JSON body, the <title> of
 * an HTML page (without "Error 403 "), the first line of a text body, else
 * the reason phrase of the status line.  Never NULL; caller frees.
 */
char *try_http_error_text(const struct try_http_response *res);

/*
 * Sets the message "<what>: HTTP <status>: <server text>" for an answer the
 * caller refuses (a 4xx) and returns -1.
 */
int try_http_error_status(const char *what, const struct try_http_response *res);

/*
 * Masks in `text` (server text: an answer's body) every credential `req`
 * sends, as "***": its password or token and "user:password", plain and in
 * base64 (a basic-auth value), the values of its Authorization, Cookie and
 * *Token* headers (and the part after "Bearer "), and the user info of
 * any "scheme://user:pass@" URL.  try_http_perform() does this to every
 * answer's body, so everything taken from a server is masked.  Secrets
 * shorter than TRY_HTTP_MASK_MIN bytes are not masked (they would mask
 * ordinary text).
 */
#define TRY_HTTP_MASK_MIN 4
void try_http_mask(struct try_buf *text, const struct try_http_request *req);

/*
 * `url` without user name, password, query and fragment, for messages;
 * caller frees.  Text that does not parse as a URL comes back unchanged.
 */
char *try_http_url_display(const char *url);

/*
 * Resolves `ref` (absolute, or relative like "/status/1") against `base`
 * into `*out`.  -1 with a message when either does not parse or the result
 * is not http(s).  Caller frees.
 */
int try_http_url_resolve(char **out, const char *base, const char *ref);

/* 1 when `a` and `b` have the same scheme, host and port. */
int try_http_same_origin(const char *a, const char *b);

/*
 * Credentials for `url`: $TRY_TOKEN (user from the URL or `token`), else a
 * user name and password written in the URL, else `git credential fill`
 * (so existing credential helpers work).  `*user` and `*password` are NULL
 * when none are found.  Caller frees both.
 *
 * `git credential fill` gets protocol, host and path on its standard input
 * (never on its command line), runs without a controlling terminal and with
 * GIT_TERMINAL_PROMPT=0 and an empty GIT_ASKPASS, so it never prompts; no
 * helper configured, or a helper that knows nothing, is "none found".  -1
 * with a message only when `url` does not parse or git cannot be run.
 */
int try_http_credentials(char **user, char **password, const char *url);

/*
 * Appends "sha256=<hex HMAC-SHA256 of body with secret>" to `out`: the
 * value of an X-Try-Signature or X-Lanes-Signature header.
 */
int try_http_sign(struct try_buf *out, const char *secret, size_t secret_len,
		  const char *body, size_t body_len);

#endif
