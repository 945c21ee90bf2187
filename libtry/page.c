#include "libtry/page.h"
#include "libtry/report.h"

#include <string.h>

void try_page_add_html(struct try_buf *out, const char *s, size_t len)
{
	struct try_buf u = TRY_BUF_INIT;
	size_t i;

	try_report_add_utf8(&u, s, len);
	for (i = 0; i < u.len; i++) {
		switch (u.ptr[i]) {
		case '&': try_buf_adds(out, "&amp;"); break;
		case '<': try_buf_adds(out, "&lt;"); break;
		case '>': try_buf_adds(out, "&gt;"); break;
		case '"': try_buf_adds(out, "&quot;"); break;
		case '\'': try_buf_adds(out, "&#39;"); break;
		case '\0': try_buf_adds(out, "\xef\xbf\xbd"); break;
		default: try_buf_addch(out, u.ptr[i]);
		}
	}
	try_buf_release(&u);
}

static void html(struct try_buf *out, const char *s)
{
	if (s)
		try_page_add_html(out, s, strlen(s));
}

/* Appends `s` escaped for a URL query value. */
static void url_value(struct try_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch)) {
			try_buf_addch(out, ch);
		} else {
			try_buf_addch(out, '%');
			try_buf_addch(out, hex[ch >> 4]);
			try_buf_addch(out, hex[ch & 15]);
		}
	}
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

const char try_page_style[] =
	"body{font:15px/1.4 system-ui,sans-serif;margin:0;color:#111;"
	"background:#fff}"
	"header,main{padding:0 12px;max-width:1100px;margin:auto}"
	"h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.4em}"
	".lanes{display:flex;flex-wrap:wrap;gap:10px}"
	".box{border:2px solid #444;border-radius:6px;padding:8px;flex:1 1 250px}"
	".banner{background:#b00020;color:#fff;padding:6px;border-radius:4px;"
	"font-weight:bold}"
	".badge{display:inline-block;min-width:4.5em;text-align:center;"
	"font:bold 12px monospace;padding:1px 4px;border-radius:3px}"
	/* lane colours differ in lightness and pattern, not only in hue */
	".l-dark{background:#222;color:#fff}"
	".l-config{background:#ffd966;color:#000;border:1px dashed #000}"
	".l-code{background:#5b8def;color:#000;border:2px solid #000}"
	".l-all{background:#b00020;color:#fff}"
	"table{border-collapse:collapse;width:100%}"
	"td,th{text-align:left;padding:3px 6px;border-bottom:1px solid #ddd;"
	"vertical-align:top}"
	"td.s{word-break:break-word}"
	"code{font-size:13px}"
	".notice{background:#eef;padding:6px;border:1px solid #99c}"
	"form.inline{display:inline}"
	"@media(max-width:600px){.hide-s{display:none}body{font-size:14px}}";

/* Refreshes when the stamp changes; shows times in the viewer's zone. */
const char try_page_script[] =
	"(function(){"
	"function loc(root){root.querySelectorAll('time[datetime]')"
	".forEach(function(t){var d=new Date(t.getAttribute('datetime'));"
	"if(!isNaN(d)){t.title=t.getAttribute('datetime').replace('T',' ')"
	".replace('Z',' UTC');t.textContent=t.classList.contains('age')?"
	"age(d):d.toLocaleString();}});}"
	"function age(d){var s=(Date.now()-d)/1000;"
	"return s<3600?Math.max(0,Math.round(s/60))+' min':s<172800?"
	"Math.round(s/3600)+' h':Math.round(s/86400)+' days';}"
	"loc(document);"
	"var m=document.querySelector('main');if(!m)return;"
	"var api=m.getAttribute('data-api');var stamp=m.getAttribute("
	"'data-stamp');"
	"function tick(){fetch(api,{cache:'no-store'}).then(function(r){"
	"return r.json();}).then(function(j){if(j.stamp===stamp)return;"
	"return fetch(location.href,{cache:'no-store'}).then(function(r){"
	"return r.text();}).then(function(t){var d=new DOMParser()"
	".parseFromString(t,'text/html');var n=d.querySelector('main');"
	"if(!n)return;var f=document.activeElement;"
	"if(f&&f.tagName==='INPUT'&&f.value)return;"
	"m.replaceWith(n);m=n;stamp=n.getAttribute('data-stamp');loc(n);"
	"document.body.setAttribute('data-refreshed',stamp);});})"
	".catch(function(){});}"
	"setInterval(tick,2000);})();";

