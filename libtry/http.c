#include "libtry/http.h"
#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/report.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_CONNECT_TIMEOUT_MS 5000
#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_RETRIES 3
#define DEFAULT_BACKOFF_MS 500
#define MAX_BACKOFF_MS 8000
#define MAX_RETRY_AFTER_MS 10000
#define ERROR_TEXT_MAX 200
#define CREDENTIAL_TIMEOUT_MS 30000

void try_http_response_release(struct try_http_response *res)
{
	if (!res)
		return;
	res->status = 0;
	try_buf_release(&res->body);
	try_buf_release(&res->headers);
	free(res->location);
	res->location = NULL;
}

static void response_reset(struct try_http_response *res)
{
	res->status = 0;
	try_buf_reset(&res->body);
	try_buf_reset(&res->headers);
	free(res->location);
	res->location = NULL;
}

/* What one transfer collects, shared with libcurl's callbacks. */
struct transfer {
	struct try_http_response *res;
	size_t cap;
	int truncate;
	int too_big;
	int truncated;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *p)
{
	struct transfer *t = p;
	size_t n = size * nmemb;

	if (t->res->body.len + n > t->cap) {
		size_t room = t->cap - t->res->body.len;

		try_buf_add(&t->res->body, data, room);
		if (t->truncate)
			t->truncated = 1;
		else
			t->too_big = 1;
		return 0; /* stops the transfer: CURLE_WRITE_ERROR */
	}
	try_buf_add(&t->res->body, data, n);
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *p)
{
	struct transfer *t = p;
	size_t n = size * nmemb;

	/* a new status line: a redirect or a 100 Continue came before */
	if (n >= 5 && !memcmp(data, "HTTP/", 5))
		try_buf_reset(&t->res->headers);
	if (t->res->headers.len + n > 256 * 1024)
		return 0;
	try_buf_add(&t->res->headers, data, n);
	return n;
}

/* Header lines whose values are secrets, masked in verbose output. */
static const char *const secret_headers[] = {
	"authorization", "proxy-authorization", "cookie", "set-cookie", NULL
};

static int is_secret_header(const char *line, size_t len)
{
	size_t i;

	for (i = 0; secret_headers[i]; i++) {
		size_t n = strlen(secret_headers[i]);
		if (len > n && line[n] == ':' &&
		    !strncasecmp(line, secret_headers[i], n))
			return 1;
	}
	return 0;
}

/* Writes header lines with `prefix`, masking secret values. */
static void show_headers(const char *prefix, const char *data, size_t size)
{
	struct try_buf out = TRY_BUF_INIT;
	const char *p = data, *end = data + size;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);

		if (len && p[len - 1] == '\r')
			len--;
		if (len) {
			try_buf_adds(&out, prefix);
			if (is_secret_header(p, len)) {
				const char *colon = memchr(p, ':', len);
				const char *v = colon + 1;
				const char *sp;

				while (v < p + len && *v == ' ')
					v++;
				/* keep the scheme: "Authorization: Basic ***" */
				sp = memchr(v, ' ', (size_t)(p + len - v));
				try_buf_add(&out, p, (size_t)(colon - p));
				try_buf_adds(&out, ": ");
				if (sp && !strncasecmp(p, "authorization", 13))
					try_buf_add(&out, v, (size_t)(sp - v) + 1);
				else if (sp && !strncasecmp(p, "proxy-authorization", 19))
					try_buf_add(&out, v, (size_t)(sp - v) + 1);
				try_buf_adds(&out, "***");
			} else {
				try_report_add_safe(&out, p, len, 4096);
			}
			try_buf_addch(&out, '\n');
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	fputs(out.ptr, stderr);
	try_buf_release(&out);
}

static int on_debug(CURL *curl, curl_infotype type, char *data, size_t size,
		    void *p)
{
	struct try_buf line = TRY_BUF_INIT;

	switch (type) {
	case CURLINFO_TEXT:
		try_buf_adds(&line, "* ");
		try_report_add_safe(&line, data, size, 4096);
		try_buf_rtrim(&line);
		try_buf_addch(&line, '\n');
		fputs(line.ptr, stderr);
		break;
	case CURLINFO_HEADER_OUT:
		show_headers("> ", data, size);
		break;
	case CURLINFO_HEADER_IN:
		show_headers("< ", data, size);
		break;
	case CURLINFO_DATA_OUT:
		fprintf(stderr, "> [%zu bytes of data]\n", size);
		break;
	case CURLINFO_DATA_IN:
		fprintf(stderr, "< [%zu bytes of data]\n", size);
		break;
	default:
		break;
	}
	try_buf_release(&line);
	return 0;
}

