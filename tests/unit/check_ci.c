#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libtry/buf.h"
#include "libtry/ci.h"
#include "libtry/error.h"
#include "tests/unit/fixture.h"

/* Loads `text` as a config file into try_ci_settings_load_from. */
static int load(struct try_ci_settings *out, const char *text)
{
	git_config *cfg = fixture_config(text);
	int rc = try_ci_settings_load_from(out, cfg);

	git_config_free(cfg);
	return rc;
}

START_TEST(test_defaults)
{
	struct try_ci_settings s;

	ck_assert_int_eq(load(&s, ""), 0);
	ck_assert_str_eq(s.backend, "local");
	ck_assert_ptr_null(s.url);
	ck_assert_str_eq(s.scheduler, "try");
	ck_assert_uint_eq(s.builders.nr, 0);
	ck_assert_str_eq(s.command, "make check");
	ck_assert_int_eq(s.poll_ms, 1000);
	ck_assert_int_eq(s.connect_timeout_ms, 5000);
	ck_assert_int_eq(s.timeout_ms, 30000);
	ck_assert_uint_eq(s.apply_steps.nr, 1);
	ck_assert_str_eq(s.apply_steps.items[0], "git");
	try_ci_settings_release(&s);
}
END_TEST

START_TEST(test_values)
{
	struct try_ci_settings s;

	ck_assert_int_eq(load(&s,
		"[try]\n\tbackend = buildbot\n\turl = http://ci:8010/\n"
		"\tscheduler = tryit\n\tbuilders = a\n\tbuilders = b\n"
		"\tjob = j\n\tsecretFile = /etc/secret\n\tcommand = make t\n"
		"\tpollInterval = 250ms\n\tconnectTimeout = 2s\n"
		"\trequestTimeout = 1500\n\tapplyStep = checkout\n"), 0);
	ck_assert_str_eq(s.backend, "buildbot");
	ck_assert_str_eq(s.url, "http://ci:8010/");
	ck_assert_str_eq(s.scheduler, "tryit");
	ck_assert_uint_eq(s.builders.nr, 2);
	ck_assert_str_eq(s.builders.items[1], "b");
	ck_assert_str_eq(s.job, "j");
	ck_assert_str_eq(s.secret_file, "/etc/secret");
	ck_assert_str_eq(s.command, "make t");
	ck_assert_int_eq(s.poll_ms, 250);
	ck_assert_int_eq(s.connect_timeout_ms, 2000);
	ck_assert_int_eq(s.timeout_ms, 1500);
	ck_assert_uint_eq(s.apply_steps.nr, 1);
	ck_assert_str_eq(s.apply_steps.items[0], "checkout");
	try_ci_settings_release(&s);
}
END_TEST

START_TEST(test_empty_builders_resets)
{
	struct try_ci_settings s;

	ck_assert_int_eq(load(&s, "[try]\n\tbuilders = a\n\tbuilders =\n"
				  "\tbuilders = c\n"), 0);
	ck_assert_uint_eq(s.builders.nr, 1);
	ck_assert_str_eq(s.builders.items[0], "c");
	try_ci_settings_release(&s);
}
END_TEST

static const struct {
	const char *text, *error;
} bad_cases[] = {
	{ "[try]\n\tpollInterval = soon\n", "try.pollInterval" },
	{ "[try]\n\tpollInterval = 0\n", "try.pollInterval" },
	{ "[try]\n\tconnectTimeout = 5m\n", "try.connectTimeout" },
	{ "[try]\n\trequestTimeout = -3\n", "try.requestTimeout" },
	{ "[try]\n\trequestTimeout = 86401s\n", "try.requestTimeout" },
	{ "[try]\n\tbackend =\n", "try.backend" },
};

START_TEST(test_bad_values_table)
{
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(*bad_cases); i++) {
		struct try_ci_settings s;

		try_error_clear();
		ck_assert_msg(load(&s, bad_cases[i].text) < 0, "accepted: %s",
			      bad_cases[i].text);
		ck_assert_msg(strstr(try_error_last(), bad_cases[i].error),
			      "'%s' does not name %s", try_error_last(),
			      bad_cases[i].error);
		try_ci_settings_release(&s);
	}
}
END_TEST

START_TEST(test_state_names)
{
	ck_assert_str_eq(try_ci_state_name(TRY_CI_QUEUED), "queued");
	ck_assert_str_eq(try_ci_state_name(TRY_CI_RUNNING), "running");
	ck_assert_str_eq(try_ci_state_name(TRY_CI_PASSED), "passed");
	ck_assert_str_eq(try_ci_state_name(TRY_CI_FAILED), "failed");
	ck_assert_str_eq(try_ci_state_name(TRY_CI_NOT_APPLIED),
			 "patch did not apply");
	ck_assert_str_eq(try_ci_state_name(TRY_CI_ERROR), "error");
	ck_assert(!try_ci_state_final(TRY_CI_QUEUED));
	ck_assert(!try_ci_state_final(TRY_CI_RUNNING));
	ck_assert(try_ci_state_final(TRY_CI_PASSED));
	ck_assert(try_ci_state_final(TRY_CI_FAILED));
	ck_assert(try_ci_state_final(TRY_CI_NOT_APPLIED));
	ck_assert(try_ci_state_final(TRY_CI_ERROR));
}
END_TEST

