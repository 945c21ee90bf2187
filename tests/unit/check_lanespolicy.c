#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/lanespolicy.h"

START_TEST(test_parse_table)
{
	static const struct {
		const char *text;
		const char *error; /* substring of the message, NULL: parses */
		const char *config, *dark, *strict, *merges; /* last values */
	} cases[] = {
		{ "[lanes]\n\tconfig = config/**\n", NULL, "config/**", NULL,
		  NULL, NULL },
		{ "# team policy\n[LANES]\n  Config=a/** ; comment\n"
		  "  darkPattern = \"^DARK \\\\b\"\n[trunk]\nallowMerges\n",
		  NULL, "a/**", "^DARK \\b", NULL, "true" },
		{ "[lanes]\nstrictDark = yes\r\n", NULL, NULL, NULL, "yes",
		  NULL },
		{ "", NULL, NULL, NULL, NULL, NULL },
		{ "[lanes]\nwebhook = http://x\n", "unknown key 'lanes.webhook'",
		  NULL, NULL, NULL, NULL },
		{ "[core]\nhooksPath = /tmp\n", "unknown section 'core'", NULL,
		  NULL, NULL, NULL },
		{ "[include]\npath = /etc/passwd\n", "unknown section", NULL,
		  NULL, NULL, NULL },
		{ "[lanes \"x\"]\nconfig = a\n", "no subsections", NULL, NULL,
		  NULL, NULL },
		{ "config = a\n", "key outside a section", NULL, NULL, NULL,
		  NULL },
		{ "[lanes]\nstrictDark = maybe\n", "line 2: not a boolean",
		  NULL, NULL, NULL, NULL },
		{ "[lanes]\nconfig =\n", "empty value", NULL, NULL, NULL, NULL },
		{ "[lanes]\nconfig = \"a\n", "unterminated quote", NULL, NULL,
		  NULL, NULL },
		{ "[lanes]\nconfig = a\\\n b\n", "line continuation", NULL,
		  NULL, NULL, NULL },
		{ "[lanes]\n= a\n", "not a key", NULL, NULL, NULL, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct try_lanes_file f;
		const char *want[TRY_LANES_KEYS];
		int rc = try_lanes_file_parse(&f, cases[i].text,
					      strlen(cases[i].text));
		size_t k;

		if (cases[i].error) {
			ck_assert_msg(rc == -1, "case %zu parsed", i);
			ck_assert_msg(strstr(try_error_last(), cases[i].error),
				      "case %zu: %s", i, try_error_last());
			ck_assert_ptr_null(strchr(try_error_last(), '\n'));
			try_lanes_file_release(&f);
			continue;
		}
		ck_assert_msg(rc == 0, "case %zu: %s", i, try_error_last());
		want[TRY_LANES_KEY_CONFIG] = cases[i].config;
		want[TRY_LANES_KEY_DARK_PATTERN] = cases[i].dark;
		want[TRY_LANES_KEY_STRICT_DARK] = cases[i].strict;
		want[TRY_LANES_KEY_ALLOW_MERGES] = cases[i].merges;
		for (k = 0; k < TRY_LANES_KEYS; k++) {
			const struct try_strlist *v = &f.values[k];
			ck_assert_int_eq(f.set[k], want[k] != NULL);
			if (want[k])
				ck_assert_str_eq(v->items[v->nr - 1], want[k]);
		}
		try_lanes_file_release(&f);
	}
}
END_TEST

START_TEST(test_refuses_big_and_binary)
{
	struct try_lanes_file f;
	size_t n = TRY_LANES_FILE_MAX + 1;
	char *big = malloc(n);

	memset(big, '#', n);
	ck_assert_int_eq(try_lanes_file_parse(&f, big, n), -1);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "more than"));
	try_lanes_file_release(&f);
	ck_assert_int_eq(try_lanes_file_parse(&f, "[lanes]\0x", 9), -1);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "binary"));
	try_lanes_file_release(&f);
	free(big);
}
END_TEST

Suite *lanespolicy_suite(void)
{
	Suite *s = suite_create("lanespolicy");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse_table);
	tcase_add_test(tc, test_refuses_big_and_binary);
	suite_add_tcase(s, tc);
	return s;
}
