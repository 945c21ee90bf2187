#include "libtry/serve.h"
#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/metrics.h"
#include "libtry/page.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

/* MHD's memory per connection: the request line and headers must fit. */
#define HEADER_LIMIT (16 * 1024)

struct site {
	struct try_cockpit *cockpit;
	pthread_mutex_t lock;
};

struct try_serve {
	struct MHD_Daemon *daemon;
	struct site *sites;
	size_t n;
	unsigned char secret[32]; /* CSRF tokens; new at every start */
	unsigned port;
	void (*log)(const char *msg);
};

/* One request in flight: a POST body as it arrives. */
struct request {
	struct try_buf body;
	int too_big;
};

struct reply {
	unsigned status;
	const char *type;
	struct try_buf body;
	const char *location;
};
#define REPLY_INIT { 200, "text/html; charset=utf-8", TRY_BUF_INIT, NULL }

static enum MHD_Result send_reply(struct MHD_Connection *conn,
				  struct reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len = r->body.len;
	char *data = try_buf_detach(&r->body);

	resp = MHD_create_response_from_buffer(len, data,
					       MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", r->type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; frame-ancestors 'none'; "
				"form-action 'self'; base-uri 'none'");
	if (r->location)
		MHD_add_response_header(resp, "Location", r->location);
	ret = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void plain(struct reply *r, unsigned status, const char *msg)
{
	r->status = status;
	r->type = "text/plain; charset=utf-8";
	try_buf_reset(&r->body);
	try_buf_adds(&r->body, msg);
	try_buf_addch(&r->body, '\n');
}

static void fail(struct reply *r, struct try_serve *s)
{
	plain(r, 500, "cannot read the repository");
	/* the reason goes to the log, not to the world */
	if (s->log)
		s->log(try_error_last());
}

static struct site *find_site(struct try_serve *s, const char *name,
			      size_t len)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const char *n = try_cockpit_name(s->sites[i].cockpit);
		if (strlen(n) == len && !memcmp(n, name, len))
			return &s->sites[i];
	}
	return NULL;
}

static const char *arg(struct MHD_Connection *conn, const char *key)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
}

static void query_of(struct try_cockpit_query *q, struct MHD_Connection *conn)
{
	const char *page = arg(conn, "page");
	char *end;
	unsigned long long p;

	memset(q, 0, sizeof(*q));
	q->lane = arg(conn, "lane");
	q->type = arg(conn, "type");
	q->person = arg(conn, "person");
	if (page && *page) {
		p = strtoull(page, &end, 10);
		if (!*end && p < 1000000)
			q->page = (size_t)p;
	}
}

static int state_of(json_t **out, struct site *site,
		    const struct try_cockpit_query *q)
{
	int ret;

	pthread_mutex_lock(&site->lock);
	ret = try_cockpit_state(out, site->cockpit, q);
	pthread_mutex_unlock(&site->lock);
	return ret;
}

/* ---- who is asking ---- */

static int peer_allowed(struct MHD_Connection *conn,
			const struct try_cockpit_auth *auth)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char addr[INET6_ADDRSTRLEN] = "";
	const struct sockaddr *sa;
	size_t i;

	if (!ci || !(sa = ci->client_addr))
		return 0;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  addr, sizeof(addr));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, addr,
			  sizeof(addr));
	for (i = 0; i < auth->proxies.nr; i++)
		if (*addr && !strcmp(auth->proxies.items[i], addr))
			return 1;
	return 0;
}

/* The authenticated user, or NULL: read-only. */
static const char *user_of(struct MHD_Connection *conn, struct site *site)
{
	const struct try_cockpit_auth *auth = try_cockpit_auth(site->cockpit);
	const char *u;
	size_t i, len;

	if (!auth->trust_proxy || !auth->user_header ||
	    !peer_allowed(conn, auth))
		return NULL;
	u = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					auth->user_header);
	if (!u || !(len = strlen(u)) || len > 128)
		return NULL;
	for (i = 0; i < len; i++)
		if ((unsigned char)u[i] < 0x20 || u[i] == 0x7f)
			return NULL;
	return u;
}