/* Replaces every `secret` (`len` bytes) in `b` by "***". */
static void mask_secret(struct try_buf *b, const char *secret, size_t len)
{
	struct try_buf out = TRY_BUF_INIT;
	const char *p = b->ptr, *end = b->ptr + b->len, *hit;

	if (len < TRY_HTTP_MASK_MIN || len > b->len)
		return;
	if (!memmem(p, b->len, secret, len))
		return;
	while ((hit = memmem(p, (size_t)(end - p), secret, len))) {
		try_buf_add(&out, p, (size_t)(hit - p));
		try_buf_adds(&out, "***");
		p = hit + len;
	}
	try_buf_add(&out, p, (size_t)(end - p));
	try_buf_release(b);
	*b = out;
}

/* The user info of a URL in `b` ("user:pass" before "@host") becomes "***". */
static void mask_userinfo(struct try_buf *b)
{
	struct try_buf out = TRY_BUF_INIT;
	const char *p = b->ptr, *end = b->ptr + b->len, *s;
	int changed = 0;

	while ((s = memmem(p, (size_t)(end - p), "://", 3))) {
		const char *q = s + 3, *at = NULL;

		for (; q < end && !strchr("/?# \t\r\n\"'<>\\", *q); q++)
			if (*q == '@')
				at = q;
		try_buf_add(&out, p, (size_t)(s + 3 - p));
		if (at && at > s + 3) {
			try_buf_adds(&out, "***");
			p = at;
			changed = 1;
		} else {
			p = s + 3;
		}
	}
	if (!changed) {
		try_buf_release(&out);
		return;
	}
	try_buf_add(&out, p, (size_t)(end - p));
	try_buf_release(b);
	*b = out;
}

static void mask_base64(struct try_buf *b, const char *s, size_t len)
{
	unsigned char *enc;
	int n;

	if (len < TRY_HTTP_MASK_MIN || len > 4096)
		return;
	enc = try_xmalloc(4 * ((len + 2) / 3) + 1);
	n = EVP_EncodeBlock(enc, (const unsigned char *)s, (int)len);
	mask_secret(b, (const char *)enc, (size_t)n);
	free(enc);
}

void try_http_mask(struct try_buf *text, const struct try_http_request *req)
{
	const struct try_http_header *h;
	struct try_buf pair = TRY_BUF_INIT;

	if (req->user && req->password) {
		try_buf_addf(&pair, "%s:%s", req->user, req->password);
		mask_base64(text, pair.ptr, pair.len);
		mask_secret(text, pair.ptr, pair.len);
	}
	if (req->password) {
		mask_base64(text, req->password, strlen(req->password));
		mask_secret(text, req->password, strlen(req->password));
	}
	for (h = req->headers; h && h->name; h++) {
		const char *v = h->value, *sp;

		if (!v || !(!strcasecmp(h->name, "authorization") ||
			    !strcasecmp(h->name, "cookie") ||
			    strcasestr(h->name, "token")))
			continue;
		mask_secret(text, v, strlen(v));
		/* "Bearer xyz": also xyz alone; a cookie's values alone */
		if (!strcasecmp(h->name, "cookie")) {
			const char *p = v;
			while (p && *p) {
				const char *eq = strchr(p, '=');
				const char *semi = strchr(p, ';');
				if (!eq)
					break;
				if (!semi)
					semi = p + strlen(p);
				if (eq < semi)
					mask_secret(text, eq + 1,
						    (size_t)(semi - eq - 1));
				p = *semi ? semi + 1 : semi;
				while (*p == ' ')
					p++;
			}
		} else if ((sp = strchr(v, ' '))) {
			mask_secret(text, sp + 1, strlen(sp + 1));
		}
	}
	mask_userinfo(text);
	try_buf_release(&pair);
}

/*
 * The same for response headers (a reason phrase may echo them), line by
 * line, except Set-Cookie: a session the server hands out is kept intact.
 */
static void mask_headers(struct try_buf *headers,
			 const struct try_http_request *req)
{
	struct try_buf out = TRY_BUF_INIT, line = TRY_BUF_INIT;
	const char *p = headers->ptr, *end = headers->ptr + headers->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl + 1 - p) : (size_t)(end - p);

		try_buf_reset(&line);
		try_buf_add(&line, p, len);
		if (strncasecmp(line.ptr, "set-cookie:", 11))
			try_http_mask(&line, req);
		try_buf_add(&out, line.ptr, line.len);
		p += len;
	}
	try_buf_release(&line);
	try_buf_release(headers);
	*headers = out;
}

