/*
 * git-commit-age: how long the oldest uncommitted change of this working
 * tree has waited, and what to do about it.
 *
 * Exit codes: 0 under the first level (or clean), 1 at or past the first
 * level, 128 git or system failure (not a repository, a bare repository, a
 * bad commitAge.levels), 129 usage.  With --stash: 0 stashed, 1 nothing to
 * stash, 128 git stash failed.
 *
 * main() does not call git_libgit2_init(): with libgit2 1.5 it costs about
 * 4.5 ms, half the budget of a shell prompt.  libtry's age module
 * initialises libgit2 itself when it needs it.
 */
#include "libtry/age.h"
#include "libtry/buf.h"
#include "libtry/error.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_text[] =
	"usage: git commit-age [--prompt | --json | --check | --stash]\n"
	"\n"
	"How long the oldest uncommitted change of this working tree has\n"
	"waited, and what to do about it.\n"
	"\n"
	"    --prompt   a few characters for a shell prompt, nothing under\n"
	"               the first level; may reuse a scan of the last 30 s\n"
	"    --json     one JSON object\n"
	"    --check    nothing; the exit code says it\n"
	"    --stash    stash everything, untracked files included, and say\n"
	"               how to get it back\n"
	"\n"
	"Levels in minutes: commitAge.levels (default 60,90,120,180):\n"
	"fine, uncomfortable, alarmed, very alarmed, stash and restart.\n"
	"Exit codes: 0 under the first level, 1 at or past it, 128 error,\n"
	"129 usage; with --stash 0 stashed, 1 nothing to stash.\n";

enum mode { MODE_HUMAN, MODE_PROMPT, MODE_JSON, MODE_CHECK, MODE_STASH };

static int usage_error(const char *msg, const char *arg)
{
	if (msg)
		fprintf(stderr, "git-commit-age: %s '%s'\n", msg, arg);
	fputs(usage_text, stderr);
	return 129;
}

static int die_error(void)
{
	fprintf(stderr, "git-commit-age: %s\n", try_error_last());
	return 128;
}

static const char *source_name(enum try_age_source source)
{
	switch (source) {
	case TRY_AGE_SOURCE_MTIME:
		return "mtime";
	case TRY_AGE_SOURCE_DIR_MTIME:
		return "directory-mtime";
	case TRY_AGE_SOURCE_DIRTY_SINCE:
		return "dirty-since";
	default:
		return "none";
	}
}

/* "2023-11-14T22:13:20Z" */
static void add_iso(struct try_buf *buf, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[32];

	if (gmtime_r(&tt, &tm) && strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ",
					   &tm))
		try_buf_adds(buf, s);
}

/* "14:02" today, "2023-11-14 14:02" on another day, in local time */
static void add_local(struct try_buf *buf, int64_t t, int64_t now)
{
	time_t tt = (time_t)t, tn = (time_t)now;
	struct tm tm, tm_now;
	char s[32];

	if (!localtime_r(&tt, &tm) || !localtime_r(&tn, &tm_now))
		return;
	if (strftime(s, sizeof(s), tm.tm_yday == tm_now.tm_yday &&
				   tm.tm_year == tm_now.tm_year ?
				   "%H:%M" : "%Y-%m-%d %H:%M", &tm))
		try_buf_adds(buf, s);
}

static void add_count(struct try_buf *buf, int *first, size_t n,
		      const char *what)
{
	if (!n)
		return;
	try_buf_addf(buf, "%s%zu %s", *first ? "" : ", ", n, what);
	*first = 0;
}

static void print_human(const struct try_age *age)
{
	struct try_buf out = TRY_BUF_INIT;
	int first = 1;

	if (!age->changed) {
		fputs("clean: no uncommitted changes\n", stdout);
		return;
	}
	try_buf_addf(&out, "%s: ", try_age_level_name(age->level));
	try_age_format_duration(&out, age->age);
	try_buf_adds(&out, " of uncommitted work, since ");
	add_local(&out, age->since, age->now);
	try_buf_addf(&out, "\n  %zu changed path%s: ", age->changed,
		     age->changed == 1 ? "" : "s");
	add_count(&out, &first, age->modified, "modified");
	add_count(&out, &first, age->deleted, "deleted");
	add_count(&out, &first, age->staged, "staged");
	add_count(&out, &first, age->untracked, "untracked");
	add_count(&out, &first, age->conflicted, "unmerged");
	if (age->source == TRY_AGE_SOURCE_DIRTY_SINCE)
		try_buf_adds(&out, "; dirty since then (files rewritten "
			     "since)");
	else if (age->oldest_path)
		try_buf_addf(&out, "; oldest: %s%s", age->oldest_path,
			     age->source == TRY_AGE_SOURCE_DIR_MTIME ?
			     " (deleted)" : "");
	try_buf_addf(&out, "\n  %s\n", try_age_level_advice(age->level));
	fputs(out.ptr, stdout);
	try_buf_release(&out);
}