static void csrf_token(char out[65], const struct try_serve *s,
		       const struct site *site, const char *user)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;
	struct try_buf msg = TRY_BUF_INIT;

	try_buf_adds(&msg, try_cockpit_name(site->cockpit));
	try_buf_addch(&msg, '\n');
	try_buf_adds(&msg, user);
	HMAC(EVP_sha256(), s->secret, sizeof(s->secret),
	     (const unsigned char *)msg.ptr, msg.len, mac, &maclen);
	for (i = 0; i < 32 && i < maclen; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[64] = '\0';
	try_buf_release(&msg);
}

/*
 * 1 when the browser says the request comes from another site: an Origin
 * that is not this Host, or Sec-Fetch-Site cross-site.
 */
static int cross_site(struct MHD_Connection *conn)
{
	const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							 "Origin");
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       "Host");
	const char *fetch = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							"Sec-Fetch-Site");
	const char *p;

	if (fetch && !strcmp(fetch, "cross-site"))
		return 1;
	if (!origin)
		return 0;
	if (!host || !(p = strstr(origin, "://")))
		return 1;
	return strcmp(p + 3, host) != 0;
}

/* ---- forms ---- */

static int unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void decode(struct try_buf *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			try_buf_addch(out, ' ');
		} else if (s[i] == '%' && i + 2 < len &&
			   unhex(s[i + 1]) >= 0 && unhex(s[i + 2]) >= 0) {
			try_buf_addch(out, unhex(s[i + 1]) * 16 +
					   unhex(s[i + 2]));
			i += 2;
		} else {
			try_buf_addch(out, s[i]);
		}
	}
}

char *try_serve_form_value(const char *body, size_t len, const char *key)
{
	struct try_buf k = TRY_BUF_INIT, v = TRY_BUF_INIT;
	const char *p = body, *end = body + len;
	char *found = NULL;
	int dup = 0;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *eq;

		if (!amp)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		try_buf_reset(&k);
		decode(&k, p, (size_t)((eq ? eq : amp) - p));
		if (!strcmp(k.ptr, key) && k.len == strlen(key)) {
			if (found)
				dup = 1;
			try_buf_reset(&v);
			if (eq)
				decode(&v, eq + 1, (size_t)(amp - eq - 1));
			free(found);
			found = try_xstrndup(v.ptr, v.len);
		}
		p = amp + 1;
	}
	try_buf_release(&k);
	try_buf_release(&v);
	if (dup) {
		free(found);
		return NULL;
	}
	return found;
}

/* ---- routes ---- */

static void page(struct reply *r, struct try_serve *s, struct site *site,
		 struct MHD_Connection *conn, const char *notice)
{
	struct try_cockpit_query q;
	struct try_page_view v = { NULL, NULL, notice };
	char token[65];
	json_t *state = NULL;

	query_of(&q, conn);
	if (state_of(&state, site, &q) < 0) {
		fail(r, s);
		return;
	}
	v.user = user_of(conn, site);
	if (v.user) {
		csrf_token(token, s, site, v.user);
		v.csrf = token;
	}
	try_page_render(&r->body, state, &v);
	json_decref(state);
}

static void index_page(struct reply *r, struct try_serve *s)
{
	const char **names = try_xcalloc(s->n, sizeof(*names));
	char **held = try_xcalloc(s->n, sizeof(*held));
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		struct try_buf b = TRY_BUF_INIT;
		json_t *state = NULL, *h;

		names[i] = try_cockpit_name(s->sites[i].cockpit);
		if (state_of(&state, &s->sites[i], NULL) == 0) {
			json_array_foreach(json_object_get(state, "holds"), j,
					   h) {
				if (b.len)
					try_buf_adds(&b, ", ");
				try_buf_adds(&b, json_string_value(
					json_object_get(h, "lane")));
			}
		}
		json_decref(state);
		held[i] = try_buf_detach(&b);
	}
	try_page_index(&r->body, names, (const char *const *)held, s->n);
	for (i = 0; i < s->n; i++)
		free(held[i]);
	free(held);
	free(names);
}