char *try_http_url_display(const char *url)
{
	CURLU *u = curl_url();
	char *s = NULL, *ret;

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_set(u, CURLUPART_USER, NULL, 0) ||
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) ||
	    curl_url_set(u, CURLUPART_QUERY, NULL, 0) ||
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) ||
	    curl_url_get(u, CURLUPART_URL, &s, 0)) {
		curl_url_cleanup(u);
		return try_xstrdup(url);
	}
	ret = try_xstrdup(s);
	curl_free(s);
	curl_url_cleanup(u);
	return ret;
}

static int is_http_scheme(CURLU *u)
{
	char *scheme = NULL;
	int ok;

	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0))
		return 0;
	ok = !strcasecmp(scheme, "http") || !strcasecmp(scheme, "https");
	curl_free(scheme);
	return ok;
}

int try_http_url_resolve(char **out, const char *base, const char *ref)
{
	CURLU *u = curl_url();
	char *s = NULL;
	int ret = -1;

	*out = NULL;
	if (!u)
		goto done;
	if (curl_url_set(u, CURLUPART_URL, base, 0)) {
		try_error_set("'%s' is not a URL", base);
		goto done;
	}
	if (curl_url_set(u, CURLUPART_URL, ref, 0) || !is_http_scheme(u) ||
	    curl_url_get(u, CURLUPART_URL, &s, 0)) {
		try_error_set("'%s' is not an http(s) URL", ref);
		goto done;
	}
	*out = try_xstrdup(s);
	ret = 0;
done:
	curl_free(s);
	curl_url_cleanup(u);
	return ret;
}

/* "scheme://host:port" with the scheme's default port made explicit. */
static char *origin_of(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *ret = NULL;
	struct try_buf b = TRY_BUF_INIT;

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT))
		goto done;
	try_buf_addf(&b, "%s://%s:%s", scheme, host, port);
	for (char *c = b.ptr; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	ret = try_buf_detach(&b);
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ret;
}

int try_http_same_origin(const char *a, const char *b)
{
	char *oa = origin_of(a), *ob = origin_of(b);
	int same = oa && ob && !strcmp(oa, ob);

	free(oa);
	free(ob);
	return same;
}

/* `url` without user name and password: those travel as options only. */
static char *url_without_userinfo(const char *url)
{
	CURLU *u = curl_url();
	char *s = NULL, *ret = NULL;

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) ||
	    !is_http_scheme(u) ||
	    curl_url_set(u, CURLUPART_USER, NULL, 0) ||
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) ||
	    curl_url_get(u, CURLUPART_URL, &s, 0))
		goto done;
	ret = try_xstrdup(s);
done:
	curl_free(s);
	curl_url_cleanup(u);
	return ret;
}

char *try_http_header(const struct try_http_response *res, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = res->headers.ptr, *end = p + res->headers.len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);

		if (len > nlen && p[nlen] == ':' && !strncasecmp(p, name, nlen)) {
			const char *v = p + nlen + 1, *e = p + len;

			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == '\r' || e[-1] == ' ' ||
					 e[-1] == '\t'))
				e--;
			return try_xstrndup(v, (size_t)(e - v));
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	return NULL;
}

char *try_http_cookies(const struct try_http_response *res)
{
	struct try_buf out = TRY_BUF_INIT;
	const char *p = res->headers.ptr, *end = p + res->headers.len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);

		if (len > 11 && !strncasecmp(p, "set-cookie:", 11)) {
			const char *v = p + 11, *e = p + len, *semi;

			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			for (semi = v; semi < e && *semi != ';'; semi++)
				;
			e = semi;
			while (e > v && (e[-1] == '\r' || e[-1] == ' '))
				e--;
			if (e > v && memchr(v, '=', (size_t)(e - v))) {
				if (out.len)
					try_buf_adds(&out, "; ");
				try_buf_add(&out, v, (size_t)(e - v));
			}
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	if (!out.len)
		return NULL;
	return try_buf_detach(&out);
}

/* Decodes the few entities error pages use, in place. */
static void html_unescape(struct try_buf *b)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&#39;", '\'' }, { "&apos;", '\'' },
		{ "&nbsp;", ' ' },
	};
	size_t r = 0, w = 0;

	while (r < b->len) {
		size_t i, done = 0;

		if (b->ptr[r] == '&') {
			for (i = 0; i < sizeof(ents) / sizeof(*ents); i++) {
				size_t n = strlen(ents[i].ent);
				if (b->len - r >= n &&
				    !memcmp(b->ptr + r, ents[i].ent, n)) {
					b->ptr[w++] = ents[i].c;
					r += n;
					done = 1;
					break;
				}
			}
		}
		if (!done)
			b->ptr[w++] = b->ptr[r++];
	}
	try_buf_setlen(b, w);
}

