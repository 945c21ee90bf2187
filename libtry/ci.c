#include "libtry/ci.h"
#include "libtry/buf.h"
#include "libtry/config.h"
#include "libtry/error.h"

#include <stdlib.h>
#include <string.h>

int try_ci_state_final(enum try_ci_state s)
{
	return s == TRY_CI_PASSED || s == TRY_CI_FAILED ||
	       s == TRY_CI_NOT_APPLIED || s == TRY_CI_ERROR;
}

const char *try_ci_state_name(enum try_ci_state s)
{
	switch (s) {
	case TRY_CI_QUEUED:
		return "queued";
	case TRY_CI_RUNNING:
		return "running";
	case TRY_CI_PASSED:
		return "passed";
	case TRY_CI_FAILED:
		return "failed";
	case TRY_CI_NOT_APPLIED:
		return "patch did not apply";
	case TRY_CI_ERROR:
		return "error";
	}
	return "error";
}

const char *try_ci_state_word(enum try_ci_state s)
{
	switch (s) {
	case TRY_CI_PASSED:
		return "passed";
	case TRY_CI_FAILED:
		return "failed";
	case TRY_CI_NOT_APPLIED:
		return "not-applied";
	case TRY_CI_ERROR:
		return "error";
	case TRY_CI_RUNNING:
		return "running";
	default:
		return "queued";
	}
}

int try_ci_state_from_word(enum try_ci_state *out, const char *word)
{
	static const enum try_ci_state all[] = {
		TRY_CI_QUEUED, TRY_CI_RUNNING, TRY_CI_PASSED, TRY_CI_FAILED,
		TRY_CI_NOT_APPLIED, TRY_CI_ERROR,
	};
	size_t i;

	for (i = 0; word && i < sizeof(all) / sizeof(*all); i++) {
		if (!strcmp(word, try_ci_state_word(all[i]))) {
			*out = all[i];
			return 0;
		}
	}
	return -1;
}

void try_ci_set(char **field, const char *value)
{
	char *copy = value ? try_xstrdup(value) : NULL;

	free(*field);
	*field = copy;
}

void try_ci_set_log_tail(char **log, const char *text, size_t len,
			 int lines)
{
	const char *end = text ? memchr(text, '\0', len) : NULL;
	size_t i, nl = 0;

	free(*log);
	*log = NULL;
	if (end)
		len = (size_t)(end - text);
	/* the trailing newline is not the start of a line */
	while (len && text[len - 1] == '\n')
		len--;
	if (!len)
		return;
	for (i = lines ? len : 0; i > 0; i--)
		if (text[i - 1] == '\n' && ++nl == (size_t)lines)
			break;
	*log = try_xcalloc(1, len - i + 2);
	memcpy(*log, text + i, len - i);
	(*log)[len - i] = '\n';
}

struct try_ci_job *try_ci_result_add(struct try_ci_result *r,
				     const char *name)
{
	struct try_ci_job *j;

	TRY_ARRAY_GROW(r->jobs, r->nr + 1, r->alloc);
	j = &r->jobs[r->nr++];
	memset(j, 0, sizeof(*j));
	j->name = try_xstrdup(name);
	j->state = TRY_CI_QUEUED;
	return j;
}

void try_ci_result_copy(struct try_ci_result *out,
			const struct try_ci_result *src)
{
	size_t i;

	for (i = 0; i < src->nr; i++) {
		const struct try_ci_job *s = &src->jobs[i];
		struct try_ci_job *j = try_ci_result_add(out, s->name);

		j->state = s->state;
		try_ci_set(&j->url, s->url);
		try_ci_set(&j->detail, s->detail);
		try_ci_set(&j->step, s->step);
		try_ci_set(&j->log, s->log);
		try_ci_set(&j->log_url, s->log_url);
		try_ci_set(&j->handle, s->handle);
	}
	if (!out->url)
		try_ci_set(&out->url, src->url);
}

void try_ci_result_release(struct try_ci_result *r)
{
	size_t i;

	for (i = 0; i < r->nr; i++) {
		free(r->jobs[i].name);
		free(r->jobs[i].url);
		free(r->jobs[i].detail);
		free(r->jobs[i].step);
		free(r->jobs[i].log);
		free(r->jobs[i].log_url);
		free(r->jobs[i].handle);
	}
	free(r->jobs);
	free(r->url);
	memset(r, 0, sizeof(*r));
}