static void metrics(struct reply *r, struct try_serve *s)
{
	json_t **states = try_xcalloc(s->n, sizeof(*states));
	struct try_cockpit_query q;
	size_t i;

	memset(&q, 0, sizeof(q));
	q.summary = 1;
	for (i = 0; i < s->n; i++) {
		if (state_of(&states[i], &s->sites[i], &q) < 0) {
			fail(r, s);
			goto done;
		}
	}
	r->type = "text/plain; version=0.0.4; charset=utf-8";
	try_metrics_render(&r->body, states, s->n);
done:
	for (i = 0; i < s->n; i++)
		json_decref(states[i]);
	free(states);
}

static void json_reply(struct reply *r, json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);

	r->type = "application/json";
	if (text) {
		try_buf_adds(&r->body, text);
		try_buf_addch(&r->body, '\n');
	}
	free(text);
}

static void api(struct reply *r, struct try_serve *s,
		struct MHD_Connection *conn, const char *rest)
{
	const char *slash = strchr(rest, '/');
	struct try_cockpit_query q;
	struct site *site;
	json_t *state = NULL, *part;
	size_t i;

	if (!*rest) {
		json_t *o = json_object(), *arr = json_array();
		for (i = 0; i < s->n; i++)
			json_array_append_new(arr, json_string(
				try_cockpit_name(s->sites[i].cockpit)));
		json_object_set_new(o, "repositories", arr);
		json_reply(r, o);
		json_decref(o);
		return;
	}
	if (!slash || !(site = find_site(s, rest, (size_t)(slash - rest)))) {
		plain(r, 404, "no such repository");
		return;
	}
	rest = slash + 1;
	if (!strcmp(rest, "stamp")) {
		char stamp[17];
		json_t *o;
		int ret;

		pthread_mutex_lock(&site->lock);
		ret = try_cockpit_stamp(stamp, site->cockpit);
		pthread_mutex_unlock(&site->lock);
		if (ret < 0) {
			fail(r, s);
			return;
		}
		o = json_pack("{ss}", "stamp", stamp);
		json_reply(r, o);
		json_decref(o);
		return;
	}
	if (strcmp(rest, "state") && strcmp(rest, "holds") &&
	    strcmp(rest, "lanes") && strcmp(rest, "timeline") &&
	    strcmp(rest, "webhooks") && strcmp(rest, "totals")) {
		plain(r, 404, "no such page");
		return;
	}
	query_of(&q, conn);
	if (state_of(&state, site, &q) < 0) {
		fail(r, s);
		return;
	}
	part = strcmp(rest, "state") ? json_object_get(state, rest) : state;
	json_reply(r, part);
	json_decref(state);
}

static void action(struct reply *r, struct try_serve *s, struct site *site,
		   struct MHD_Connection *conn, const char *what,
		   const struct request *req)
{
	const char *user = user_of(conn, site);
	const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       "Content-Type");
	char *lane = NULL, *reason = NULL, *csrf = NULL;
	char token[65];
	enum try_hold_scope scope;
	struct try_buf notice = TRY_BUF_INIT;
	int ret;

	if (!user) {
		plain(r, 403, "read-only: no authenticated user");
		return;
	}
	if (req->too_big) {
		plain(r, 413, "request body too large");
		return;
	}
	if (!type || strncmp(type, "application/x-www-form-urlencoded", 33)) {
		plain(r, 415, "a form is expected");
		return;
	}
	csrf_token(token, s, site, user);
	csrf = try_serve_form_value(req->body.ptr, req->body.len, "csrf");
	if (cross_site(conn) || !csrf || strlen(csrf) != 64 ||
	    CRYPTO_memcmp(csrf, token, 64)) {
		plain(r, 403, "cross-site request refused (bad or missing "
			      "csrf token)");
		goto done;
	}
	lane = try_serve_form_value(req->body.ptr, req->body.len, "lane");
	if (!lane || try_hold_scope_parse(&scope, lane) < 0) {
		plain(r, 400, "no such lane");
		goto done;
	}
	pthread_mutex_lock(&site->lock);
	if (!strcmp(what, "hold")) {
		reason = try_serve_form_value(req->body.ptr, req->body.len,
					      "reason");
		ret = try_cockpit_hold(site->cockpit, user, scope, reason, 0);
	} else {
		ret = try_cockpit_release(site->cockpit, user, scope);
	}
	pthread_mutex_unlock(&site->lock);
	if (ret < 0) {
		fail(r, s);
		goto done;
	}
	if (ret > 0) {
		try_buf_addf(&notice, "refused: %s", try_error_last());
		r->status = ret == TRY_COCKPIT_EDENIED ? 403 : 409;
	} else {
		try_buf_addf(&notice, "%s: %s", try_hold_scope_key(scope),
			     !strcmp(what, "hold") ? "held" : "released");
	}
	page(r, s, site, conn, notice.ptr);
