#ifndef TRY_SERVE_H
#define TRY_SERVE_H

#include <stddef.h>

#include "libtry/cockpit.h"

/*
 * `git lanes serve`: the cockpit over HTTP, embedded with GNU
 * libmicrohttpd (only git-lanes links it).  Routes:
 *
 *   GET  /                      the repositories (one: its page)
 *   GET  /r/<name>/             the page (?lane=&type=&person=&page=)
 *   POST /r/<name>/hold         lane, reason, csrf (form)
 *   POST /r/<name>/release      lane, csrf (form)
 *   GET  /api/                  {"repositories":[...]}
 *   GET  /api/<name>/state      everything the page shows (same query)
 *   GET  /api/<name>/<part>     one key of it: holds, lanes, timeline,
 *                               webhooks, totals, stamp
 *   GET  /metrics               Prometheus text (metrics.h)
 *   GET  /static/cockpit.{js,css}
 *
 * Anything else is 404 (400 for a path with "..", 405 for another
 * method).  Limits: request headers 16 KiB (431 past them), form bodies
 * 8 KiB (413), TRY_SERVE_MAX_CLIENTS connections, and a connection idle
 * for `timeout` seconds is closed.  Actions need a user from
 * lanes.serveUserHeader, honoured only with lanes.serveTrustProxy and from
 * an address in lanes.serveProxyFrom (403 otherwise), and the user's CSRF
 * token (403 without it, or when Origin or Sec-Fetch-Site says the form
 * came from another site).
 */

#define TRY_SERVE_DEFAULT_LISTEN "127.0.0.1:8080"
#define TRY_SERVE_MAX_CLIENTS 1000
#define TRY_SERVE_MAX_BODY 8192

struct try_serve;

/*
 * Starts serving `cockpits` (`n` of them, borrowed: they must outlive the
 * server) on `listen` ("addr:port", "[v6addr]:port"; port 0 picks one) in
 * threads of its own.  `timeout` is the idle limit in seconds.  `log` (may
 * be NULL) is called, from a server thread, with the reason of each 500
 * answer, which the client is not told.  -1 with a message when the
 * address is bad or cannot be bound.
 */
int try_serve_start(struct try_serve **out, const char *listen,
		    struct try_cockpit **cockpits, size_t n,
		    unsigned timeout, void (*log)(const char *msg));

/* The port it listens on. */
unsigned try_serve_port(const struct try_serve *s);

/* Stops serving, closes every connection and frees `s` (NULL is fine). */
void try_serve_stop(struct try_serve *s);

/*
 * Parses application/x-www-form-urlencoded `body` (`len` bytes) and gives
 * the decoded value of `key` (caller frees), or NULL when it is not there
 * or appears twice.
 */
char *try_serve_form_value(const char *body, size_t len, const char *key);

#endif