static void head(struct try_buf *out, const char *title)
{
	try_buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		     "<meta charset=\"utf-8\">"
		     "<meta name=\"viewport\" content=\"width=device-width,"
		     "initial-scale=1\"><title>");
	html(out, title);
	try_buf_adds(out, "</title><link rel=\"stylesheet\" "
		     "href=\"/static/cockpit.css\"></head><body>\n");
}

static void badge(struct try_buf *out, const char *lane)
{
	try_buf_adds(out, "<span class=\"badge l-");
	html(out, lane);
	try_buf_adds(out, "\">");
	for (; *lane; lane++)
		try_buf_addch(out, *lane >= 'a' && *lane <= 'z' ?
				   *lane - 'a' + 'A' : *lane);
	try_buf_adds(out, "</span>");
}

static void time_el(struct try_buf *out, const char *iso, const char *cls)
{
	/* "2024-05-01T12:00:00Z" shows as "2024-05-01 12:00 UTC" without JS */
	try_buf_addf(out, "<time%s datetime=\"", cls);
	html(out, iso);
	try_buf_adds(out, "\" title=\"");
	html(out, iso);
	try_buf_adds(out, "\">");
	if (strlen(iso) >= 16 && iso[10] == 'T') {
		try_page_add_html(out, iso, 10);
		try_buf_addch(out, ' ');
		try_page_add_html(out, iso + 11, 5);
		try_buf_adds(out, " UTC");
	} else {
		html(out, iso);
	}
	try_buf_adds(out, "</time>");
}

static void when(struct try_buf *out, const char *iso)
{
	time_el(out, iso, "");
}