/* Text between <tag ...> and </tag>, case-insensitive, into `out`. */
static int html_element(struct try_buf *out, const char *html, size_t len,
			const char *tag)
{
	size_t tlen = strlen(tag), i;
	const char *start = NULL;

	for (i = 0; i + tlen + 1 < len; i++) {
		if (html[i] == '<' && !strncasecmp(html + i + 1, tag, tlen) &&
		    (html[i + tlen + 1] == '>' || html[i + tlen + 1] == ' ')) {
			const char *gt = memchr(html + i, '>', len - i);
			if (!gt)
				return 0;
			start = gt + 1;
			break;
		}
	}
	if (!start)
		return 0;
	for (i = (size_t)(start - html); i + tlen + 2 < len; i++) {
		if (html[i] == '<' && html[i + 1] == '/' &&
		    !strncasecmp(html + i + 2, tag, tlen)) {
			try_buf_add(out, start, (size_t)(html + i - start));
			return 1;
		}
	}
	return 0;
}

/* Collapses white space runs to one space and trims. */
static void squeeze(struct try_buf *b)
{
	size_t r, w = 0;
	int space = 1;

	for (r = 0; r < b->len; r++) {
		char c = b->ptr[r];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (!space)
				b->ptr[w++] = ' ';
			space = 1;
		} else {
			b->ptr[w++] = c;
			space = 0;
		}
	}
	while (w && b->ptr[w - 1] == ' ')
		w--;
	try_buf_setlen(b, w);
}

static int text_from_json(struct try_buf *out, const struct try_buf *body)
{
	json_t *root = json_loadb(body->ptr, body->len, 0, NULL);
	const char *keys[] = { "message", "error", "detail", "reason" };
	size_t i;
	int found = 0;

	if (!root)
		return 0;
	for (i = 0; i < sizeof(keys) / sizeof(*keys) && !found; i++) {
		json_t *v = json_object_get(root, keys[i]);
		if (json_is_object(v))
			v = json_object_get(v, "message");
		if (json_is_string(v) && json_string_length(v)) {
			try_buf_add(out, json_string_value(v),
				    json_string_length(v));
			found = 1;
		}
	}
	json_decref(root);
	return found;
}

static int text_from_html(struct try_buf *out, const struct try_buf *body)
{
	struct try_buf t = TRY_BUF_INIT;
	int found = 0;

	if (html_element(&t, body->ptr, body->len, "title")) {
		html_unescape(&t);
		squeeze(&t);
		/* Jetty: "Error 403 No valid crumb was included in the request" */
		if (t.len > 10 && !strncasecmp(t.ptr, "error ", 6) &&
		    t.ptr[6] >= '1' && t.ptr[6] <= '5' && t.ptr[9] == ' ') {
			memmove(t.ptr, t.ptr + 10, t.len - 10);
			try_buf_setlen(&t, t.len - 10);
		}
		if (t.len) {
			try_buf_add(out, t.ptr, t.len);
			found = 1;
		}
	}
	try_buf_release(&t);
	return found;
}

/* The text of a page without a title: tags, scripts, styles, comments out. */
static void html_text(struct try_buf *out, const struct try_buf *body)
{
	const char *p = body->ptr, *end = p + body->len;

	while (p < end) {
		if (*p != '<') {
			try_buf_addch(out, *p++);
			continue;
		}
		if (end - p >= 4 && !memcmp(p, "<!--", 4)) {
			const char *c = memmem(p + 4, (size_t)(end - p - 4),
					       "-->", 3);
			p = c ? c + 3 : end;
			continue;
		}
		if (end - p >= 7 && (!strncasecmp(p, "<script", 7) ||
				     !strncasecmp(p, "<style", 6))) {
			const char *tag = !strncasecmp(p, "<script", 7)
					  ? "</script" : "</style";
			size_t tl = strlen(tag);
			const char *q = p + 1;

			while (q + tl <= end && strncasecmp(q, tag, tl))
				q++;
			p = q + tl <= end ? q + tl : end;
		}
		{
			const char *gt = memchr(p, '>', (size_t)(end - p));
			p = gt ? gt + 1 : end;
		}
		try_buf_addch(out, ' ');
	}
	html_unescape(out);
}

