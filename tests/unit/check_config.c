#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libtry/config.h"
#include "libtry/error.h"
#include "tests/unit/fixture.h"

/* Loads `text` as a config file; returns try_config_load_from's result. */
static int load(struct try_config *out, const char *text)
{
	git_config *cfg = fixture_config(text);
	int rc = try_config_load_from(out, cfg, NULL);

	git_config_free(cfg);
	return rc;
}

START_TEST(test_defaults)
{
	struct try_config c;

	ck_assert_int_eq(load(&c, ""), 0);
	ck_assert_str_eq(c.trunk_branch, "main");
	ck_assert_str_eq(c.trunk_ref, "refs/heads/main");
	ck_assert_uint_eq(c.allow.nr, 1);
	ck_assert_str_eq(c.allow.items[0], "refs/tags/*");
	ck_assert_int_eq(c.allow_merges, 0);
	ck_assert_int_eq(c.timeout, 4);
	ck_assert_uint_eq(c.config_globs.nr, 0);
	ck_assert_str_eq(c.dark_pattern, "^DARK\\b");
	try_config_release(&c);
}
END_TEST

START_TEST(test_values)
{
	struct try_config c;

	ck_assert_int_eq(load(&c,
		"[trunk]\n\tbranch = refs/heads/trunk\n"
		"\tallow = refs/tags/*\n\tallow = refs/heads/release-*\n"
		"\tallowMerges = yes\n\ttimeout = 9\n"
		"[lanes]\n\tconfig = config/**\n\tconfig = flags/*.json\n"
		"\tdarkPattern = ^\\\\[dark\\\\]\n"), 0);
	ck_assert_str_eq(c.trunk_branch, "trunk");
	ck_assert_str_eq(c.trunk_ref, "refs/heads/trunk");
	ck_assert_uint_eq(c.allow.nr, 2);
	ck_assert_str_eq(c.allow.items[1], "refs/heads/release-*");
	ck_assert_int_eq(c.allow_merges, 1);
	ck_assert_int_eq(c.timeout, 9);
	ck_assert_uint_eq(c.config_globs.nr, 2);
	ck_assert_str_eq(c.config_globs.items[1], "flags/*.json");
	ck_assert_str_eq(c.dark_pattern, "^\\[dark\\]");
	try_config_release(&c);
}
END_TEST

static const struct {
	const char *text, *error;
} bad_cases[] = {
	{ "[trunk]\n\tallowMerges = perhaps\n", "trunk.allowmerges" },
	{ "[trunk]\n\ttimeout = 0\n", "trunk.timeout" },
	{ "[trunk]\n\ttimeout = soon\n", "trunk.timeout" },
	{ "[trunk]\n\tbranch = a..b\n", "trunk.branch" },
	{ "[lanes]\n\tconfig =\n", "lanes.config" },
	{ "[trunk]\n\tlocalBranches = maybe\n", "trunk.localBranches" },
};

START_TEST(test_bad_values_table)
{
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(*bad_cases); i++) {
		struct try_config c;
		ck_assert_msg(load(&c, bad_cases[i].text) == -1, "case %zu "
			      "loaded", i);
		ck_assert_msg(strcasestr(try_error_last(), bad_cases[i].error),
			      "case %zu: '%s' lacks '%s'", i, try_error_last(),
			      bad_cases[i].error);
		try_config_release(&c);
	}
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_bad_values_table);
	suite_add_tcase(s, tc);
	return s;
}