done:
	try_buf_release(&notice);
	free(lane);
	free(reason);
	free(csrf);
}

static void route(struct reply *r, struct try_serve *s,
		  struct MHD_Connection *conn, const char *method,
		  const char *url, const struct request *req)
{
	int post = !strcmp(method, "POST");
	const char *rest, *slash;
	struct site *site;
	size_t i;

	if (strcmp(method, "GET") && strcmp(method, "HEAD") && !post) {
		plain(r, 405, "method not allowed");
		return;
	}
	if (url[0] != '/' || strstr(url, "/../") || strstr(url, "/./") ||
	    (strlen(url) >= 3 && !strcmp(url + strlen(url) - 3, "/..")) ||
	    strstr(url, "//")) {
		plain(r, 400, "bad path");
		return;
	}
	for (i = 0; url[i]; i++) {
		if ((unsigned char)url[i] < 0x20 || url[i] == 0x7f ||
		    url[i] == '\\') {
			plain(r, 400, "bad path");
			return;
		}
	}
	if (!strncmp(url, "/r/", 3)) {
		rest = url + 3;
		slash = strchr(rest, '/');
		site = find_site(s, rest, slash ? (size_t)(slash - rest) :
						  strlen(rest));
		if (!site) {
			plain(r, 404, "no such repository");
			return;
		}
		if (!slash) {
			r->status = 301;
			try_buf_addf(&r->body, "%s/", url);
			r->location = NULL;
			return; /* the caller sets Location from the body */
		}
		rest = slash + 1;
		if (!*rest) {
			if (post)
				plain(r, 405, "method not allowed");
			else
				page(r, s, site, conn, NULL);
			return;
		}
		if (!strcmp(rest, "hold") || !strcmp(rest, "release")) {
			if (!post)
				plain(r, 405, "use the form (POST)");
			else
				action(r, s, site, conn, rest, req);
			return;
		}
		plain(r, 404, "no such page");
		return;
	}
	if (post) {
		plain(r, !strcmp(url, "/") || !strncmp(url, "/api/", 5) ||
				 !strcmp(url, "/metrics") ? 405 : 404,
		      "method not allowed here");
		return;
	}
	if (!strcmp(url, "/")) {
		if (s->n == 1) {
			r->status = 303;
			try_buf_adds(&r->body, "/r/");
			try_buf_adds(&r->body,
				     try_cockpit_name(s->sites[0].cockpit));
			try_buf_adds(&r->body, "/");
			return;
		}
		index_page(r, s);
	} else if (!strcmp(url, "/metrics")) {
		metrics(r, s);
	} else if (!strncmp(url, "/api/", 5)) {
		api(r, s, conn, url + 5);
	} else if (!strcmp(url, "/static/cockpit.js")) {
		r->type = "text/javascript; charset=utf-8";
		try_buf_adds(&r->body, try_page_script);
	} else if (!strcmp(url, "/static/cockpit.css")) {
		r->type = "text/css; charset=utf-8";
		try_buf_adds(&r->body, try_page_style);
	} else {
		plain(r, 404, "no such page");
	}
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **ctx)
{
	struct try_serve *s = cls;
	struct request *req = *ctx;
	struct reply r = REPLY_INIT;
	struct try_buf loc = TRY_BUF_INIT;
	enum MHD_Result ret;

	if (!req) {
		req = try_xcalloc(1, sizeof(*req));
		try_buf_init(&req->body);
		*ctx = req;
		return MHD_YES;
	}
	if (*upload_size) {
		if (req->body.len + *upload_size > TRY_SERVE_MAX_BODY)
			req->too_big = 1;
		else
			try_buf_add(&req->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->too_big) {
		plain(&r, 413, "request body too large");
	} else {
		route(&r, s, conn, method, url, req);
	}
	if (r.status == 301 || r.status == 303) {
		try_buf_add(&loc, r.body.ptr, r.body.len);
		r.location = loc.ptr;
		try_buf_reset(&r.body);
	}
	ret = send_reply(conn, &r);
	try_buf_release(&r.body);
	try_buf_release(&loc);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **ctx,
		      enum MHD_RequestTerminationCode toe)
{
	struct request *req = *ctx;

	if (!req)
		return;
	try_buf_release(&req->body);
	free(req);
	*ctx = NULL;
}

static int parse_listen(struct sockaddr_storage *out, socklen_t *len,
			const char *listen)
{
	struct addrinfo hints, *res = NULL;
	char host[256];
	const char *colon = strrchr(listen, ':'), *h = listen;
	size_t hl;
	int r;

	if (!colon || !colon[1]) {
		try_error_set("bad listen address '%s': want addr:port",
			      listen);
		return -1;
	}
	hl = (size_t)(colon - listen);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl >= sizeof(host) || !hl) {
		try_error_set("bad listen address '%s': want addr:port",
			      listen);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	r = getaddrinfo(host, colon + 1, &hints, &res);
	if (r || !res) {
		try_error_set("bad listen address '%s': %s", listen,
			      gai_strerror(r));
		return -1;
	}
	memcpy(out, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int try_serve_start(struct try_serve **out, const char *listen,
		    struct try_cockpit **cockpits, size_t n, unsigned timeout,
		    void (*log)(const char *msg))
{
	struct try_serve *s;
	struct sockaddr_storage addr;
	socklen_t alen;
	const union MHD_DaemonInfo *di;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	size_t i;

	*out = NULL;
	if (parse_listen(&addr, &alen, listen) < 0)
		return -1;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s = try_xcalloc(1, sizeof(*s));
	if (getrandom(s->secret, sizeof(s->secret), 0) !=
	    (ssize_t)sizeof(s->secret)) {
		try_error_set("cannot get random bytes for csrf tokens");
		free(s);
		return -1;
	}
	s->n = n;
	s->log = log;
	s->sites = try_xcalloc(n ? n : 1, sizeof(*s->sites));
	for (i = 0; i < n; i++) {
		s->sites[i].cockpit = cockpits[i];
		pthread_mutex_init(&s->sites[i].lock, NULL);
	}
	s->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)TRY_SERVE_MAX_CLIENTS,
		MHD_OPTION_CONNECTION_TIMEOUT, timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_LIMIT,
		MHD_OPTION_NOTIFY_COMPLETED, completed, s,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)256,
		MHD_OPTION_END);
	if (!s->daemon) {
		try_error_set("cannot listen on '%s'", listen);
		try_serve_stop(s);
		return -1;
	}
	di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : 0;
	*out = s;
	return 0;
}

unsigned try_serve_port(const struct try_serve *s)
{
	return s->port;
}

void try_serve_stop(struct try_serve *s)
{
	size_t i;

	if (!s)
		return;
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	for (i = 0; i < s->n; i++)
		pthread_mutex_destroy(&s->sites[i].lock);
	free(s->sites);
	free(s);
}
