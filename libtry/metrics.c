#include "libtry/metrics.h"
#include "libtry/report.h"

#include <string.h>

static const char *const scopes[] = { "dark", "config", "code", "all" };

void try_metrics_add_label(struct try_buf *out, const char *s)
{
	struct try_buf u = TRY_BUF_INIT;
	size_t i;

	/* the format is UTF-8; other bytes would make the scrape fail */
	try_report_add_utf8(&u, s, strlen(s));
	for (i = 0; i < u.len; i++) {
		if (u.ptr[i] == '\\')
			try_buf_adds(out, "\\\\");
		else if (u.ptr[i] == '"')
			try_buf_adds(out, "\\\"");
		else if (u.ptr[i] == '\n')
			try_buf_adds(out, "\\n");
		else
			try_buf_addch(out, u.ptr[i]);
	}
	try_buf_release(&u);
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static void sample(struct try_buf *out, const char *metric, json_t *state,
		   const char *k1, const char *v1, const char *k2,
		   const char *v2, long long value)
{
	try_buf_addf(out, "%s{repository=\"", metric);
	try_metrics_add_label(out, jstr(state, "name"));
	try_buf_addf(out, "\",%s=\"", k1);
	try_metrics_add_label(out, v1);
	if (k2) {
		try_buf_addf(out, "\",%s=\"", k2);
		try_metrics_add_label(out, v2);
	}
	try_buf_addf(out, "\"} %lld\n", value);
}

static json_t *hold_of(json_t *state, const char *lane)
{
	json_t *h;
	size_t i;

	json_array_foreach(json_object_get(state, "holds"), i, h)
		if (!strcmp(jstr(h, "lane"), lane))
			return h;
	return NULL;
}

void try_metrics_render(struct try_buf *out, json_t *const *states, size_t n)
{
	json_t *l, *t;
	size_t i, j, s;

	try_buf_adds(out, "# HELP lanes_hold 1 while the lane is held "
		     "(refs/lanes/holds/<lane>), else 0.\n"
		     "# TYPE lanes_hold gauge\n");
	for (i = 0; i < n; i++)
		for (s = 0; s < 4; s++)
			sample(out, "lanes_hold", states[i], "lane", scopes[s],
			       NULL, NULL, hold_of(states[i], scopes[s]) ? 1 : 0);
	try_buf_adds(out, "# HELP lanes_hold_since_seconds When the held lane "
		     "was held (Unix time).\n"
		     "# TYPE lanes_hold_since_seconds gauge\n");
	for (i = 0; i < n; i++)
		for (s = 0; s < 4; s++)
			if ((t = hold_of(states[i], scopes[s])))
				sample(out, "lanes_hold_since_seconds",
				       states[i], "lane", scopes[s], NULL, NULL,
				       (long long)json_integer_value(
					       json_object_get(t,
							       "since_epoch")));
	try_buf_adds(out, "# HELP lanes_pending_commits Trunk commits not "
		     "deployed yet, by lane (the newest 500 at most).\n"
		     "# TYPE lanes_pending_commits gauge\n");
	for (i = 0; i < n; i++)
		json_array_foreach(json_object_get(states[i], "lanes"), j, l)
			sample(out, "lanes_pending_commits", states[i], "lane",
			       jstr(l, "lane"), NULL, NULL,
			       (long long)json_integer_value(
				       json_object_get(l, "pending")));
	try_buf_adds(out, "# HELP lanes_events_total Events in the lane "
		     "journal, by type and lane.\n"
		     "# TYPE lanes_events_total counter\n");
	for (i = 0; i < n; i++)
		json_array_foreach(json_object_get(states[i], "totals"), j, t)
			sample(out, "lanes_events_total", states[i], "type",
			       jstr(t, "type"), "lane", jstr(t, "lane"),
			       (long long)json_integer_value(
				       json_object_get(t, "count")));
	try_buf_adds(out, "# HELP lanes_webhook_spool_events Events waiting "
		     "in the spool of a webhook.\n"
		     "# TYPE lanes_webhook_spool_events gauge\n");
	for (i = 0; i < n; i++)
		json_array_foreach(json_object_get(states[i], "webhooks"), j, t)
			sample(out, "lanes_webhook_spool_events", states[i],
			       "destination", jstr(t, "url"), NULL, NULL,
			       (long long)json_integer_value(
				       json_object_get(t, "waiting")));
	try_buf_adds(out, "# HELP lanes_last_deploy_timestamp_seconds When "
		     "the lane's last deploy to the environment was recorded "
		     "(Unix time).\n"
		     "# TYPE lanes_last_deploy_timestamp_seconds gauge\n");
	for (i = 0; i < n; i++)
		json_array_foreach(json_object_get(states[i], "deploys"), j, t)
			json_array_foreach(json_object_get(t, "lanes"), s, l) {
				json_t *d = json_object_get(l, "deployed");

				if (json_is_object(d))
					sample(out,
					       "lanes_last_deploy_timestamp_"
					       "seconds", states[i], "env",
					       jstr(t, "env"), "lane",
					       jstr(l, "lane"),
					       (long long)json_integer_value(
						       json_object_get(
							       d, "at_epoch")));
			}
	try_buf_adds(out, "# HELP lanes_queue_riders People riding the push "
		     "train of the lane.\n"
		     "# TYPE lanes_queue_riders gauge\n");
	for (i = 0; i < n; i++)
		json_array_foreach(json_object_get(states[i], "train"), j, t)
			sample(out, "lanes_queue_riders", states[i], "lane",
			       jstr(t, "lane"), NULL, NULL,
			       (long long)json_integer_value(
				       json_object_get(t, "riders")));
}