static void print_prompt(const struct try_age *age)
{
	static const char *const marks[] = { "", "", "!", "!!", " stash" };
	int64_t minutes = age->age / 60;

	if (age->level == TRY_AGE_FINE)
		return;
	if (minutes < 6000)
		printf("\xe2\x8f\xb1 %lldm%s\n", (long long)minutes,
		       marks[age->level]);
	else
		printf("\xe2\x8f\xb1 %lldd%s\n", (long long)(minutes / 1440),
		       marks[age->level]);
}

static json_t *iso_or_null(int64_t t)
{
	struct try_buf buf = TRY_BUF_INIT;
	json_t *v;

	if (!t)
		return json_null();
	add_iso(&buf, t);
	v = json_string(buf.ptr);
	try_buf_release(&buf);
	return v;
}

static int print_json(const struct try_age *age)
{
	json_t *obj = json_object(), *levels = json_array();
	char *text;
	int i;

	for (i = 0; i < TRY_AGE_THRESHOLDS; i++)
		json_array_append_new(levels,
				      json_integer(age->levels.minutes[i]));
	json_object_set_new(obj, "age_seconds", json_integer(age->age));
	json_object_set_new(obj, "level", json_integer(age->level));
	json_object_set_new(obj, "level_name",
			    json_string(try_age_level_name(age->level)));
	json_object_set_new(obj, "message", json_string(age->changed ?
				    try_age_level_advice(age->level) :
				    "no uncommitted changes"));
	json_object_set_new(obj, "since", iso_or_null(age->since));
	json_object_set_new(obj, "since_epoch", age->since ?
			    json_integer(age->since) : json_null());
	json_object_set_new(obj, "source",
			    json_string(source_name(age->source)));
	json_object_set_new(obj, "oldest_path", age->oldest_path ?
			    json_string(age->oldest_path) : json_null());
	json_object_set_new(obj, "dirty_since",
			    iso_or_null(age->dirty_since));
	json_object_set_new(obj, "changed_files", json_integer(age->changed));
	json_object_set_new(obj, "modified", json_integer(age->modified));
	json_object_set_new(obj, "deleted", json_integer(age->deleted));
	json_object_set_new(obj, "staged", json_integer(age->staged));
	json_object_set_new(obj, "untracked", json_integer(age->untracked));
	json_object_set_new(obj, "unmerged", json_integer(age->conflicted));
	json_object_set_new(obj, "levels_minutes", levels);
	json_object_set_new(obj, "now", json_integer(age->now));
	json_object_set_new(obj, "workdir", json_string(age->workdir));
	text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	if (!text) {
		try_error_set("cannot format JSON");
		return -1;
	}
	puts(text);
	free(text);
	return 0;
}

static int do_stash(const struct try_age *age)
{
	struct try_buf out = TRY_BUF_INIT, what = TRY_BUF_INIT;
	int ret = try_age_stash(&out, age);

	if (out.len)
		fputs(out.ptr, stdout);
	if (ret == TRY_ENOTFOUND) {
		fprintf(stderr, "git-commit-age: %s\n", try_error_last());
		ret = 1;
	} else if (ret < 0) {
		ret = die_error();
	} else {
		try_age_format_duration(&what, age->age);
		printf("stashed %s of uncommitted work (%zu path%s, untracked "
		       "files included) as stash@{0}\n"
		       "  restart in smaller steps; to get it back: "
		       "git stash pop (see: git stash list)\n",
		       what.ptr, age->changed, age->changed == 1 ? "" : "s");
		ret = 0;
	}
	try_buf_release(&out);
	try_buf_release(&what);
	return ret;
}

int main(int argc, char **argv)
{
	struct try_age age = TRY_AGE_INIT;
	enum mode mode = MODE_HUMAN;
	int i, rc;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("git-commit-age %s\n", TRY_VERSION);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		enum mode m;

		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			fputs(usage_text, stdout);
			return 0;
		} else if (!strcmp(arg, "--prompt")) {
			m = MODE_PROMPT;
		} else if (!strcmp(arg, "--json")) {
			m = MODE_JSON;
		} else if (!strcmp(arg, "--check")) {
			m = MODE_CHECK;
		} else if (!strcmp(arg, "--stash")) {
			m = MODE_STASH;
		} else if (arg[0] == '-') {
			return usage_error("unknown option", arg);
		} else {
			return usage_error("unexpected argument", arg);
		}
		if (mode != MODE_HUMAN && mode != m)
			return usage_error("only one of --prompt, --json, "
					   "--check, --stash, not", arg);
		mode = m;
	}

	if (try_age_measure(&age, NULL, mode == MODE_PROMPT ?
			    TRY_AGE_PROMPT_CACHE : 0) < 0) {
		rc = die_error();
		goto done;
	}
	switch (mode) {
	case MODE_STASH:
		rc = do_stash(&age);
		goto done;
	case MODE_PROMPT:
		print_prompt(&age);
		break;
	case MODE_JSON:
		if (print_json(&age) < 0) {
			rc = die_error();
			goto done;
		}
		break;
	case MODE_CHECK:
		break;
	case MODE_HUMAN:
		print_human(&age);
		break;
	}
	rc = age.level == TRY_AGE_FINE ? 0 : 1;
	if (fflush(stdout)) {
		try_error_set("cannot write output");
		rc = die_error();
	}
done:
	try_age_release(&age);
	return rc;
}