#define Q TRY_CI_QUEUED
#define R TRY_CI_RUNNING
#define P TRY_CI_PASSED
#define F TRY_CI_FAILED
#define N TRY_CI_NOT_APPLIED
#define E TRY_CI_ERROR
#define END (-1)

/* The overall state of a set of jobs. */
static const struct {
	int jobs[5];
	enum try_ci_state want;
} overall[] = {
	{ { END }, Q },
	{ { P, END }, P },
	{ { P, P, P, END }, P },
	{ { P, F, END }, F },
	{ { F, E, END }, E },
	{ { E, N, F, END }, N },
	{ { P, Q, END }, Q },
	{ { P, R, Q, END }, R },
	{ { F, R, END }, R },
	{ { N, Q, END }, Q },
};

START_TEST(test_result_state_table)
{
	size_t i, j;

	for (i = 0; i < sizeof(overall) / sizeof(*overall); i++) {
		struct try_ci_result r = TRY_CI_RESULT_INIT;

		for (j = 0; overall[i].jobs[j] != END; j++) {
			char name[16];
			snprintf(name, sizeof(name), "b%zu", j);
			try_ci_result_add(&r, name)->state =
				(enum try_ci_state)overall[i].jobs[j];
		}
		ck_assert_msg(try_ci_result_state(&r) == overall[i].want,
			      "case %zu: got %s, want %s", i,
			      try_ci_state_name(try_ci_result_state(&r)),
			      try_ci_state_name(overall[i].want));
		try_ci_result_release(&r);
	}
}
END_TEST

START_TEST(test_result_helpers)
{
	struct try_ci_result r = TRY_CI_RESULT_INIT;
	struct try_ci_job *j;
	size_t i;

	for (i = 0; i < 20; i++) {
		j = try_ci_result_add(&r, "builder");
		ck_assert_int_eq(j->state, TRY_CI_QUEUED);
		ck_assert_ptr_null(j->url);
		ck_assert_ptr_null(j->detail);
	}
	ck_assert_uint_eq(r.nr, 20);
	try_ci_set(&r.jobs[3].url, "http://x/1");
	try_ci_set(&r.jobs[3].url, "http://x/2");
	ck_assert_str_eq(r.jobs[3].url, "http://x/2");
	try_ci_set(&r.jobs[3].url, NULL);
	ck_assert_ptr_null(r.jobs[3].url);
	try_ci_set(&r.url, r.jobs[0].name); /* from a field it replaces */
	ck_assert_str_eq(r.url, "builder");
	try_ci_set(&r.jobs[0].name, r.jobs[0].name);
	ck_assert_str_eq(r.jobs[0].name, "builder");
	try_ci_result_release(&r);
	ck_assert_uint_eq(r.nr, 0);
	ck_assert_ptr_null(r.jobs);
	try_ci_result_release(&r);
}
END_TEST

START_TEST(test_backend_find)
{
	ck_assert_ptr_eq(try_ci_backend_find("buildbot"), &try_ci_buildbot);
	ck_assert_str_eq(try_ci_backend_find("buildbot")->name, "buildbot");
	ck_assert_ptr_null(try_ci_backend_find("local"));
	ck_assert_ptr_null(try_ci_backend_find("nonsense"));
	ck_assert_ptr_null(try_ci_backend_find(""));
}
END_TEST

START_TEST(test_log_tail_table)
{
	static const struct {
		const char *text;
		int lines;
		const char *want; /* NULL: no log */
	} t[] = {
		{ "a\nb\nc\n", 2, "b\nc\n" },
		{ "a\nb\nc", 2, "b\nc\n" },
		{ "a\nb\nc\n\n\n", 1, "c\n" },
		{ "a\nb\n", 5, "a\nb\n" },
		{ "a\nb\n", 0, "a\nb\n" },
		{ "only", 1, "only\n" },
		{ "", 3, NULL },
		{ "\n\n", 0, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *log = try_xstrdup("old");

		try_ci_set_log_tail(&log, t[i].text, strlen(t[i].text),
				    t[i].lines);
		if (t[i].want)
			ck_assert_str_eq(log, t[i].want);
		else
			ck_assert_ptr_null(log);
		free(log);
	}
}
END_TEST

START_TEST(test_log_tail_nul)
{
	char *log = NULL;

	/* a NUL byte ends the text: the rest is not shown */
	try_ci_set_log_tail(&log, "a\nb\0c\n", 6, 1);
	ck_assert_str_eq(log, "b\n");
	free(log);
}
END_TEST

Suite *ci_suite(void)
{
	Suite *s = suite_create("ci");
	TCase *tc = tcase_create("ci");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_empty_builders_resets);
	tcase_add_test(tc, test_bad_values_table);
	tcase_add_test(tc, test_state_names);
	tcase_add_test(tc, test_result_state_table);
	tcase_add_test(tc, test_result_helpers);
	tcase_add_test(tc, test_backend_find);
	tcase_add_test(tc, test_log_tail_table);
	tcase_add_test(tc, test_log_tail_nul);
	suite_add_tcase(s, tc);
	return s;
}