static int looks_like_html(const struct try_buf *body)
{
	const char *p = body->ptr;

	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	return *p == '<';
}

char *try_http_error_text(const struct try_http_response *res)
{
	struct try_buf raw = TRY_BUF_INIT, out = TRY_BUF_INIT;

	if (res->body.len && text_from_json(&raw, &res->body))
		;
	else if (res->body.len && looks_like_html(&res->body)) {
		if (!text_from_html(&raw, &res->body))
			html_text(&raw, &res->body);
	}
	else if (res->body.len) {
		const char *p = res->body.ptr, *end = p + res->body.len;
		while (p < end && (*p == '\n' || *p == '\r' || *p == ' '))
			p++;
		{
			const char *eol = memchr(p, '\n', (size_t)(end - p));
			try_buf_add(&raw, p, eol ? (size_t)(eol - p)
					      : (size_t)(end - p));
		}
	}
	squeeze(&raw);
	if (!raw.len && res->headers.len) {
		/* "HTTP/1.1 403 Forbidden": the reason phrase */
		const char *p = res->headers.ptr;
		const char *eol = strchr(p, '\n');
		const char *sp = memchr(p, ' ', eol ? (size_t)(eol - p)
						    : strlen(p));
		if (sp)
			sp = memchr(sp + 1, ' ', (size_t)((eol ? eol : p +
				strlen(p)) - sp - 1));
		if (sp)
			try_buf_add(&raw, sp + 1, (size_t)((eol ? eol
				: p + strlen(p)) - sp - 1));
		squeeze(&raw);
	}
	try_report_add_safe(&out, raw.ptr, raw.len, ERROR_TEXT_MAX - 3);
	try_buf_release(&raw);
	return try_buf_detach(&out);
}

int try_http_error_status(const char *what, const struct try_http_response *res)
{
	char *text = try_http_error_text(res);

	if (*text)
		try_error_set("%s%sHTTP %ld: %s", what ? what : "",
			      what ? ": " : "", res->status, text);
	else
		try_error_set("%s%sHTTP %ld", what ? what : "",
			      what ? ": " : "", res->status);
	free(text);
	return -1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int is_idempotent_method(const char *m)
{
	return !strcmp(m, "GET") || !strcmp(m, "HEAD");
}

/*
 * Whether a transport failure may be retried: connection errors always
 * when nothing was sent; otherwise (timeouts, resets, empty answers) only
 * for requests that may safely happen twice.
 */
static int retryable(CURLcode rc, int sent, int idempotent)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return 1;
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return !sent || idempotent;
	default:
		return 0;
	}
}

/* Seconds of a Retry-After header, or -1. */
static long retry_after_ms(const struct try_http_response *res)
{
	char *v = try_http_header(res, "Retry-After");
	long ms = -1;

	if (v && *v) {
		char *end;
		long s = strtol(v, &end, 10);
		if (!*end && s >= 0)
			ms = s > MAX_RETRY_AFTER_MS / 1000 ? MAX_RETRY_AFTER_MS
							   : s * 1000;
	}
	free(v);
	return ms;
}

static struct curl_slist *build_headers(const struct try_http_request *req)
{
	struct curl_slist *list = NULL, *n;
	struct try_buf line = TRY_BUF_INIT;
	const struct try_http_header *h;

	/* curl would wait up to a second for "100 Continue" on big bodies */
	list = curl_slist_append(list, "Expect:");
	for (h = req->headers; h && h->name; h++) {
		try_buf_reset(&line);
		if (h->value && *h->value)
			try_buf_addf(&line, "%s: %s", h->name, h->value);
		else
			try_buf_addf(&line, "%s;", h->name);
		n = curl_slist_append(list, line.ptr);
		if (!n)
			break;
		list = n;
	}
	try_buf_release(&line);
	return list;
}

static curl_mime *build_mime(CURL *curl, const struct try_http_request *req)
{
	curl_mime *mime = curl_mime_init(curl);
	size_t i;

	for (i = 0; mime && i < req->nparts; i++) {
		const struct try_http_part *p = &req->parts[i];
		curl_mimepart *part = curl_mime_addpart(mime);

		if (!part)
			break;
		curl_mime_name(part, p->name);
		curl_mime_data(part, p->data ? p->data : "", p->len);
		if (p->filename) {
			curl_mime_filename(part, p->filename);
			curl_mime_type(part, p->content_type ? p->content_type
					     : "application/octet-stream");
		} else if (p->content_type) {
			curl_mime_type(part, p->content_type);
		}
	}
	return mime;
}