/*
 * How bad a final state is, for the overall verdict: a patch that did not
 * apply says the most about the try, then an error (the answer is missing),
 * then failed tests.
 */
static int badness(enum try_ci_state s)
{
	switch (s) {
	case TRY_CI_PASSED:
		return 1;
	case TRY_CI_FAILED:
		return 2;
	case TRY_CI_ERROR:
		return 3;
	case TRY_CI_NOT_APPLIED:
		return 4;
	default:
		return 0;
	}
}

enum try_ci_state try_ci_result_state(const struct try_ci_result *r)
{
	enum try_ci_state worst = TRY_CI_PASSED;
	int running = 0, queued = 0;
	size_t i;

	if (!r->nr)
		return TRY_CI_QUEUED;
	for (i = 0; i < r->nr; i++) {
		enum try_ci_state s = r->jobs[i].state;

		if (s == TRY_CI_RUNNING)
			running = 1;
		else if (!try_ci_state_final(s))
			queued = 1;
		else if (badness(s) > badness(worst))
			worst = s;
	}
	if (running)
		return TRY_CI_RUNNING;
	if (queued)
		return TRY_CI_QUEUED;
	return worst;
}

/* "250", "250ms", "2s": milliseconds into `*out` (kept when unset). */
static int get_duration(int *out, git_config *cfg, const char *key)
{
	char *value = NULL, *end;
	long long n;
	int ret = -1;

	if (try_config_get_string(&value, cfg, key) < 0)
		return -1;
	if (!value)
		return 0;
	n = strtoll(value, &end, 10);
	if (end == value || n < 1 || n > 86400000)
		goto bad;
	if (!strcmp(end, "s"))
		n *= 1000; /* no overflow: n is at most 86400000 here */
	else if (*end && strcmp(end, "ms"))
		goto bad;
	if (n < 1 || n > 86400000)
		goto bad;
	*out = (int)n;
	ret = 0;
	goto done;
bad:
	try_error_set("%s: '%s' is not a duration from 1ms to 86400s "
		      "(e.g. 500, 500ms, 2s)", key, value);
done:
	free(value);
	return ret;
}

/* An integer from `min` to `max` into `*out` (kept when unset). */
static int get_count(int *out, git_config *cfg, const char *key, int min,
		     int max)
{
	char *value = NULL, *end;
	long n;
	int ret = 0;

	if (try_config_get_string(&value, cfg, key) < 0)
		return -1;
	if (!value)
		return 0;
	n = strtol(value, &end, 10);
	if (end == value || *end || n < min || n > max) {
		try_error_set("%s: '%s' is not a number from %d to %d", key,
			      value, min, max);
		ret = -1;
	} else {
		*out = (int)n;
	}
	free(value);
	return ret;
}

static int get_path(char **out, git_config *cfg, const char *key)
{
	git_buf value = GIT_BUF_INIT;
	int error = git_config_get_path(&value, cfg, key);

	*out = NULL;
	if (error == GIT_ENOTFOUND)
		return 0;
	if (error < 0) {
		try_error_from_git(key);
		return -1;
	}
	*out = try_xstrdup(value.ptr);
	git_buf_dispose(&value);
	return 0;
}

