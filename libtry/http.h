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
	int verbose;               /* print the exchange on stderr, secrets masked */
};

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
 * after the retries (the message then carries the server's error text).
 */
int try_http_perform(struct try_http_response *out,
		     const struct try_http_request *req);

/* Value of response header `name` (case-insensitive), or NULL; caller frees. */
char *try_http_header(const struct try_http_response *res, const char *name);

/*
 * Credentials for `url`: $TRY_TOKEN (user from the URL or `token`), else
 * `git credential fill` (so existing credential helpers work).  `*user` and
 * `*password` are NULL when none are found.  Caller frees both.
 */
int try_http_credentials(char **user, char **password, const char *url);

/* "sha256=<hex HMAC-SHA256 of body with secret>" into `out`. */
int try_http_sign(struct try_buf *out, const char *secret, size_t secret_len,
		  const char *body, size_t body_len);

#endif