static void hidden(struct try_buf *out, const char *name, const char *value)
{
	try_buf_addf(out, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	html(out, value);
	try_buf_adds(out, "\">");
}

static void hold_form(struct try_buf *out, const char *base,
		      const struct try_page_view *v, const char *lane,
		      json_t *hold)
{
	if (!v->user)
		return;
	try_buf_adds(out, "<form class=\"inline\" method=\"post\" action=\"");
	html(out, base);
	try_buf_adds(out, hold ? "release\">" : "hold\">");
	hidden(out, "csrf", v->csrf);
	hidden(out, "lane", lane);
	if (hold) {
		try_buf_adds(out, "<button>Release ");
		html(out, lane);
		try_buf_adds(out, "</button>");
	} else {
		try_buf_adds(out, "<input name=\"reason\" required "
			     "placeholder=\"reason\" aria-label=\"reason\"> "
			     "<button>Hold ");
		html(out, lane);
		try_buf_adds(out, "</button>");
	}
	try_buf_adds(out, "</form>");
}

static void banner(struct try_buf *out, json_t *h)
{
	try_buf_adds(out, "<div class=\"banner\" role=\"alert\">HELD (");
	html(out, jstr(h, "lane"));
	try_buf_adds(out, ") by ");
	html(out, jstr(h, "who"));
	try_buf_adds(out, " since ");
	when(out, jstr(h, "since"));
	try_buf_adds(out, ": <span class=\"reason\">");
	html(out, jstr(h, "reason"));
	try_buf_adds(out, "</span></div>");
}

static void lanes(struct try_buf *out, json_t *state, const char *base,
		  const struct try_page_view *v)
{
	json_t *arr = json_object_get(state, "lanes"), *l, *h;
	size_t i;

	try_buf_adds(out, "<h2>Lanes</h2><div class=\"lanes\" id=\"lanes\">");
	json_array_foreach(arr, i, l) {
		const char *lane = jstr(l, "lane");

		h = json_object_get(l, "hold");
		try_buf_adds(out, "<section class=\"box\" id=\"lane-");
		html(out, lane);
		try_buf_adds(out, "\"><h3>");
		badge(out, lane);
		try_buf_addf(out, " %s</h3>", json_is_object(h) ? "held" :
					       "open");
		if (json_is_object(h))
			banner(out, h);
		try_buf_addf(out, "<p>%lld commit%s waiting%s</p>",
			     (long long)json_integer_value(
				     json_object_get(l, "pending")),
			     json_integer_value(json_object_get(l, "pending")) ==
					     1 ? "" : "s",
			     json_is_true(json_object_get(state,
							  "pending_more")) ?
				     " (of the newest 500)" : "");
		hold_form(out, base, v, lane, json_is_object(h) &&
				   !strcmp(jstr(h, "lane"), lane) ? h : NULL);
		try_buf_adds(out, "</section>");
	}
	/* the hold on every lane at once */
	h = NULL;
	json_array_foreach(json_object_get(state, "holds"), i, l)
		if (!strcmp(jstr(l, "lane"), "all"))
			h = l;
	try_buf_adds(out, "<section class=\"box\" id=\"lane-all\"><h3>");
	badge(out, "all");
	try_buf_addf(out, " %s</h3>", h ? "held" : "open");
	if (h)
		banner(out, h);
	hold_form(out, base, v, "all", h);
	try_buf_adds(out, "</section></div>\n");
}

static json_t *lane_hold(json_t *state, const char *lane)
{
	json_t *l, *h;
	size_t i;

	json_array_foreach(json_object_get(state, "lanes"), i, l)
		if (!strcmp(jstr(l, "lane"), lane)) {
			h = json_object_get(l, "hold");
			return json_is_object(h) ? h : NULL;
		}
	return NULL;
}

static void short_id(struct try_buf *out, const char *id)
{
	try_buf_adds(out, "<code>");
	try_page_add_html(out, id, strlen(id) > 7 ? 7 : strlen(id));
	try_buf_adds(out, "</code>");
}

/* Per environment, a box per lane: what runs, what it can ship now. */
static void deploys(struct try_buf *out, json_t *state)
{
	json_t *e, *l, *d, *h;
	size_t i, j;
	long long waiting;

	try_buf_adds(out, "<h2>Deploys</h2>");
	json_array_foreach(json_object_get(state, "deploys"), i, e) {
		try_buf_adds(out, "<h3 class=\"env\">");
		html(out, jstr(e, "env"));
		try_buf_adds(out, "</h3><div class=\"lanes\" id=\"env-");
		html(out, jstr(e, "env"));
		try_buf_adds(out, "\">");
		json_array_foreach(json_object_get(e, "lanes"), j, l) {
			try_buf_adds(out, "<section class=\"box deploy\">"
				     "<h3>");
			badge(out, jstr(l, "lane"));
			try_buf_adds(out, "</h3>");
			if ((h = lane_hold(state, jstr(l, "lane"))))
				banner(out, h);
			d = json_object_get(l, "deployed");
			try_buf_adds(out, "<p class=\"deployed\">");
			if (json_is_object(d)) {
				try_buf_adds(out, "deployed ");
				short_id(out, jstr(d, "commit"));
				try_buf_adds(out, " by ");
				html(out, jstr(d, "by"));
				try_buf_adds(out, " ");
				when(out, jstr(d, "at"));
				if (json_is_true(json_object_get(d,
								 "rollback")))
					try_buf_adds(out, " (rollback)");
			} else {
				try_buf_adds(out, "never deployed");
			}
			try_buf_adds(out, "</p><p class=\"next\">");
			waiting = (long long)json_integer_value(
				json_object_get(l, "waiting"));
			if (json_is_string(json_object_get(l, "next"))) {
				try_buf_adds(out, "can ship ");
				short_id(out, jstr(l, "next"));
				try_buf_addf(out, " (%lld of %lld commit%s "
					     "waiting)",
					     (long long)json_integer_value(
						     json_object_get(
							     l, "shippable")),
					     waiting, waiting == 1 ? "" : "s");
			} else {
				try_buf_addf(out, "nothing to ship "
					     "(%lld commit%s waiting)",
					     waiting, waiting == 1 ? "" : "s");
			}
			if (json_is_string(json_object_get(l, "why"))) {
				try_buf_adds(out, "; stops: ");
				html(out, jstr(l, "why"));
			}
			try_buf_adds(out, "</p></section>");
		}
		try_buf_adds(out, "</div>\n");
	}
}

/* The push train of each lane: cars, driver, riders and their states. */
static void train(struct try_buf *out, json_t *state)
{
	json_t *t, *car, *r;
	size_t i, j, k;

	try_buf_adds(out, "<h2>Push train</h2><div class=\"lanes\" "
		     "id=\"train\">");
	json_array_foreach(json_object_get(state, "train"), i, t) {
		try_buf_adds(out, "<section class=\"box\" id=\"train-");
		html(out, jstr(t, "lane"));
		try_buf_adds(out, "\"><h3>");
		badge(out, jstr(t, "lane"));
		try_buf_adds(out, " train</h3>");
		if (!json_array_size(json_object_get(t, "cars")))
			try_buf_adds(out, "<p>empty</p>");
		json_array_foreach(json_object_get(t, "cars"), j, car) {
			try_buf_addf(out, "<p class=\"car\">car %lld: ",
				     (long long)json_integer_value(
					     json_object_get(car, "car")));
			html(out, jstr(car, "state"));
			try_buf_adds(out, ", driver <b>");
			html(out, jstr(car, "driver"));
			try_buf_adds(out, "</b>");
			if (json_is_true(json_object_get(car, "uhoh")))
				try_buf_adds(out, " <b class=\"uhoh\">"
					     "UH-OH</b>");
			try_buf_adds(out, "</p><ul class=\"riders\">");
			json_array_foreach(json_object_get(car, "riders"), k,
					   r) {
				try_buf_adds(out, "<li><span class=\"rider\">");
				html(out, jstr(r, "user"));
				try_buf_adds(out, "</span> ");
				html(out, jstr(r, "state"));
				try_buf_adds(out, " since ");
				when(out, jstr(r, "since"));
				if (*jstr(r, "note")) {
					try_buf_adds(out, ": ");
					html(out, jstr(r, "note"));
				}
				try_buf_adds(out, "</li>");
			}
			try_buf_adds(out, "</ul>");
		}
		try_buf_adds(out, "</section>");
	}
	try_buf_adds(out, "</div>\n");
}

static void pending(struct try_buf *out, json_t *state)
{
	json_t *arr = json_object_get(state, "lanes"), *l, *c;
	size_t i, j, n = 0;

	try_buf_adds(out, "<h2>Pending commits</h2><table id=\"pending\">"
		     "<tr><th>commit</th><th>lane</th><th>subject</th>"
		     "<th class=\"hide-s\">author</th><th>age</th></tr>");
	json_array_foreach(arr, i, l) {
		json_array_foreach(json_object_get(l, "commits"), j, c) {
			try_buf_adds(out, "<tr><td><code>");
			try_page_add_html(out, jstr(c, "id"),
					  strlen(jstr(c, "id")) > 7 ? 7 :
					  strlen(jstr(c, "id")));
			try_buf_adds(out, "</code></td><td>");
			badge(out, jstr(c, "lane"));
			try_buf_adds(out, "</td><td class=\"s\">");
			html(out, jstr(c, "subject"));
			try_buf_adds(out, "</td><td class=\"hide-s\">");
			html(out, jstr(c, "author"));
			try_buf_adds(out, "</td><td>");
			time_el(out, jstr(c, "time"), " class=\"age\"");
			try_buf_adds(out, "</td></tr>");
			n++;
		}
	}
	if (!n)
		try_buf_adds(out, "<tr><td colspan=\"5\">nothing waits</td></tr>");
	try_buf_adds(out, "</table>\n");
}

static void option(struct try_buf *out, const char *value, const char *cur)
{
	try_buf_adds(out, "<option value=\"");
	html(out, value);
	try_buf_addf(out, "\"%s>", !strcmp(value, cur) ? " selected" : "");
	html(out, *value ? value : "any");
	try_buf_adds(out, "</option>");
}

static void event_what(struct try_buf *out, json_t *ev)
{
	const char *type = jstr(ev, "type");

	if (!strcmp(type, "push")) {
		json_int_t n = json_integer_value(json_object_get(ev, "count"));
		json_t *c = json_array_get(json_object_get(ev, "commits"), 0);

		try_buf_addf(out, "%lld commit%s ", (long long)n,
			     n == 1 ? "" : "s");
		try_buf_adds(out, "<code>");
		try_page_add_html(out, jstr(ev, "new"),
				  strlen(jstr(ev, "new")) > 7 ? 7 :
				  strlen(jstr(ev, "new")));
		try_buf_adds(out, "</code>");
		if (c) {
			try_buf_adds(out, " ");
			html(out, jstr(c, "subject"));
		}
		return;
	}
	if (*jstr(ev, "reason")) {
		html(out, jstr(ev, "reason"));
	} else if (*jstr(ev, "note")) {
		html(out, jstr(ev, "note"));
	}
}

static void timeline(struct try_buf *out, json_t *state, const char *base)
{
	json_t *tl = json_object_get(state, "timeline");
	json_t *f = json_object_get(tl, "filter"), *ev, *t;
	const char *lane = jstr(f, "lane"), *type = jstr(f, "type");
	const char *person = jstr(f, "person");
	json_int_t page = json_integer_value(json_object_get(tl, "page"));
	size_t i;

	try_buf_adds(out, "<h2>Timeline</h2><form method=\"get\" action=\"");
	html(out, base);
	try_buf_adds(out, "\" id=\"filter\"><label>lane <select name=\"lane\">");
	option(out, "", lane);
	option(out, "dark", lane);
	option(out, "config", lane);
	option(out, "code", lane);
	option(out, "all", lane);
	try_buf_adds(out, "</select></label> <label>type <select name=\"type\">");
	option(out, "", type);
	json_array_foreach(json_object_get(state, "totals"), i, t) {
		/* each type once, in order of appearance */
		size_t j;
		int seen = 0;
		for (j = 0; j < i && !seen; j++)
			seen = !strcmp(jstr(json_array_get(json_object_get(
				       state, "totals"), j), "type"),
				       jstr(t, "type"));
		if (!seen)
			option(out, jstr(t, "type"), type);
	}
	try_buf_adds(out, "</select></label> <label>person <select "
		     "name=\"person\">");
	option(out, "", person);
	json_array_foreach(json_object_get(state, "people"), i, t)
		option(out, json_string_value(t), person);
	try_buf_adds(out, "</select></label> <button>Filter</button></form>"
		     "<table id=\"timeline\"><tr><th>when</th><th>type</th>"
		     "<th>lane</th><th class=\"hide-s\">who</th><th>what</th>"
		     "</tr>");
	json_array_foreach(json_object_get(tl, "events"), i, ev) {
		try_buf_adds(out, "<tr class=\"ev\"><td>");
		when(out, jstr(ev, "time"));
		try_buf_adds(out, "</td><td>");
		html(out, jstr(ev, "type"));
		try_buf_adds(out, "</td><td>");
		if (*jstr(ev, "lane"))
			badge(out, jstr(ev, "lane"));
		try_buf_adds(out, "</td><td class=\"hide-s\">");
		html(out, jstr(ev, "pusher"));
		try_buf_adds(out, "</td><td class=\"s\">");
		event_what(out, ev);
		try_buf_adds(out, "</td></tr>");
	}
	if (!json_array_size(json_object_get(tl, "events")))
		try_buf_adds(out, "<tr><td colspan=\"5\">no events</td></tr>");
	try_buf_adds(out, "</table><p>");
	if (page > 0 || json_is_true(json_object_get(tl, "more"))) {
		json_int_t p;
		for (p = page - 1; p <= page + 1; p += 2) {
			if (p < 0 || (p > page &&
				      !json_is_true(json_object_get(tl,
								    "more"))))
				continue;
			try_buf_adds(out, "<a href=\"");
			html(out, base);
			try_buf_adds(out, "?lane=");
			url_value(out, lane);
			try_buf_adds(out, "&amp;type=");
			url_value(out, type);
			try_buf_adds(out, "&amp;person=");
			url_value(out, person);
			try_buf_addf(out, "&amp;page=%lld\">%s</a> ",
				     (long long)p, p < page ? "newer" : "older");
		}
	}
	try_buf_adds(out, "</p>\n");
}

static void webhooks(struct try_buf *out, json_t *state)
{
	json_t *w;
	size_t i;

	try_buf_adds(out, "<h2>Webhooks</h2><table id=\"webhooks\"><tr>"
		     "<th>destination</th><th>waiting</th></tr>");
	json_array_foreach(json_object_get(state, "webhooks"), i, w) {
		try_buf_adds(out, "<tr><td class=\"s\">");
		html(out, jstr(w, "url"));
		if (!json_is_true(json_object_get(w, "configured")))
			try_buf_adds(out, " (no longer in lanes.webhook)");
		try_buf_addf(out, "</td><td>%lld</td></tr>",
			     (long long)json_integer_value(
				     json_object_get(w, "waiting")));
	}
	if (!json_array_size(json_object_get(state, "webhooks")))
		try_buf_adds(out, "<tr><td colspan=\"2\">none</td></tr>");
	try_buf_adds(out, "</table>\n");
}

void try_page_render(struct try_buf *out, json_t *state,
		     const struct try_page_view *v)
{
	struct try_buf base = TRY_BUF_INIT, api = TRY_BUF_INIT;
	const char *name = jstr(state, "name");

	try_buf_adds(&base, "/r/");
	url_value(&base, name);
	try_buf_adds(&base, "/");
	try_buf_adds(&api, "/api/");
	url_value(&api, name);
	try_buf_adds(&api, "/stamp");
	head(out, name);
	try_buf_adds(out, "<header><h1>");
	html(out, name);
	try_buf_adds(out, " &middot; trunk ");
	html(out, jstr(state, "trunk"));
	try_buf_adds(out, "</h1><p>");
	if (v->user) {
		try_buf_adds(out, "signed in as <b id=\"user\">");
		html(out, v->user);
		try_buf_adds(out, "</b>");
	} else {
		try_buf_adds(out, "read-only (sign in through the proxy to "
			     "hold or release)");
	}
	try_buf_adds(out, "</p></header>\n<main data-stamp=\"");
	html(out, jstr(state, "stamp"));
	try_buf_adds(out, "\" data-api=\"");
	html(out, api.ptr);
	try_buf_adds(out, "\">");
	if (v->notice) {
		try_buf_adds(out, "<p class=\"notice\" id=\"notice\">");
		html(out, v->notice);
		try_buf_adds(out, "</p>");
	}
	lanes(out, state, base.ptr, v);
	deploys(out, state);
	train(out, state);
	pending(out, state);
	timeline(out, state, base.ptr);
	webhooks(out, state);
	try_buf_adds(out, "</main><script src=\"/static/cockpit.js\">"
		     "</script></body></html>\n");
	try_buf_release(&base);
	try_buf_release(&api);
}

void try_page_index(struct try_buf *out, const char *const *names,
		    const char *const *held, size_t n)
{
	size_t i;

	head(out, "lanes");
	try_buf_adds(out, "<header><h1>Repositories</h1></header><main><ul>");
	for (i = 0; i < n; i++) {
		try_buf_adds(out, "<li><a href=\"/r/");
		url_value(out, names[i]);
		try_buf_adds(out, "/\">");
		html(out, names[i]);
		try_buf_adds(out, "</a>");
		if (held[i] && *held[i]) {
			try_buf_adds(out, " &mdash; held: ");
			html(out, held[i]);
		}
		try_buf_adds(out, "</li>");
	}
	try_buf_adds(out, "</ul></main></body></html>\n");
}