int try_ci_settings_load_from(struct try_ci_settings *out, git_config *cfg)
{
	memset(out, 0, sizeof(*out));
	out->poll_ms = 1000;
	out->connect_timeout_ms = 5000;
	out->timeout_ms = 30000;
	out->log_lines = 30;
	out->history = 100;

	if (try_config_get_string(&out->backend, cfg, "try.backend") < 0 ||
	    try_config_get_string(&out->url, cfg, "try.url") < 0 ||
	    try_config_get_string(&out->scheduler, cfg, "try.scheduler") < 0 ||
	    try_config_get_multi(&out->builders, cfg, "try.builders") < 0 ||
	    try_config_get_string(&out->job, cfg, "try.job") < 0 ||
	    get_path(&out->secret_file, cfg, "try.secretFile") < 0 ||
	    try_config_get_string(&out->command, cfg, "try.command") < 0 ||
	    get_duration(&out->poll_ms, cfg, "try.pollInterval") < 0 ||
	    get_duration(&out->connect_timeout_ms, cfg,
			 "try.connectTimeout") < 0 ||
	    get_duration(&out->timeout_ms, cfg, "try.requestTimeout") < 0 ||
	    try_config_get_multi(&out->apply_steps, cfg, "try.applyStep") < 0 ||
	    get_count(&out->log_lines, cfg, "try.logLines", 0, 100000) < 0 ||
	    get_count(&out->history, cfg, "try.history", 1, 100000) < 0)
		return -1;
	if (!out->backend)
		out->backend = try_xstrdup("local");
	if (!out->scheduler)
		out->scheduler = try_xstrdup("try");
	if (!out->command)
		out->command = try_xstrdup("make check");
	if (!out->apply_steps.nr)
		try_strlist_add(&out->apply_steps, "git");
	if (!*out->backend) {
		try_error_set("try.backend: empty");
		return -1;
	}
	/* an empty builders value resets the list, as git's multi-values do */
	{
		size_t i, keep = 0;
		for (i = 0; i < out->builders.nr; i++) {
			if (!*out->builders.items[i]) {
				size_t j;
				for (j = keep; j <= i; j++)
					free(out->builders.items[j]);
				keep = i + 1;
			}
		}
		if (keep) {
			memmove(out->builders.items,
				out->builders.items + keep,
				(out->builders.nr - keep) *
					sizeof(*out->builders.items));
			out->builders.nr -= keep;
		}
	}
	return 0;
}

int try_ci_settings_load(struct try_ci_settings *out, git_repository *repo)
{
	git_config *cfg = NULL;
	int ret;

	if (try_config_snapshot(&cfg, repo) < 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	ret = try_ci_settings_load_from(out, cfg);
	git_config_free(cfg);
	return ret;
}

void try_ci_settings_release(struct try_ci_settings *s)
{
	free(s->backend);
	free(s->url);
	free(s->scheduler);
	try_strlist_release(&s->builders);
	free(s->job);
	free(s->secret_file);
	free(s->command);
	try_strlist_release(&s->apply_steps);
	memset(s, 0, sizeof(*s));
}

int try_ci_preset_load(struct try_ci_preset *out, git_repository *repo,
		       const char *name)
{
	git_config *cfg = NULL;
	struct try_buf key = TRY_BUF_INIT;
	const char *p;
	size_t base;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	for (p = name; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') ||
		      ('0' <= *p && *p <= '9') || *p == '-' || *p == '_'))
			break;
	if (!*name || *p) {
		try_error_set("preset '%s': a name of letters, digits, '-' and "
			      "'_'", name);
		return -1;
	}
	if (try_config_snapshot(&cfg, repo) < 0)
		return -1;
	try_buf_addf(&key, "try.preset.%s.", name);
	base = key.len;
	try_buf_adds(&key, "backend");
	if (try_config_get_string(&out->backend, cfg, key.ptr) < 0)
		goto done;
	try_buf_setlen(&key, base);
	try_buf_adds(&key, "command");
	if (try_config_get_string(&out->command, cfg, key.ptr) < 0)
		goto done;
	try_buf_setlen(&key, base);
	try_buf_adds(&key, "builders");
	if (try_config_get_multi(&out->builders, cfg, key.ptr) < 0)
		goto done;
	if (!out->backend && !out->command && !out->builders.nr) {
		try_error_set("no preset '%s': try.preset.%s.builders, "
			      ".backend or .command is not set", name, name);
		goto done;
	}
	ret = 0;
done:
	try_buf_release(&key);
	git_config_free(cfg);
	return ret;
}

void try_ci_preset_release(struct try_ci_preset *p)
{
	free(p->backend);
	free(p->command);
	try_strlist_release(&p->builders);
	memset(p, 0, sizeof(*p));
}

const struct try_ci_backend *try_ci_backend_find(const char *name)
{
	if (!strcmp(name, "buildbot"))
		return &try_ci_buildbot;
	if (!strcmp(name, "jenkins"))
		return &try_ci_jenkins;
	if (!strcmp(name, "webhook"))
		return &try_ci_webhook;
	return NULL;
}