/* The request's wish, or git's own GIT_CURL_VERBOSE=1. */
static int want_verbose(const struct try_http_request *req)
{
	const char *v = getenv("GIT_CURL_VERBOSE");

	return req->verbose || (v && *v && strcmp(v, "0") &&
				strcasecmp(v, "false"));
}

/* One attempt.  Returns libcurl's code; `*sent` says whether any of the
 * request went out. */
static CURLcode attempt(struct try_http_response *out,
			const struct try_http_request *req, const char *url,
			struct curl_slist *headers, struct transfer *t,
			char *errbuf, int *sent)
{
	CURL *curl = curl_easy_init();
	curl_mime *mime = NULL;
	CURLcode rc;
	curl_off_t up = 0;
	long hsize = 0;
	const char *method = req->method ? req->method : "GET";
	int verbose = want_verbose(req);

	*sent = 0;
	errbuf[0] = '\0';
	if (!curl)
		return CURLE_FAILED_INIT;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
			 req->connect_timeout_ms > 0 ? req->connect_timeout_ms
						     : DEFAULT_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
			 req->timeout_ms > 0 ? req->timeout_ms
					     : DEFAULT_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "try (git-try)");
	curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, t);
	if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
		curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
		if (!strcmp(method, "HEAD"))
			curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	} else {
		if (req->nparts) {
			mime = build_mime(curl, req);
			curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
		} else {
			curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)(req->body ? req->body_len : 0));
			curl_easy_setopt(curl, CURLOPT_POSTFIELDS,
					 req->body ? req->body : "");
		}
		if (strcmp(method, "POST"))
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	}
	if (req->user || req->password) {
		curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(curl, CURLOPT_USERNAME,
				 req->user ? req->user : "");
		curl_easy_setopt(curl, CURLOPT_PASSWORD,
				 req->password ? req->password : "");
	}
	if (verbose) {
		curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, on_debug);
		curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
	}

	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
	curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &hsize);
	curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &up);
	*sent = hsize > 0 || up > 0;
	if (rc == CURLE_WRITE_ERROR && t->truncated)
		rc = CURLE_OK;
	curl_easy_cleanup(curl);
	curl_mime_free(mime);
	return rc;
}

static void transport_error(const struct try_http_request *req,
			    const char *shown, CURLcode rc, const char *errbuf,
			    int sent, int attempts)
{
	const char *what = req->what ? req->what : "http";
	long timeout_ms = req->timeout_ms > 0 ? req->timeout_ms
					      : DEFAULT_TIMEOUT_MS;
	char tries[32] = "";

	if (attempts > 1)
		snprintf(tries, sizeof(tries), " (%d attempts)", attempts);
	/* timed out before anything was sent: the connection never came */
	if (rc == CURLE_OPERATION_TIMEDOUT && !sent)
		rc = CURLE_COULDNT_CONNECT;
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		try_error_set("%s: no answer from %s within %ld ms%s", what,
			      shown, timeout_ms, tries);
		break;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		try_error_set("%s: cannot connect to %s: %s%s", what, shown,
			      *errbuf ? errbuf : curl_easy_strerror(rc), tries);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
		try_error_set("%s: TLS failure talking to %s: %s", what, shown,
			      *errbuf ? errbuf : curl_easy_strerror(rc));
		break;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		try_error_set("%s: connection to %s lost: %s%s", what, shown,
			      *errbuf ? errbuf : curl_easy_strerror(rc), tries);
		break;
	default:
		try_error_set("%s: request to %s failed: %s%s", what, shown,
			      *errbuf ? errbuf : curl_easy_strerror(rc), tries);
		break;
	}
}

int try_http_perform(struct try_http_response *out,
		     const struct try_http_request *req)
{
	const char *what = req->what ? req->what : "http";
	const char *method = req->method ? req->method : "GET";
	struct transfer t = { out, 0, 0, 0, 0 };
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE];
	char *url = NULL, *shown = NULL;
	int retries, n, ret = -1;
	long delay;

	if (!req->url) {
		try_error_set("%s: no URL", what);
		return -1;
	}
	shown = try_http_url_display(req->url);
	url = url_without_userinfo(req->url);
	if (!url) {
		try_error_set("%s: '%s' is not an http:// or https:// URL", what,
			      shown);
		goto done;
	}
	retries = req->retries < 0 ? 0 : req->retries ? req->retries
						       : DEFAULT_RETRIES;
	delay = req->backoff_ms > 0 ? req->backoff_ms : DEFAULT_BACKOFF_MS;
	t.cap = req->max_body ? req->max_body : TRY_HTTP_MAX_BODY;
	t.truncate = req->truncate;
	headers = build_headers(req);

	for (n = 0;; n++) {
		CURLcode rc;
		int sent;
		long wait = delay;

		response_reset(out);
		t.too_big = t.truncated = 0;
		rc = attempt(out, req, url, headers, &t, errbuf, &sent);
		/* the one place server text enters: no credential of ours
		 * comes back out of it */
		try_http_mask(&out->body, req);
		mask_headers(&out->headers, req);
		if (rc == CURLE_OK) {
			out->location = try_http_header(out, "Location");
			if (out->status < 500) {
				ret = 0;
				break;
			}
			if (n >= retries) {
				char *text = try_http_error_text(out);
				char tries[32] = "";

				if (n)
					snprintf(tries, sizeof(tries),
						 " (%d attempts)", n + 1);
				try_error_set("%s: HTTP %ld%s%s%s", what,
					      out->status, *text ? ": " : "",
					      text, tries);
				free(text);
				break;
			}
			if (out->status == 503 || out->status == 429) {
				long ra = retry_after_ms(out);
				if (ra > wait)
					wait = ra;
			}
		} else if (t.too_big) {
			try_error_set("%s: answer from %s larger than %zu bytes",
				      what, shown, t.cap);
			break;
		} else if (n >= retries ||
			   !retryable(rc, sent, req->idempotent ||
					       is_idempotent_method(method))) {
			transport_error(req, shown, rc, errbuf, sent, n + 1);
			break;
		}
		if (want_verbose(req))
			fprintf(stderr, "* %s: retrying in %ld ms\n", what, wait);
		sleep_ms(wait);
		delay = delay * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : delay * 2;
	}
done:
	curl_slist_free_all(headers);
	free(url);
	free(shown);
	return ret;
}

/* --- credentials --- */

static int url_part(char **out, CURLU *u, CURLUPart part, unsigned flags)
{
	char *s = NULL;

	*out = NULL;
	if (curl_url_get(u, part, &s, flags) || !s)
		return -1;
	*out = try_xstrdup(s);
	curl_free(s);
	return 0;
}

/* Environment for `git credential fill`: never a prompt. */
static char **credential_env(void)
{
	static const char *const drop[] = {
		"GIT_TERMINAL_PROMPT=", "GIT_ASKPASS=", "SSH_ASKPASS=",
		"GCM_INTERACTIVE=", NULL
	};
	size_t n = 0, i, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = try_xcalloc(n + 4, sizeof(*env));
	for (i = 0; i < n; i++) {
		int skip = 0;
		for (size_t d = 0; drop[d]; d++)
			if (!strncmp(environ[i], drop[d], strlen(drop[d])))
				skip = 1;
		if (!skip)
			env[k++] = environ[i];
	}
	env[k++] = (char *)"GIT_TERMINAL_PROMPT=0";
	env[k++] = (char *)"GIT_ASKPASS=";
	env[k++] = (char *)"GCM_INTERACTIVE=never";
	env[k] = NULL;
	return env;
}

/* Writes all of `buf` to `fd` without dying of SIGPIPE. */
static int write_all_nosigpipe(int fd, const char *buf, size_t len)
{
	sigset_t pipe_set, old, pending;
	int ret = 0;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -1;
			break;
		}
		buf += n;
		len -= (size_t)n;
	}
	sigpending(&pending);
	if (sigismember(&pending, SIGPIPE) && !sigismember(&old, SIGPIPE)) {
		struct timespec zero = { 0, 0 };
		sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

/* Reads `fd` into `out` until EOF or `deadline_ms` (monotonic) passes. */
static int read_until(struct try_buf *out, int fd, long timeout_ms)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		long left;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms - ((now.tv_sec - start.tv_sec) * 1000 +
				     (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0)
			return -1;
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		try_buf_grow(out, 4096);
		n = read(fd, out->ptr + out->len, 4096);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		out->len += (size_t)n;
		out->ptr[out->len] = '\0';
		if (out->len > 64 * 1024)
			return -1;
	}
}

/* Runs `git credential fill` on `input`; its answer into `out`. */
static int credential_fill(struct try_buf *out, const char *input, int *found)
{
	char *argv[] = { (char *)"git", (char *)"credential", (char *)"fill",
			 NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 };
	char **env = NULL;
	pid_t pid = -1;
	int status, ret = -1, err;

	*found = 0;
	if (pipe2(in, O_CLOEXEC) || pipe2(outp, O_CLOEXEC)) {
		try_error_set("cannot run git credential fill: %s",
			      strerror(errno));
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&attr);
	/* no controlling terminal: nothing can prompt on /dev/tty */
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
	env = credential_env();
	err = posix_spawnp(&pid, "git", &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(in[0]);
	close(outp[1]);
	in[0] = outp[1] = -1;
	if (err) {
		try_error_set("cannot run git credential fill: %s",
			      strerror(err));
		pid = -1;
		goto done;
	}
	write_all_nosigpipe(in[1], input, strlen(input));
	close(in[1]);
	in[1] = -1;
	if (read_until(out, outp[0], CREDENTIAL_TIMEOUT_MS) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		pid = -1;
		try_error_set("git credential fill did not answer within %d s",
			      CREDENTIAL_TIMEOUT_MS / 1000);
		goto done;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	/* no helper, or none knows: git dies "terminal prompts disabled" */
	*found = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	ret = 0;
done:
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	free(env);
	return ret;
}

/* Value of "key=value" line `key` in `text`, or NULL; caller frees. */
static char *credential_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len > klen && p[klen] == '=' && !strncmp(p, key, klen))
			return try_xstrndup(p + klen + 1, len - klen - 1);
		if (!eol)
			break;
		p = eol + 1;
	}
	return NULL;
}

static int has_newline(const char *s)
{
	return s && (strchr(s, '\n') || strchr(s, '\r'));
}

int try_http_credentials(char **user, char **password, const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	char *url_user = NULL, *url_pass = NULL;
	struct try_buf input = TRY_BUF_INIT, answer = TRY_BUF_INIT;
	const char *token = getenv("TRY_TOKEN");
	int ret = -1, found;

	*user = *password = NULL;
	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) ||
	    url_part(&scheme, u, CURLUPART_SCHEME, 0) ||
	    url_part(&host, u, CURLUPART_HOST, 0)) {
		try_error_set("'%s' is not a URL", url);
		goto done;
	}
	url_part(&port, u, CURLUPART_PORT, 0);
	url_part(&path, u, CURLUPART_PATH, 0);
	url_part(&url_user, u, CURLUPART_USER, CURLU_URLDECODE);
	url_part(&url_pass, u, CURLUPART_PASSWORD, CURLU_URLDECODE);

	if (token && *token) {
		*user = try_xstrdup(url_user && *url_user ? url_user : "token");
		*password = try_xstrdup(token);
		ret = 0;
		goto done;
	}
	if (url_pass && *url_pass) {
		*user = try_xstrdup(url_user ? url_user : "");
		*password = try_xstrdup(url_pass);
		ret = 0;
		goto done;
	}
	/* a newline would let the URL inject credential attributes */
	if (has_newline(host) || has_newline(path) || has_newline(url_user)) {
		ret = 0;
		goto done;
	}
	try_buf_addf(&input, "protocol=%s\nhost=%s%s%s\n", scheme, host,
		     port ? ":" : "", port ? port : "");
	if (path && path[0] == '/' && path[1])
		try_buf_addf(&input, "path=%s\n", path + 1);
	if (url_user && *url_user)
		try_buf_addf(&input, "username=%s\n", url_user);
	try_buf_addch(&input, '\n');
	if (credential_fill(&answer, input.ptr, &found) < 0)
		goto done;
	if (found) {
		char *p = credential_value(answer.ptr, "password");
		if (p) {
			*user = credential_value(answer.ptr, "username");
			if (!*user)
				*user = try_xstrdup(url_user ? url_user : "");
			*password = p;
		}
	}
	ret = 0;
done:
	/* the answer held a password: do not leave it in freed memory */
	if (answer.alloc)
		memset(answer.ptr, 0, answer.alloc);
	try_buf_release(&answer);
	try_buf_release(&input);
	free(scheme);
	free(host);
	free(port);
	free(path);
	free(url_user);
	if (url_pass)
		memset(url_pass, 0, strlen(url_pass));
	free(url_pass);
	curl_url_cleanup(u);
	return ret;
}

int try_http_sign(struct try_buf *out, const char *secret, size_t secret_len,
		  const char *body, size_t body_len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	static const char empty[1];

	if (!HMAC(EVP_sha256(), secret ? secret : empty, (int)secret_len,
		  (const unsigned char *)(body ? body : empty), body_len, md,
		  &mdlen)) {
		try_error_set("HMAC-SHA256 failed");
		return -1;
	}
	try_buf_adds(out, "sha256=");
	for (i = 0; i < mdlen; i++) {
		try_buf_addch(out, hex[md[i] >> 4]);
		try_buf_addch(out, hex[md[i] & 15]);
	}
	return 0;
}
